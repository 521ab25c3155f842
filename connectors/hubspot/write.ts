/**
 * `update(type, updates)`: batch updates, 100 records per call. Per-record failures come back as
 * rejected, they do not throw:
 * - 207: the ids named in the errors are rejected, the rest written;
 * - a whole batch refused with a 4xx (validation errors usually fail the whole batch with a 400):
 *   split in halves recursively until each failing record stands alone and is rejected with
 *   HubSpot's message. A missing property is the exception: it fails every record that sets it,
 *   so those are rejected at once instead of costing two calls per record;
 * - auth (401/403), rate limits (a DAILY 429, or retries run out) and 5xx after retries throw.
 */
import {
  BatchInputSimplePublicObjectBatchInput,
  SimplePublicObjectBatchInput,
  type BatchResponseSimplePublicObject,
  type BatchResponseSimplePublicObjectWithErrors,
  type StandardError,
} from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { RecordType } from '../../src/core/index.ts';
import type { RecordUpdate, WriteResult } from '../../src/sync/connector.ts';
import { model, type HubSpotContext } from './client.ts';
import { HubSpotError, isFatal } from './errors.ts';

/** Object API batch endpoints take at most 100 inputs. */
export const WRITE_BATCH = 100;

interface Collected {
  readonly written: string[];
  readonly rejected: { id: string; error: string }[];
}

/** HubSpot refuses a batch naming one id twice: later updates of an id merge into the first. */
function mergeDuplicates(updates: readonly RecordUpdate[]): SimplePublicObjectBatchInput[] {
  const byId = new Map<string, Record<string, string>>();
  for (const update of updates) byId.set(update.id, { ...byId.get(update.id), ...update.properties });
  return [...byId].map(([id, properties]) => model(SimplePublicObjectBatchInput, { id, properties }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The ids an error of a 207 names (`context.ids`, or its `id`). The SDK types are optimistic here. */
function idsOf(error: StandardError): string[] {
  const loose = error as unknown as { context?: unknown; id?: unknown };
  const ids = isRecord(loose.context) ? strings(loose.context['ids']) : [];
  if (ids.length === 0 && typeof loose.id === 'string') ids.push(loose.id);
  return ids;
}

/** Properties a 400 says do not exist, when that is all it says (`errors[].code PROPERTY_DOESNT_EXIST`). */
function missingProperties(err: HubSpotError): Set<string> {
  const names = new Set<string>();
  const details = isRecord(err.body) && Array.isArray(err.body['errors']) ? (err.body['errors'] as unknown[]) : [];
  for (const detail of details) {
    if (!isRecord(detail) || detail['code'] !== 'PROPERTY_DOESNT_EXIST') return new Set();
    const context = detail['context'];
    const named = isRecord(context) ? strings(context['propertyName']) : [];
    if (named.length === 0) return new Set();
    for (const name of named) names.add(name);
  }
  return names;
}

/** A failure that belongs to the records sent (bisect it), not to the connection (throw it). */
function isRecordRefusal(err: unknown): err is HubSpotError {
  return (
    err instanceof HubSpotError && !isFatal(err) && err.status !== undefined && err.status >= 400 && err.status < 500
  );
}

function collect(
  inputs: readonly SimplePublicObjectBatchInput[],
  response: BatchResponseSimplePublicObject | BatchResponseSimplePublicObjectWithErrors,
  out: Collected,
): void {
  const errors = 'errors' in response ? (response.errors ?? []) : [];
  const failed = new Map<string, string>();
  const unattributed: string[] = [];
  for (const error of errors) {
    const ids = idsOf(error);
    if (ids.length === 0) unattributed.push(error.message);
    for (const id of ids) failed.set(id, error.message);
  }
  const returned = new Set(response.results.map((object) => object.id));
  for (const { id } of inputs) {
    const error = failed.get(id);
    if (error !== undefined) out.rejected.push({ id, error });
    else if (errors.length === 0 || returned.has(id)) out.written.push(id);
    // A 207 that neither returned the record nor named it: not written; say what HubSpot said.
    else out.rejected.push({ id, error: unattributed.join('; ') || 'not updated (no error given)' });
  }
}

async function writeBatch(
  context: HubSpotContext,
  type: 'companies' | 'contacts',
  inputs: SimplePublicObjectBatchInput[],
  out: Collected,
): Promise<void> {
  let response: BatchResponseSimplePublicObject | BatchResponseSimplePublicObjectWithErrors;
  try {
    response = await context.throttle.run(`batch update of ${inputs.length} ${type}`, () =>
      context.sdk.objects.batchApi.update(type, model(BatchInputSimplePublicObjectBatchInput, { inputs })),
    );
  } catch (err) {
    if (!isRecordRefusal(err)) throw err;
    const missing = missingProperties(err);
    if (missing.size > 0) {
      const setsMissing = (input: SimplePublicObjectBatchInput): boolean =>
        Object.keys(input.properties).some((name) => missing.has(name));
      const bad = inputs.filter(setsMissing);
      const rest = inputs.filter((input) => !setsMissing(input));
      if (bad.length > 0) {
        for (const input of bad) out.rejected.push({ id: input.id, error: err.detail });
        if (rest.length > 0) await writeBatch(context, type, rest, out);
        return;
      }
    }
    const [single] = inputs;
    if (inputs.length === 1 && single !== undefined) {
      out.rejected.push({ id: single.id, error: err.detail });
      return;
    }
    const half = Math.ceil(inputs.length / 2);
    context.logger.warn(
      `HubSpot refused a batch of ${inputs.length} ${type} (${err.status} ${err.detail}); splitting it to find the record(s)`,
    );
    await writeBatch(context, type, inputs.slice(0, half), out);
    await writeBatch(context, type, inputs.slice(half), out);
    return;
  }
  collect(inputs, response, out);
}

export async function updateRecords(
  context: HubSpotContext,
  type: RecordType,
  updates: readonly RecordUpdate[],
): Promise<WriteResult> {
  const objectType = type === 'company' ? 'companies' : 'contacts';
  const inputs = mergeDuplicates(updates);
  const out: Collected = { written: [], rejected: [] };
  for (let start = 0; start < inputs.length; start += WRITE_BATCH) {
    await writeBatch(context, objectType, inputs.slice(start, start + WRITE_BATCH), out);
  }
  return out;
}
