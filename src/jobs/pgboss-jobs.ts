/**
 * What the pg-boss run queue (pgboss-queue.ts) does with pg-boss's jobs beyond `send` and `work`,
 * against pg-boss v12 (12.38: its dist/types.d.ts, manager.js and plans.js):
 *
 * - **Merging into the waiting job is atomic across processes.** One transaction on our own
 *   connection, passed to pg-boss as `db` (its `ConnectionOptions`), takes a transaction-level
 *   advisory lock on the installation (`pg_advisory_xact_lock`), reads the installation's waiting
 *   job with `findJobs({ key, queued: true })` and writes the merged data with `update({ id })`.
 *   Two processes merging into one job take turns, and the second reads what the first wrote
 *   (READ COMMITTED: a statement sees what committed before it began). A worker that claims the
 *   job meanwhile takes no such lock, but pg-boss's `update` only changes jobs not yet active
 *   (`state < 'active'`, plans.js updateJob) and its claim skips a row locked by our update
 *   (`FOR UPDATE SKIP LOCKED`): either the run gets the merged data, or `update` reports 0 jobs
 *   and the caller sends the request again, to wait behind the run.
 * - **The queue view.** Waiting and retrying jobs come from `findJobs({ queued: true })`, paged.
 *   Running jobs and each installation's last finished one have no public API (findJobs filters
 *   by `queued` only, and listing every job would read every finished job kept for an hour: 60,000
 *   at 1,000 installations on a 1-minute cadence), so `runningAndFinished` reads them with one
 *   statement from the queue's table — the one place that names pg-boss's columns
 *   (test/jobs/pgboss-jobs.test.ts fails if they change, comparing it with `findJobs`). Both reads
 *   are one REPEATABLE READ transaction, so the view is of one moment.
 */
import { escapeIdentifier, type Pool, type PoolClient } from 'pg';
import type { Db, JobWithMetadata, PgBoss } from 'pg-boss';

/** A job as the queue view reads it, from either source. */
export interface JobView<T> {
  readonly id: string;
  readonly installationId: string;
  readonly state: JobWithMetadata['state'];
  readonly data: T;
  readonly retryCount: number;
  readonly startAfter: Date;
  readonly createdOn: Date;
  readonly startedOn: Date | null;
  readonly completedOn: Date | null;
  /** The failed attempt's error (pg-boss keeps a thrown error's message in the job's output). */
  readonly error: string | null;
}

const PAGE = 1000;

function viewOf<T>(job: JobWithMetadata<T>, installationId: string): JobView<T> {
  const output = job.output as { message?: unknown } | null;
  // Typed as a Date; null until the job first starts.
  const startedOn: unknown = job.startedOn;
  return {
    id: job.id,
    installationId,
    state: job.state,
    data: job.data,
    retryCount: job.retryCount,
    startAfter: job.startAfter,
    createdOn: job.createdOn,
    startedOn: startedOn instanceof Date ? startedOn : null,
    completedOn: job.completedOn,
    error: typeof output?.message === 'string' ? output.message : null,
  };
}

/** The waiting and retrying jobs of the queue, oldest first (pg-boss's findJobs, page by page). */
async function waitingJobs<T>(boss: PgBoss, db: Db, queue: string): Promise<JobView<T>[]> {
  const views: JobView<T>[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await boss.findJobs<T>(queue, {
      queued: true,
      limit: PAGE,
      db,
      ...(after === undefined ? {} : { after }),
    });
    for (const job of page) if (job.singletonKey !== null) views.push(viewOf(job, job.singletonKey));
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) return views;
    after = last.id;
  }
}

interface Row {
  id: string;
  state: JobWithMetadata['state'];
  singleton_key: string;
  data: unknown;
  retry_count: number;
  start_after: Date;
  created_on: Date;
  started_on: Date | null;
  completed_on: Date | null;
  error: string | null;
}

/**
 * The running jobs of the queue, and each installation's last job finished in the past hour
 * (completed or failed). pg-boss 12.38's own table and column names (plans.js: `create table job`;
 * a queue created without `partition` keeps its jobs in `<schema>.job`).
 */
export async function runningAndFinished<T>(db: Db, schema: string, queue: string): Promise<JobView<T>[]> {
  const table = `${escapeIdentifier(schema)}.job`;
  const columns = `id, state::text AS state, singleton_key, data, retry_count, start_after, created_on, started_on,
                   completed_on, output->>'message' AS error`;
  const result = await db.executeSql(
    `SELECT ${columns} FROM ${table}
      WHERE name = $1 AND singleton_key IS NOT NULL AND state = 'active'
     UNION ALL
     (SELECT DISTINCT ON (singleton_key) ${columns} FROM ${table}
       WHERE name = $1 AND singleton_key IS NOT NULL AND state IN ('completed', 'failed')
         AND completed_on > now() - interval '1 hour'
       ORDER BY singleton_key, completed_on DESC)`,
    [queue],
  );
  return (result.rows as Row[]).map((row) => ({
    id: row.id,
    installationId: row.singleton_key,
    state: row.state,
    data: row.data as T,
    retryCount: row.retry_count,
    startAfter: row.start_after,
    createdOn: row.created_on,
    startedOn: row.started_on,
    completedOn: row.completed_on,
    error: row.error,
  }));
}

/** `work` in one transaction on a connection of `pool`, as pg-boss's `db`. */
async function inTransaction<T>(
  pool: Pool,
  begin: string,
  work: (db: Db, client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work({ executeSql: (text, values) => client.query(text, values) }, client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The queue's waiting jobs and its running and finished ones, as of one moment (one REPEATABLE READ
 * transaction): a job that starts or fails between the two reads is neither lost nor shown twice.
 */
export function queueJobs<T>(
  boss: PgBoss,
  pool: Pool,
  schema: string,
  queue: string,
): Promise<{ waiting: JobView<T>[]; others: JobView<T>[] }> {
  return inTransaction(pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (db) => ({
    waiting: await waitingJobs<T>(boss, db, queue),
    others: await runningAndFinished<T>(db, schema, queue),
  }));
}

/**
 * Merges into the installation's waiting job, atomically (see above): `merge` gets its data and id
 * and returns the new data, or undefined to leave it. False when no job waits any more (none did,
 * or a worker claimed it meanwhile): the caller sends the request again.
 */
export function mergeIntoWaiting<T extends object>(
  boss: PgBoss,
  pool: Pool,
  queue: string,
  key: string,
  merge: (waiting: T, id: string) => T | undefined,
): Promise<boolean> {
  return inTransaction(pool, 'BEGIN', async (db, client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`pg-boss merge ${queue} ${key}`]);
    const [waiting] = await boss.findJobs<T>(queue, { key, queued: true, limit: 1, db });
    if (waiting === undefined) return false;
    const data = merge(waiting.data, waiting.id);
    return data === undefined || (await boss.update(queue, data, { id: waiting.id, db })).updated > 0;
  });
}
