/**
 * One Bulk API 2.0 update job, each step retried the way the job's state allows. The calls go
 * through `conn.request` (not jsforce's IngestJobV2, whose requests bypass it), so each one is
 * counted, checked against the daily reserve first, and updates `conn.limitInfo` from its
 * `Sforce-Limit-Info` header; jsforce's own retries are off (`NO_JSFORCE_RETRY`): it would repeat the
 * PUT of the data on a dropped connection, and Salesforce refuses a second upload to a job.
 *
 * - open (POST /jobs/ingest): when the answer is lost the job may exist all the same, Open and
 *   empty. Before opening another, the Open update jobs on this object created by this user since
 *   the first attempt (an hour's margin for clock skew) are aborted — Get All Jobs has no filter but
 *   the job type, and a job carries no tag of ours.
 * - upload (PUT …/batches): a job takes its data once. When the answer is lost the data may have
 *   landed or not; either way this job cannot take it again: it is aborted (an Open job that is
 *   aborted processes nothing) and a new job is opened for the data.
 * - close (PATCH state=UploadComplete): when the answer is lost, or Salesforce refuses the change,
 *   the job's state decides: UploadComplete, InProgress, JobComplete or Failed mean the close landed;
 *   Open means it did not, and it is sent again.
 * - poll (GET the job): idempotent, retried. Every poll is an API call against the org's daily
 *   allocation (every REST call counts: Salesforce limits cheatsheet, API Request Limits and Allocations): the interval starts at
 *   `bulkPoll.intervalMs` (2 s) and grows by half at each poll up to 30 s, and the reserve is checked
 *   before each one, from the usage the previous answer reported. A job is not started when fewer
 *   calls than it needs at least (7) are left above the reserve; when the reserve is reached while
 *   polling, the run stops and says which job was left running.
 * - results (GET …/successfulResults, failedResults, unprocessedrecords): idempotent, retried.
 *
 * Sources: jsforce `src/api/bulk2.ts` (the calls IngestJobV2 makes), `src/connection.ts` (only
 * `request` updates `limitInfo`), `src/request.ts` (its retries); Salesforce's Bulk API 2.0 pages
 * "Job States", "Get Information About All Ingest Jobs" (1,000 a page, `nextRecordsUrl`), "Upload
 * Complete", "Abort a Job".
 */
import type { HttpMethods, Record as SfRecord } from 'jsforce';
import { SalesforceBudgetError, type SalesforceContext } from './context.ts';
import { backoff, CALL_RETRIES, isTransient, NO_JSFORCE_RETRY, withRetries } from './retry.ts';

export interface JobInfo {
  readonly id: string;
  readonly state: string;
  readonly object?: string;
  readonly operation?: string;
  readonly createdById?: string;
  readonly createdDate?: string;
  readonly errorMessage?: string;
}

interface JobList {
  readonly done?: boolean;
  readonly records?: readonly JobInfo[];
  readonly nextRecordsUrl?: string | null;
}

export type ResultRow = Readonly<Record<string, string>>;

export interface BulkResults {
  readonly jobId: string;
  readonly successful: readonly ResultRow[];
  readonly failed: readonly ResultRow[];
  readonly unprocessed: readonly ResultRow[];
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** Jobs created this long before our first open attempt still count as possibly ours (clock skew). */
const ORPHAN_MARGIN_MS = 60 * 60_000;
/** Get All Jobs pages read when looking for an orphan (1,000 jobs a page). */
const MAX_LIST_PAGES = 5;
const POLL_BACKOFF = 1.5;
export const MAX_POLL_INTERVAL_MS = 30_000;
const CLOSED = new Set(['UploadComplete', 'InProgress', 'JobComplete', 'Failed']);
/** The fewest calls a job takes: open, upload, close, one poll, three result files. */
export const MIN_JOB_CALLS = 7;

/** The waits between polls: `intervalMs`, then half as long again each time, up to 30 s. */
export function* pollDelays(intervalMs: number): Generator<number, never> {
  const cap = Math.max(intervalMs, MAX_POLL_INTERVAL_MS);
  for (let delay = intervalMs; ; delay = Math.min(cap, Math.round(delay * POLL_BACKOFF))) yield delay;
}

function jobsPath(context: SalesforceContext): string {
  return `/services/data/v${context.conn.version}/jobs/ingest`;
}

/** One request, without jsforce's retries (the caller decides). Not counted: wrap in `context.call`. */
function send<T>(context: SalesforceContext, method: HttpMethods, url: string, body?: string, type?: string) {
  return context.conn.request<T>(
    {
      method,
      url,
      ...(body === undefined ? {} : { body, headers: { 'Content-Type': type ?? JSON_TYPE } }),
    },
    NO_JSFORCE_RETRY,
  );
}

function cell(value: unknown): string {
  // Bulk CSV: an empty cell leaves the field alone, #N/A clears it (collections clear on "" / null).
  if (value === null || value === '') return '#N/A';
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) || text === '#N/A' ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The records as one CSV (LF, comma): the columns are every field any record has, Id first. */
export function toCsv(records: readonly SfRecord[]): string {
  const columns = ['Id'];
  const seen = new Set(columns);
  for (const record of records) {
    for (const key of Object.keys(record)) {
      if (!seen.has(key) && key !== 'attributes') {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  const lines = [columns.join(',')];
  for (const record of records) lines.push(columns.map((column) => cell(record[column])).join(','));
  return `${lines.join('\n')}\n`;
}

function getJob(context: SalesforceContext, id: string): Promise<JobInfo> {
  return withRetries(context, () => send<JobInfo>(context, 'GET', `${jobsPath(context)}/${id}`));
}

/**
 * Moves a job to UploadComplete or Aborted. When the answer is lost or the change refused, the
 * job's state says whether it happened; only an Open job is sent the change again.
 */
async function setState(context: SalesforceContext, id: string, target: 'UploadComplete' | 'Aborted') {
  for (let attempt = 0; ; attempt++) {
    try {
      return await context.call(() =>
        send<JobInfo>(context, 'PATCH', `${jobsPath(context)}/${id}`, JSON.stringify({ state: target })),
      );
    } catch (error) {
      const transient = isTransient(error);
      const refused = (error as { errorCode?: unknown }).errorCode === 'INVALIDJOBSTATE';
      if (error instanceof SalesforceBudgetError || (!transient && !refused)) throw error;
      if (transient) await context.sleep(backoff(attempt));
      const job = await getJob(context, id);
      if (target === 'UploadComplete' ? CLOSED.has(job.state) : job.state === 'Aborted') return job;
      if (target === 'Aborted' && (job.state === 'JobComplete' || job.state === 'Failed')) return job;
      if (job.state !== 'Open' || attempt >= CALL_RETRIES) {
        throw new Error(`Salesforce Bulk API job ${id} is ${job.state}: it cannot be set to ${target}`, {
          cause: error,
        });
      }
    }
  }
}

/** Aborts the Open update jobs on `object` this user created since `since` (epoch ms): orphans of a lost open. */
async function abortOrphans(context: SalesforceContext, object: string, since: number): Promise<string[]> {
  const me = (await context.userInfo()).user_id.slice(0, 15);
  const aborted: string[] = [];
  let url: string | undefined = `${jobsPath(context)}?jobType=V2Ingest`;
  for (let page = 0; url !== undefined && page < MAX_LIST_PAGES; page++) {
    const pageUrl: string = url;
    const list = await withRetries(context, () => send<JobList>(context, 'GET', pageUrl));
    for (const job of list.records ?? []) {
      const created = Date.parse(job.createdDate ?? '');
      if (
        job.state === 'Open' &&
        job.object === object &&
        job.operation === 'update' &&
        job.createdById?.slice(0, 15) === me &&
        !(created < since)
      ) {
        await setState(context, job.id, 'Aborted');
        aborted.push(job.id);
      }
    }
    url = list.done === false && typeof list.nextRecordsUrl === 'string' ? list.nextRecordsUrl : undefined;
  }
  return aborted;
}

async function open(context: SalesforceContext, object: string): Promise<JobInfo> {
  const since = Date.now() - ORPHAN_MARGIN_MS;
  const body = JSON.stringify({ object, operation: 'update', contentType: 'CSV', lineEnding: 'LF' });
  for (let attempt = 0; ; attempt++) {
    try {
      return await context.call(() => send<JobInfo>(context, 'POST', jobsPath(context), body));
    } catch (error) {
      if (!isTransient(error)) throw error;
      // The job may exist with only its answer lost: abort it before opening another.
      if (attempt < CALL_RETRIES) await context.sleep(backoff(attempt));
      await abortOrphans(context, object, since);
      if (attempt >= CALL_RETRIES) throw error;
    }
  }
}

/** Uploads to a new job; a failed upload's job is aborted and the data goes to another new job. */
async function openAndUpload(context: SalesforceContext, object: string, csv: string): Promise<JobInfo> {
  for (let attempt = 0; ; attempt++) {
    const job = await open(context, object);
    try {
      await context.call(() =>
        send<unknown>(context, 'PUT', `${jobsPath(context)}/${job.id}/batches`, csv, 'text/csv'),
      );
      return job;
    } catch (error) {
      // Landed or not, the data cannot go to this job again: abort it, so it never runs.
      if (!(error instanceof SalesforceBudgetError)) await setState(context, job.id, 'Aborted');
      if (attempt >= CALL_RETRIES || !isTransient(error)) throw error;
      await context.sleep(backoff(attempt));
    }
  }
}

/** Polls until the job is finished; stops before a poll that would eat into the reserve. */
async function poll(context: SalesforceContext, id: string): Promise<JobInfo> {
  const delays = pollDelays(context.bulkPoll.intervalMs);
  let waited = 0;
  for (;;) {
    let job: JobInfo;
    try {
      job = await getJob(context, id);
    } catch (error) {
      if (!(error instanceof SalesforceBudgetError)) throw error;
      throw new SalesforceBudgetError(
        `${error.message}. Bulk API job ${id} was left running in Salesforce: its writes land, and the ` +
          'next run writes those records again',
        { cause: error },
      );
    }
    if (job.state === 'JobComplete' || job.state === 'Failed' || job.state === 'Aborted') return job;
    if (job.state === 'Open') throw new Error(`Salesforce Bulk API job ${id} is still Open after it was closed`);
    const delay = delays.next().value;
    if (waited + delay > context.bulkPoll.timeoutMs) {
      throw new Error(
        `Salesforce Bulk API job ${id} still ${job.state} after ${Math.round(waited / 1000)} s; ` +
          'it keeps running there, and the next run writes those records again',
      );
    }
    await context.sleep(delay);
    waited += delay;
  }
}

function rows(body: unknown): ResultRow[] {
  return Array.isArray(body) ? (body as ResultRow[]) : [];
}

/** Runs one update job for `records` of `object` and returns its result rows. */
export async function runUpdateJob(
  context: SalesforceContext,
  object: string,
  records: readonly SfRecord[],
): Promise<BulkResults> {
  // A job that cannot be seen through is not started: it would run on with nobody reading its results.
  const left = context.callsLeft();
  if (left !== undefined && left < MIN_JOB_CALLS) {
    throw new SalesforceBudgetError(
      `stopped to spare the org's API allocation: ${left} calls left before RightTouch's reserve (SF_API_RESERVE), ` +
        `and a Bulk API job of ${records.length} ${object} records takes at least ${MIN_JOB_CALLS}; the next run resumes`,
    );
  }
  const job = await openAndUpload(context, object, toCsv(records));
  await setState(context, job.id, 'UploadComplete');
  const done = await poll(context, job.id);
  if (done.state !== 'JobComplete') {
    throw new Error(
      `Salesforce Bulk API job ${job.id} ended ${done.state}${done.errorMessage === undefined ? '' : `: ${done.errorMessage}`}`,
    );
  }
  const result = (kind: string) =>
    withRetries(context, () => send<unknown>(context, 'GET', `${jobsPath(context)}/${job.id}/${kind}`)).then(rows);
  return {
    jobId: job.id,
    successful: await result('successfulResults'),
    failed: await result('failedResults'),
    unprocessed: await result('unprocessedrecords'),
  };
}

/** Expected processing: 30 s in Salesforce's queue, then a minute per internal batch of 10,000 records. */
export const EXPECTED_QUEUE_MS = 30_000;
export const EXPECTED_MS_PER_BATCH = 60_000;

/** Polls a job of `records` records is expected to take: until the expected processing time has passed, plus the first. */
export function expectedPolls(records: number, intervalMs: number): number {
  const expected = EXPECTED_QUEUE_MS + Math.ceil(records / 10_000) * EXPECTED_MS_PER_BATCH;
  const delays = pollDelays(intervalMs);
  let polls = 1;
  for (let waited = 0; waited < expected; polls++) waited += delays.next().value;
  return polls;
}

/** API calls one update job of `records` records is expected to cost: open, upload, close, the polls, 3 result files. */
export function bulkJobCalls(records: number, intervalMs: number): number {
  return 3 + expectedPolls(records, intervalMs) + 3;
}
