/**
 * The run queue on PostgreSQL: runs are jobs of pg-boss (https://github.com/timgit/pg-boss, v12),
 * in the same database as the store, so every worker serves every installation and a dead
 * worker's job goes to another. What it relies on (pg-boss's types and docs, dist/types.d.ts and
 * dist/plans.js of 12.38):
 *
 * - **One queue, policy `stately`, `singletonKey` = the installation**: "only allows 1 job per
 *   state, queued and/or active" per key (unique index on name, state, singleton_key for states up
 *   to active) — one run per installation at a time (fetch skips a key that has an active job), at
 *   most one waiting. A `send` refused because one waits returns null; the request is then merged
 *   into the waiting job's data, atomically across processes (pgboss-jobs.ts: `findJobs` and
 *   `update()` in one transaction under an advisory lock on the installation).
 * - **One job per tick, whichever worker's clock gets there first**: a scheduled request is sent
 *   with a deterministic job `id` (a UUID from installation, reason and slot). The insert is
 *   `ON CONFLICT DO NOTHING`, and finished jobs are kept `deleteAfterSeconds` (1 hour here), so the
 *   second worker's send of the same tick returns null whether the first job waits, runs or ended.
 *   A tick whose installation had a run started after its slot, or still going at it, is dropped
 *   when it comes up (coalesced into that run), so ticks never pile up behind a long run.
 * - **Retries with back-off**: `retryLimit` 3, `retryDelay` 30 s, `retryBackoff` (doubling, with
 *   jitter), set on the queue by every process that starts (`bringQueueToSettings`: `createQueue`
 *   keeps an existing queue's settings, so `updateQueue` brings it to this release's). The handler throws for a retryable failure and for a run that found the
 *   installation's lease held (a dead worker's lease, until it expires): pg-boss tries it again.
 * - **A killed worker**: jobs carry `heartbeatSeconds` (30 s; the worker refreshes it every half);
 *   pg-boss's supervisor fails a job whose heartbeat went stale and retries it on any worker.
 *   `expireInSeconds` (15 min) bounds a run beyond its 10-minute budget. The run's own lease
 *   (run.ts) stays the write guard: the retried run waits for it (retry) rather than writing twice.
 * - **Bounded**: RIGHTTOUCH_CONCURRENCY slots, each a `work()` of one job at a time, fetching the
 *   next job as soon as its run ends (`notifyWorker`) and woken by NOTIFY when idle.
 * - **The queue view** (`snapshot`, `GET /api/queue`): waiting jobs by pg-boss's `findJobs`, running
 *   and finished ones by the one statement that reads pg-boss's table (pgboss-jobs.ts).
 */
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import { PgBoss, type JobWithMetadata } from 'pg-boss';
import { emptyAffected, type Affected } from '../../connectors/hubspot/webhooks/events.ts';
import { errorMessage } from '../app/errors.ts';
import type { Store } from '../store/store.ts';
import type { QueueObserver } from './embedded-queue.ts';
import { mergeIntoWaiting, queueJobs, type JobView } from './pgboss-jobs.ts';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_RETRY_LIMIT,
  mergeRequests,
  retryable,
  type QueueEntry,
  type QueueSnapshot,
  type RunQueue,
  type RunReason,
  type RunRequest,
} from './queue.ts';
import { LEASE_HELD, type RunKind, type RunOutcome } from './run.ts';

export const SYNC_QUEUE = 'righttouch-sync';

export interface PgBossQueueOptions {
  readonly connectionString: string;
  /** pg-boss's schema (default `pgboss`). */
  readonly schema?: string | undefined;
  readonly store: Pick<Store, 'listRuns'>;
  readonly execute: (request: RunRequest, signal: AbortSignal) => Promise<RunOutcome>;
  /** Runs at once on this worker (default 4). */
  readonly concurrency?: number | undefined;
  /** False: this process only queues (`serve --no-worker`). Default true. */
  readonly work?: boolean | undefined;
  readonly retryDelayMs?: number | undefined;
  readonly retryLimit?: number | undefined;
  /** A job whose worker stopped refreshing it this long is retried elsewhere (default 30 s, at least 10). */
  readonly heartbeatSeconds?: number | undefined;
  /** How often pg-boss's supervisor looks for such jobs (default 10 s). */
  readonly superviseIntervalSeconds?: number | undefined;
  /** How often an idle worker polls (default 1 s). */
  readonly pollingIntervalSeconds?: number | undefined;
  readonly observer?: QueueObserver | undefined;
  readonly onError?: ((error: unknown) => void) | undefined;
  /** Told when an existing queue had other settings (bringQueueToSettings): what changed. */
  readonly onSettingsChanged?: ((message: string) => void) | undefined;
}

/** What this process sets on the queue (pg-boss's queue options). */
export interface QueueSettings {
  readonly retryLimit: number;
  /** Seconds. */
  readonly retryDelay: number;
  readonly retryBackoff: boolean;
  readonly expireInSeconds: number;
  readonly heartbeatSeconds: number;
  readonly deleteAfterSeconds: number;
  readonly notify: boolean;
}

/** A request as job data (JSON: the webhook sets and maps as arrays). */
interface JobData {
  readonly installationId: string;
  readonly reason: RunReason;
  readonly kind: RunKind;
  readonly slot?: number;
  readonly affected?: AffectedJson;
}

type Kinds<T> = Record<'companies' | 'contacts' | 'deals', T>;
interface AffectedJson extends Kinds<string[]> {
  readonly removals: Kinds<string[]>;
  readonly merges: Kinds<[string, string][]>;
  readonly erasures: string[];
}

const KINDS = ['companies', 'contacts', 'deals'] as const;

function toJson(affected: Affected): AffectedJson {
  const sets = <T>(pick: (kind: (typeof KINDS)[number]) => T): Kinds<T> => ({
    companies: pick('companies'),
    contacts: pick('contacts'),
    deals: pick('deals'),
  });
  return {
    ...sets((kind) => [...affected[kind]]),
    removals: sets((kind) => [...affected.removals[kind]]),
    merges: sets((kind) => [...affected.merges[kind]]),
    erasures: [...affected.erasures],
  };
}

/** Read leniently: whatever a job of an older release carried. */
function fromJson(json: Partial<AffectedJson> | undefined): Affected {
  const affected = emptyAffected();
  for (const kind of KINDS) {
    for (const id of json?.[kind] ?? []) affected[kind].add(id);
    for (const id of json?.removals?.[kind] ?? []) affected.removals[kind].add(id);
    for (const [loser, survivor] of json?.merges?.[kind] ?? []) affected.merges[kind].set(loser, survivor);
  }
  for (const id of json?.erasures ?? []) affected.erasures.add(id);
  return affected;
}

function toData(request: RunRequest): JobData {
  return {
    installationId: request.installationId,
    reason: request.reason,
    kind: request.kind,
    ...(request.slot === undefined ? {} : { slot: request.slot }),
    ...(request.affected === undefined ? {} : { affected: toJson(request.affected) }),
  };
}

function fromData(data: JobData): RunRequest {
  return {
    installationId: data.installationId,
    reason: data.reason,
    kind: data.kind === 'full' ? 'full' : 'incremental',
    ...(data.slot === undefined ? {} : { slot: data.slot }),
    ...(data.affected === undefined ? {} : { affected: fromJson(data.affected) }),
  };
}

/** The job id of a scheduled request: a UUID (version 8, name-based on SHA-256) from its key. */
export function tickJobId(installationId: string, reason: RunReason, slot: number): string {
  const hex = createHash('sha256').update(`${installationId}:${reason}:${slot}`).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The queue's settings this process runs with (all but its policy, `stately`, fixed at creation). */
export function queueSettings(
  options: Pick<PgBossQueueOptions, 'retryLimit' | 'retryDelayMs' | 'heartbeatSeconds'>,
): QueueSettings {
  return {
    retryLimit: options.retryLimit ?? DEFAULT_RETRY_LIMIT,
    retryDelay: Math.max(1, Math.round((options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) / 1000)),
    retryBackoff: true,
    expireInSeconds: 15 * 60,
    heartbeatSeconds: Math.max(10, options.heartbeatSeconds ?? 30),
    deleteAfterSeconds: 3600,
    notify: true,
  };
}

/**
 * Creates the queue, or brings an existing one to `settings`: pg-boss's `createQueue` leaves a
 * queue that exists as it is (its first creator's settings, e.g. an earlier release's retries, or
 * no NOTIFY), so `updateQueue` then writes ours (every setting but the policy and partitioning,
 * which pg-boss cannot change: UpdateQueueOptions in dist/types.d.ts of 12.38). Jobs sent from
 * then on, by any process, take them (pg-boss copies the queue's retry settings into each job as
 * it is inserted); jobs already waiting keep theirs. Workers started with different settings:
 * the last one started wins. `changed` hears what changed, e.g. `retryLimit 2 → 3`.
 */
export async function bringQueueToSettings(
  boss: Pick<PgBoss, 'createQueue' | 'getQueue' | 'updateQueue'>,
  settings: QueueSettings,
  changed?: (message: string) => void,
): Promise<void> {
  await boss.createQueue(SYNC_QUEUE, { policy: 'stately', ...settings });
  const current = await boss.getQueue(SYNC_QUEUE);
  const differences = (Object.keys(settings) as (keyof QueueSettings)[])
    .filter((key) => current?.[key] !== settings[key])
    .map((key) => `${key} ${String(current?.[key] ?? 'unset')} → ${String(settings[key])}`);
  if (differences.length === 0) return;
  await boss.updateQueue(SYNC_QUEUE, settings);
  changed?.(
    `the run queue's settings were ${differences.join(', ')} (another release's or worker's): now this worker's`,
  );
}

export async function createPgBossQueue(options: PgBossQueueOptions): Promise<RunQueue> {
  const schema = options.schema ?? 'pgboss';
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema,
    superviseIntervalSeconds: options.superviseIntervalSeconds ?? 10,
    monitorIntervalSeconds: options.superviseIntervalSeconds ?? 10,
    // The schedule is ours (ticker.ts): no cron in pg-boss.
    schedule: false,
    // Idle slots are woken by NOTIFY when a job is created (the queue's `notify`; one more
    // connection, LISTENing) instead of at their next poll; polling stays as the backstop (pg-boss
    // 12 types: `useListenNotify`, `notify`, `notifyPollingIntervalSeconds`).
    useListenNotify: true,
    max: concurrency + 5,
  });
  boss.on('error', (error) => {
    options.onError?.(error);
  });
  await boss.start();
  await bringQueueToSettings(boss, queueSettings(options), options.onSettingsChanged);

  const shutdown = new AbortController();
  const active = new Set<Promise<unknown>>();
  // One enqueue per installation at a time in this process (across processes: the merge's lock).
  const chains = new Map<string, Promise<void>>();
  // Our own connections, for the merges' and the queue view's transactions (pgboss-jobs.ts).
  const pool = new Pool({ connectionString: options.connectionString, max: 3 });
  pool.on('error', (error) => {
    options.onError?.(error);
  });

  async function send(request: RunRequest): Promise<void> {
    const scheduled = request.reason === 'tick' || request.reason === 'nightly';
    const id =
      scheduled && request.slot !== undefined
        ? tickJobId(request.installationId, request.reason, request.slot)
        : undefined;
    const sent = await boss.send(SYNC_QUEUE, toData(request), {
      singletonKey: request.installationId,
      ...(id === undefined ? {} : { id }),
    });
    if (sent !== null) return;
    // Refused: this tick's job exists already (another worker's clock), or one waits for the
    // installation. Merge into the waiting one (a tick into a waiting run changes nothing).
    const merged = await mergeIntoWaiting<JobData>(boss, pool, SYNC_QUEUE, request.installationId, (waiting, jobId) =>
      jobId === id ? undefined : toData(mergeRequests(fromData(waiting), request)),
    );
    if (merged) return;
    // It started meanwhile: send again, to wait behind it (a tick whose job exists stays refused).
    await boss.send(SYNC_QUEUE, toData(request), {
      singletonKey: request.installationId,
      ...(id === undefined ? {} : { id }),
    });
  }

  /** A tick is coalesced when its installation had a run going at or after the tick was due (src/jobs/README.md). */
  async function coveredAlready(request: RunRequest): Promise<boolean> {
    if (request.reason !== 'tick' || request.slot === undefined || request.affected !== undefined) return false;
    const [last] = await options.store.listRuns(request.installationId, 1);
    // Started after the tick was due, or ended after it (a killed worker's run never ends: not it).
    return (
      last !== undefined && (last.startedAt >= request.slot || (last.endedAt !== null && last.endedAt >= request.slot))
    );
  }

  async function handle(job: JobWithMetadata<JobData>): Promise<unknown> {
    const request = fromData(job.data);
    if (await coveredAlready(request)) return { status: 'skipped', reason: 'coalesced into a run already going' };
    const started = Date.now();
    // Waiting since it was queued (a tick: since it was due, which is when it was queued).
    options.observer?.started?.(request, Math.max(0, started - job.createdOn.getTime()));
    let outcome: RunOutcome;
    try {
      outcome = await options.execute(request, AbortSignal.any([job.signal, shutdown.signal]));
    } catch (error) {
      outcome = { status: 'failed', error: errorMessage(error), code: 'internal' };
    }
    options.observer?.finished?.(request, outcome, Date.now() - started);
    if (outcome.status === 'failed' && retryable(outcome)) throw new Error(outcome.error);
    if (outcome.status === 'skipped' && outcome.reason === LEASE_HELD) throw new Error(LEASE_HELD);
    return outcome.status === 'ran' ? { status: 'ran', runId: outcome.report.runId } : outcome;
  }

  if (options.work !== false) {
    // One pg-boss worker per slot (each `localConcurrency: 1`), so that a slot whose run ended can
    // be told to fetch the next job at once (`notifyWorker`): a slot otherwise waits out its polling
    // interval after every job, starting at most one job per interval — 4 a second, 240 runs a
    // minute for a worker, measured by bench:installations, whatever the backlog. An empty fetch
    // (nothing waiting) falls back to polling; a new job wakes idle slots by NOTIFY.
    for (let slot = 0; slot < concurrency; slot++) {
      const worker: { id?: string } = {};
      worker.id = await boss.work(
        SYNC_QUEUE,
        {
          localConcurrency: 1,
          batchSize: 1,
          includeMetadata: true,
          pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
          notifyPollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
        },
        async (jobs: JobWithMetadata<JobData>[]) => {
          const results: unknown[] = [];
          for (const job of jobs) {
            const run = handle(job);
            active.add(run);
            try {
              results.push(await run);
            } finally {
              active.delete(run);
            }
          }
          // Fetch again as soon as this job is completed, not after the polling interval.
          if (worker.id !== undefined && !shutdown.signal.aborted) boss.notifyWorker(worker.id);
          return results;
        },
      );
    }
  }

  async function snapshot(): Promise<QueueSnapshot> {
    const entry = (job: JobView<JobData>, state: QueueEntry['state'], since: Date): QueueEntry => ({
      installationId: job.installationId,
      state,
      reason: job.data.reason,
      kind: job.data.kind,
      since: since.getTime(),
      attempts: job.retryCount,
      ...(job.error === null ? {} : { lastError: job.error }),
      ...(state === 'retrying' ? { retryAt: job.startAfter.getTime() } : {}),
    });
    const { waiting, others } = await queueJobs<JobData>(boss, pool, schema, SYNC_QUEUE);
    const queued = waiting.map((job) => entry(job, job.state === 'retry' ? 'retrying' : 'queued', job.createdOn));
    const running: QueueEntry[] = [];
    const failing: QueueEntry[] = queued.filter((e) => e.state === 'retrying');
    for (const job of others) {
      if (job.state === 'active') running.push(entry(job, 'running', job.startedOn ?? job.createdOn));
      else if (job.state === 'failed' && !failing.some((e) => e.installationId === job.installationId)) {
        failing.push({ ...entry(job, 'failed', job.completedOn ?? job.createdOn), attempts: job.retryCount + 1 });
      }
    }
    const bySince = (a: QueueEntry, b: QueueEntry) => a.since - b.since;
    return { engine: 'pg-boss', concurrency, queued, running: running.sort(bySince), failing };
  }

  return {
    snapshot,
    enqueue(request) {
      if (shutdown.signal.aborted) return Promise.resolve();
      const key = request.installationId;
      const next = (chains.get(key) ?? Promise.resolve()).then(() => send(request));
      const settled = next.catch(() => undefined);
      chains.set(key, settled);
      void settled.then(() => {
        if (chains.get(key) === settled) chains.delete(key);
      });
      return next;
    },

    async idle() {
      for (;;) {
        const current = await snapshot();
        const now = Date.now();
        const due = current.queued.some((entry) => entry.retryAt === undefined || entry.retryAt <= now + 1000);
        if ((!due && current.running.length === 0) || shutdown.signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    async stop() {
      shutdown.abort();
      await Promise.allSettled([...chains.values()]);
      await boss.stop({ graceful: true, timeout: 30_000, close: true });
      await Promise.allSettled([...active]);
      await pool.end();
    },
  };
}
