/**
 * `update(type, updates)`: batch updates, 100 records per call. Per-record failures come back as
 * rejected, they do not throw:
 * - 207: the ids named in the errors are rejected, the rest written;
 * - a whole batch refused with a 4xx: HubSpot refuses a batch with one bad value as a whole (400
 *   VALIDATION_ERROR, nothing written) and says which property and value in JSON inside `message`
 *   (refusals.ts). The records of the batch that make the refused write are rejected with that
 *   message and the rest resent in one call, so one bad record costs two calls, not a bisection.
 *   When the message names a property but not the value, the records setting that property are
 *   split from the others and bisected alone; ids the answer names (`context.ids`, as a 404 for
 *   a missing record carries them) are rejected at once; when it says nothing usable, the batch is
 *   split in halves recursively down to the failing record(s);
 * - a write HubSpot has refused is remembered for the life of the connector (one sync): later
 *   records making it (a property HubSpot does not have, a value an option list lacks) are rejected
 *   without a call, which keeps error answers far under HubSpot's marketplace bar (< 5% of calls);
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
import type { RecordUpdate, WriteLimits, WriteResult } from '../../src/sync/connector.ts';
import { model, type HubSpotContext } from './client.ts';
import { HubSpotError, isFatal } from './errors.ts';
import { describeRefusal, idsNamed, refusalsOf, refusesValue, type Refusal } from './refusals.ts';

/** Object API batch endpoints take at most 100 inputs (reference hubspot-api.md, "Batch endpoints"). */
export const WRITE_BATCH = 100;

/** The connector's write limits: the engine hands over one batch update's worth, one call each. */
export const HUBSPOT_WRITE_LIMITS: WriteLimits = { writeBatchSize: WRITE_BATCH, recordsPerWriteCall: WRITE_BATCH };

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

/** A failure that belongs to the records sent (reject and resend, or bisect), not to the connection (throw it). */
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

type ObjectType = 'companies' | 'contacts';
type Input = SimplePublicObjectBatchInput;

/** Writes HubSpot has refused, per connector (one sync) and object type. */
const learnt = new WeakMap<HubSpotContext, Map<ObjectType, Refusal[]>>();

function learn(context: HubSpotContext, type: ObjectType, refusals: readonly Refusal[]): void {
  if (refusals.length === 0) return;
  const byType = learnt.get(context) ?? new Map<ObjectType, Refusal[]>();
  learnt.set(context, byType);
  byType.set(type, [...(byType.get(type) ?? []), ...refusals]);
}

/** The refusal HubSpot already gave for a write this input makes, if any. */
function knownRefusal(context: HubSpotContext, type: ObjectType, input: Input): Refusal | undefined {
  return learnt
    .get(context)
    ?.get(type)
    ?.find((refusal) => {
      const value = input.properties[refusal.name];
      return value !== undefined && refusesValue(refusal, value);
    });
}

/** What a refused batch says about its records. */
interface Attribution {
  /** Records the answer rejects outright, with what to report. */
  readonly rejected: Map<string, string>;
  /** Refusals that matched records (worth remembering). */
  readonly matched: Refusal[];
  /** Records setting a refused property whose value the answer does not quote. */
  readonly suspects: Set<string>;
  readonly refusals: Refusal[];
}

function attribute(inputs: readonly Input[], err: HubSpotError): Attribution {
  const rejected = new Map<string, string>();
  const suspects = new Set<string>();
  const matched: Refusal[] = [];
  const sent = new Set(inputs.map((input) => input.id));
  for (const id of idsNamed(err.body)) if (sent.has(id)) rejected.set(id, err.detail);
  const refusals = refusalsOf(err.body);
  for (const refusal of refusals) {
    const setting = inputs.filter((input) => input.properties[refusal.name] !== undefined);
    const refused = setting.filter((input) => refusesValue(refusal, input.properties[refusal.name] ?? ''));
    if (refused.length > 0) matched.push(refusal);
    for (const input of refused) if (!rejected.has(input.id)) rejected.set(input.id, describeRefusal(refusal));
    if (refused.length === 0) for (const input of setting) suspects.add(input.id);
  }
  for (const id of rejected.keys()) suspects.delete(id);
  return { rejected, matched, suspects, refusals };
}

async function writeBatch(context: HubSpotContext, type: ObjectType, inputs: Input[], out: Collected): Promise<void> {
  let response: BatchResponseSimplePublicObject | BatchResponseSimplePublicObjectWithErrors;
  try {
    response = await context.throttle.run(`batch update of ${inputs.length} ${type}`, () =>
      context.sdk.objects.batchApi.update(type, model(BatchInputSimplePublicObjectBatchInput, { inputs })),
    );
  } catch (err) {
    if (!isRecordRefusal(err)) throw err;
    await refused(context, type, inputs, err, out);
    return;
  }
  collect(inputs, response, out);
}

/** A batch HubSpot refused as a whole: reject what its answer names, resend the rest. */
async function refused(
  context: HubSpotContext,
  type: ObjectType,
  inputs: Input[],
  err: HubSpotError,
  out: Collected,
): Promise<void> {
  const { rejected, matched, suspects, refusals } = attribute(inputs, err);
  if (rejected.size > 0) {
    learn(context, type, matched);
    const rest = inputs.filter((input) => !rejected.has(input.id));
    context.logger.warn(
      `HubSpot refused ${rejected.size} of ${inputs.length} ${type} (${err.status} ${matched.map(describeRefusal).join('; ') || err.detail}); sending the other ${rest.length} again`,
    );
    for (const input of inputs) {
      const error = rejected.get(input.id);
      if (error !== undefined) out.rejected.push({ id: input.id, error });
    }
    if (rest.length > 0) await writeBatch(context, type, rest, out);
    return;
  }
  const [single] = inputs;
  if (inputs.length === 1 && single !== undefined) {
    const own = refusals.filter((refusal) => single.properties[refusal.name] !== undefined);
    out.rejected.push({ id: single.id, error: own.map(describeRefusal).join('; ') || err.detail });
    return;
  }
  if (suspects.size > 0 && suspects.size < inputs.length) {
    // The answer names the property, not the value: the records not setting it go in one call.
    await writeBatch(
      context,
      type,
      inputs.filter((input) => !suspects.has(input.id)),
      out,
    );
    await writeBatch(
      context,
      type,
      inputs.filter((input) => suspects.has(input.id)),
      out,
    );
    return;
  }
  const half = Math.ceil(inputs.length / 2);
  context.logger.warn(
    `HubSpot refused a batch of ${inputs.length} ${type} (${err.status} ${err.detail}); splitting it to find the record(s)`,
  );
  await writeBatch(context, type, inputs.slice(0, half), out);
  await writeBatch(context, type, inputs.slice(half), out);
}

export async function updateRecords(
  context: HubSpotContext,
  type: RecordType,
  updates: readonly RecordUpdate[],
): Promise<WriteResult> {
  const objectType = type === 'company' ? 'companies' : 'contacts';
  const inputs = mergeDuplicates(updates);
  const out: Collected = { written: [], rejected: [] };
  let next = 0;
  while (next < inputs.length) {
    // Fill each batch with records whose writes HubSpot has not already refused.
    const batch: Input[] = [];
    for (; next < inputs.length && batch.length < WRITE_BATCH; next++) {
      const input = inputs[next];
      if (input === undefined) continue;
      const known = knownRefusal(context, objectType, input);
      if (known === undefined) batch.push(input);
      else
        out.rejected.push({ id: input.id, error: `${describeRefusal(known)}; not sent: refused earlier in this sync` });
    }
    if (batch.length > 0) await writeBatch(context, objectType, batch, out);
  }
  return out;
}
