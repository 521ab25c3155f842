/**
 * Writes tiers back. Up to the bulk threshold (default 2,000 records) through sObject Collections
 * (PATCH /composite/sobjects, 200 records per call, `allOrNone: false`, so one bad record does not
 * sink the others); above it through one Bulk API 2.0 ingest job per object. jsforce never retries
 * a PATCH or POST: the writes set absolute values, so this module retries them itself — the whole
 * call on network errors and 5xx, and the records refused with `UNABLE_TO_LOCK_ROW` with back-off.
 * Other per-record errors (deleted, merged, a value the picklist does not have) come back rejected.
 */
import type { Record as SfRecord, SaveResult } from 'jsforce';
import type { RecordType } from '../../src/core/index.ts';
import type { RecordUpdate, WriteResult } from '../../src/sync/connector.ts';
import type { SalesforceContext } from './context.ts';
import { SOBJECT } from './read.ts';

export const COLLECTION_SIZE = 200;
const LOCK_RETRIES = 4;
const CALL_RETRIES = 3;
const LOCKED = 'UNABLE_TO_LOCK_ROW';

/** A lead's id starts with 00Q; every other "contact" is a Contact. */
export function sobjectFor(type: RecordType, id: string): string {
  if (type === 'company') return SOBJECT.company;
  return id.startsWith('00Q') ? SOBJECT.lead : SOBJECT.contact;
}

interface Outcome {
  readonly written: string[];
  readonly rejected: { id: string; error: string }[];
}

/** Salesforce's answers worth another try: 5xx (jsforce's errors carry no status, only a code) and network failures. */
const TRANSIENT_CODES = new Set(['SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION', 'REQUEST_RUNNING_TOO_LONG']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET']);

export function isTransient(error: unknown): boolean {
  const e = error as { errorCode?: unknown; code?: unknown; cause?: { code?: unknown } };
  const code = typeof e.errorCode === 'string' ? e.errorCode : '';
  if (TRANSIENT_CODES.has(code) || /^ERROR_HTTP_5\d\d$/.test(code)) return true;
  const network = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : '';
  return NETWORK_CODES.has(network);
}

function errorText(result: SaveResult): { code: string; text: string } {
  const first = result.errors[0] as { statusCode?: string; errorCode?: string; message?: string } | undefined;
  // At run time collection errors carry `statusCode`, whatever the type says.
  const code = first?.statusCode ?? first?.errorCode ?? 'UNKNOWN_ERROR';
  return { code, text: `${code}: ${first?.message ?? 'refused'}` };
}

async function withRetries<T>(context: SalesforceContext, work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await context.call(work);
    } catch (error) {
      const code = (error as { errorCode?: unknown }).errorCode;
      if (code === 'INVALID_FIELD' || code === 'INVALID_TYPE') {
        throw new Error(
          `Salesforce refused the write (${code}: ${error instanceof Error ? error.message : ''}): ` +
            'the engagement-model fields are missing or hidden from this user — run `righttouch setup --crm salesforce`',
          { cause: error },
        );
      }
      if (attempt >= CALL_RETRIES || !isTransient(error)) throw error;
      await context.sleep(500 * 2 ** attempt);
    }
  }
}

async function viaCollections(context: SalesforceContext, object: string, records: SfRecord[]): Promise<Outcome> {
  const outcome: Outcome = { written: [], rejected: [] };
  let pending = records;
  for (let round = 0; pending.length > 0; round++) {
    const locked: SfRecord[] = [];
    for (let start = 0; start < pending.length; start += COLLECTION_SIZE) {
      const chunk = pending.slice(start, start + COLLECTION_SIZE);
      const results = await withRetries(context, () =>
        context.conn.sobject(object).update(chunk as { Id: string }[], { allOrNone: false }),
      );
      results.forEach((result, index) => {
        const record = chunk[index];
        if (record === undefined) return;
        const id = String(record['Id']);
        if (result.success) {
          outcome.written.push(id);
          return;
        }
        const { code, text } = errorText(result);
        if (code === LOCKED && round < LOCK_RETRIES) locked.push(record);
        else outcome.rejected.push({ id, error: text });
      });
    }
    if (locked.length > 0) await context.sleep(1000 * 2 ** round + Math.floor(Math.random() * 250));
    pending = locked;
  }
  return outcome;
}

async function viaBulk(context: SalesforceContext, object: string, records: SfRecord[]): Promise<Outcome> {
  // Each step is retried on a dropped connection or a 5xx, as collections are: jsforce retries no
  // POST/PUT/PATCH, and the first request after a long classification can meet a keep-alive
  // connection the server has closed meanwhile ("other side closed").
  const job = context.conn.bulk2.createJob({ object, operation: 'update' });
  await withRetries(context, () => job.open());
  await withRetries(context, () => job.uploadData(records));
  await withRetries(context, () => job.close());
  // Manual polling: jsforce's loadAndWaitForResults deletes the job on its own poll timeout.
  await withRetries(context, () => job.poll(context.bulkPoll.intervalMs, context.bulkPoll.timeoutMs));
  const succeeded = await withRetries(context, () => job.getSuccessfulResults());
  const failed = await withRetries(context, () => job.getFailedResults());
  const unprocessed = await withRetries(context, () => job.getUnprocessedRecords());
  const outcome: Outcome = { written: succeeded.map((row) => row.sf__Id), rejected: [] };
  const retry: SfRecord[] = [];
  const byId = new Map(records.map((record) => [String(record['Id']), record]));
  for (const row of failed) {
    const given = (row as { Id?: unknown }).Id;
    const id = typeof given === 'string' && given !== '' ? given : row.sf__Id;
    const error = row.sf__Error;
    const record = byId.get(id);
    if (error.startsWith(LOCKED) && record !== undefined) retry.push(record);
    else outcome.rejected.push({ id, error: error.replace(/:--$/, '') });
  }
  for (const row of unprocessed) {
    const record = byId.get(String((row as { Id?: unknown }).Id));
    if (record !== undefined) retry.push(record);
  }
  if (retry.length > 0) {
    const again = await viaCollections(context, object, retry);
    outcome.written.push(...again.written);
    outcome.rejected.push(...again.rejected);
  }
  return outcome;
}

export async function updateRecords(
  context: SalesforceContext,
  type: RecordType,
  updates: readonly RecordUpdate[],
): Promise<WriteResult> {
  const byObject = new Map<string, SfRecord[]>();
  for (const update of updates) {
    const object = sobjectFor(type, update.id);
    const list = byObject.get(object) ?? [];
    list.push({ Id: update.id, ...update.properties });
    byObject.set(object, list);
  }
  const written: string[] = [];
  const rejected: { id: string; error: string }[] = [];
  for (const [object, records] of byObject) {
    const outcome =
      records.length > context.bulkThreshold
        ? await viaBulk(context, object, records)
        : await viaCollections(context, object, records);
    written.push(...outcome.written);
    rejected.push(...outcome.rejected);
  }
  return { written, rejected };
}

/** Update calls `count` records of one object cost: collections of 200, or one bulk job (~7 calls). */
export function estimateWriteCalls(count: number, bulkThreshold: number): number {
  if (count === 0) return 0;
  return count > bulkThreshold ? 7 : Math.ceil(count / COLLECTION_SIZE);
}
