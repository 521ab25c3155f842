/**
 * Writes tiers back. Up to the bulk threshold (default 2,000 records) through sObject Collections
 * (PATCH /composite/sobjects, 200 records per call, `allOrNone: false`, so one bad record does not
 * sink the others); above it through one Bulk API 2.0 ingest job per object (bulk.ts: each step
 * retried as the job's state allows). jsforce never retries a PATCH or POST: the writes set
 * absolute values, so this module retries them itself — the whole call on network errors and 5xx,
 * and the records refused with `UNABLE_TO_LOCK_ROW` with back-off.
 * Other per-record errors (deleted, merged, a value the picklist does not have) come back rejected.
 */
import type { Record as SfRecord, SaveResult } from 'jsforce';
import type { RecordType } from '../../src/core/index.ts';
import type { RecordUpdate, WriteLimits, WriteResult } from '../../src/sync/connector.ts';
import { bulkJobCalls, runUpdateJob } from './bulk.ts';
import type { SalesforceContext } from './context.ts';
import { SOBJECT } from './read.ts';
import { withRetries } from './retry.ts';

export const COLLECTION_SIZE = 200;
const LOCK_RETRIES = 4;
/** Records the engine hands to one `update` (the connector's `writeBatchSize`). */
export const WRITE_BATCH = 10_000;

/**
 * The connector's write limits: many records at once (collections or a Bulk 2.0 job, as the count
 * says); a policy preview counts a call per collection of 200 (reference salesforce-api.md, "Max
 * 200 records per call"), the cost up to the bulk threshold.
 */
export const SALESFORCE_WRITE_LIMITS: WriteLimits = {
  writeBatchSize: WRITE_BATCH,
  recordsPerWriteCall: COLLECTION_SIZE,
};
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

function errorText(result: SaveResult): { code: string; text: string } {
  const first = result.errors[0] as { statusCode?: string; errorCode?: string; message?: string } | undefined;
  // At run time collection errors carry `statusCode`, whatever the type says.
  const code = first?.statusCode ?? first?.errorCode ?? 'UNKNOWN_ERROR';
  return { code, text: `${code}: ${first?.message ?? 'refused'}` };
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
  const { successful: succeeded, failed, unprocessed } = await runUpdateJob(context, object, records);
  const outcome: Outcome = {
    written: succeeded.map((row) => row['sf__Id'] ?? '').filter((id) => id !== ''),
    rejected: [],
  };
  const retry: SfRecord[] = [];
  const byId = new Map(records.map((record) => [String(record['Id']), record]));
  for (const row of failed) {
    const given = row['Id'];
    const id = given !== undefined && given !== '' ? given : (row['sf__Id'] ?? '');
    const error = row['sf__Error'] ?? 'UNKNOWN_ERROR:refused:--';
    const record = byId.get(id);
    if (error.startsWith(LOCKED) && record !== undefined) retry.push(record);
    else outcome.rejected.push({ id, error: error.replace(/:--$/, '') });
  }
  for (const row of unprocessed) {
    const record = byId.get(row['Id'] ?? '');
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

/**
 * API calls updating `count` records of one type is expected to cost, as the engine hands them
 * over (`WRITE_BATCH` at a time): collections of 200, or above the threshold one Bulk 2.0 job per
 * batch and object — open, upload, close, the polls its expected processing time takes
 * (`expectedPolls`), and the three result files. A type stored in `objects` objects (contacts:
 * Contacts and Leads) counts a job per object, each as long as the whole batch: an upper bound, as
 * the split is not known before the write. Retries (locked rows, lost answers) come on top.
 */
export function estimateWriteCalls(count: number, bulkThreshold: number, pollIntervalMs: number, objects = 1): number {
  let calls = 0;
  for (let left = count; left > 0; left -= WRITE_BATCH) {
    const batch = Math.min(left, WRITE_BATCH);
    calls += batch > bulkThreshold ? objects * bulkJobCalls(batch, pollIntervalMs) : Math.ceil(batch / COLLECTION_SIZE);
  }
  return calls;
}
