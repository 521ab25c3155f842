/**
 * The run queue: every sync of an installation — a scheduled tick, the nightly reconcile, a
 * webhook's or a Change Data Capture nudge's run, an admin's "sync now" — is a request put on one
 * queue, and the queue's engine runs them: the embedded one in this process (SQLite,
 * embedded-queue.ts) or pg-boss on PostgreSQL (pgboss-queue.ts). Both keep the same rules:
 *
 * - **One run per installation at a time, deduplicated.** A request for an installation that has
 *   one waiting is merged into it (`mergeRequests`: full wins, webhook records add up); one for an
 *   installation whose run is going becomes at most one follow-up run after it. A scheduled tick
 *   that finds a run going is dropped (coalesced): the running incremental run already reads what
 *   the tick would.
 * - **Bounded and fair.** At most `concurrency` runs at once per worker (RIGHTTOUCH_CONCURRENCY);
 *   since an installation has at most one request waiting, a busy portal cannot take more than one
 *   slot, and requests run oldest first.
 * - **Failures back off and show.** A failed run is tried again after a growing delay (30 s, 60 s,
 *   120 s by default), then given up until the next tick; `snapshot()` lists the installation with
 *   its error meanwhile (the admin API's `GET /api/queue`).
 */
import { copyAffected, mergeAffected, type Affected } from '../../connectors/hubspot/webhooks/events.ts';
import type { RunOutcome } from './run.ts';
import type { QueueSnapshot, RunKind, RunReason } from './queue-view.ts';

export type { QueueEntry, QueueSnapshot, RunReason } from './queue-view.ts';

export interface RunRequest {
  readonly installationId: string;
  readonly reason: RunReason;
  readonly kind: RunKind;
  /** A webhook's (or several merged webhooks') records, removals, merges and erasures. */
  readonly affected?: Affected | undefined;
  /** A scheduled request's slot (epoch ms it was due at): its key, see schedule.ts. */
  readonly slot?: number | undefined;
}

/** Runs one request (for `serve`: applies webhook removals, syncs, records metrics). Never throws. */
export type RunExecutor = (request: RunRequest) => Promise<RunOutcome>;

export interface RunQueue {
  /** Puts a request on the queue (merged, coalesced or dropped as above); resolves once it is recorded. */
  enqueue(request: RunRequest): Promise<void>;
  /** What is queued, running and failing now. */
  snapshot(): Promise<QueueSnapshot>;
  /** Resolves when nothing this worker can run is queued, retrying soon or running (tests). */
  idle(): Promise<void>;
  /** Takes no new work, stops the runs under way at their next page, and waits for them. */
  stop(): Promise<void>;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_RETRY_DELAY_MS = 30_000;
export const DEFAULT_RETRY_LIMIT = 3;

/** Failures not worth trying again soon: the admin must act, or the next run picks up anyway. */
export function retryable(outcome: RunOutcome): boolean {
  return (
    outcome.status === 'failed' && !['needs_reconnect', 'not_found', 'bad_input', 'stopped'].includes(outcome.code)
  );
}

/** The delay before retry number `attempt` (1, 2, …): doubling from `baseMs`. */
export function backoffMs(attempt: number, baseMs: number): number {
  return baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 16);
}

/**
 * Two requests for one installation as one: full when either is; by id (`webhook`) only when both
 * are webhook runs (otherwise the run reads everything changed, which covers the records too); the
 * webhook records, removals, merges and erasures of both in any case; the earlier slot.
 */
export function mergeRequests(queued: RunRequest, incoming: RunRequest): RunRequest {
  const kind: RunKind = queued.kind === 'full' || incoming.kind === 'full' ? 'full' : 'incremental';
  const reason: RunReason =
    queued.reason === incoming.reason
      ? queued.reason
      : kind === 'full'
        ? queued.kind === 'full'
          ? queued.reason
          : incoming.reason
        : queued.reason === 'webhook'
          ? incoming.reason
          : queued.reason;
  let affected: Affected | undefined;
  if (queued.affected !== undefined) affected = copyAffected(queued.affected);
  if (incoming.affected !== undefined) {
    affected = affected === undefined ? copyAffected(incoming.affected) : mergeAffected(affected, incoming.affected);
  }
  const slot = queued.slot ?? incoming.slot;
  return {
    installationId: queued.installationId,
    reason,
    kind,
    ...(affected === undefined ? {} : { affected }),
    ...(slot === undefined ? {} : { slot }),
  };
}
