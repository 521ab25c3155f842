/**
 * The embedded run queue (SQLite, one process): the rules of queue.ts kept in memory, the runs
 * bounded by a p-queue (https://github.com/sindresorhus/p-queue, v10: `new PQueue({concurrency})`,
 * `add`, `onIdle`, `clear`). Each installation has at most one task in the p-queue at a time — its
 * waiting request, merged — so the p-queue's FIFO order is fair across installations.
 * What is queued is lost with the process; the schedule (ticker.ts) asks again at the next tick,
 * and the store's cursors mean nothing read is lost.
 */
import PQueue from 'p-queue';
import { errorMessage } from '../app/errors.ts';
import {
  backoffMs,
  DEFAULT_CONCURRENCY,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_RETRY_LIMIT,
  mergeRequests,
  retryable,
  type QueueEntry,
  type RunQueue,
  type RunRequest,
} from './queue.ts';
import { LEASE_HELD, type RunOutcome } from './run.ts';

/** What an observer hears of a run's outcome: a RunOutcome, or its status without the report. */
export type ObservedOutcome = Exclude<RunOutcome, { status: 'ran' }> | { readonly status: 'ran' };

/** Hears each run start and end (Prometheus metrics: src/server/metrics.ts). */
export interface QueueObserver {
  started?(request: RunRequest, waitedMs: number): void;
  finished?(request: RunRequest, outcome: ObservedOutcome, durationMs: number): void;
}

export interface EmbeddedQueueOptions {
  /** Runs one request; `signal` is aborted by stop() (pass it to runInstallationSync's deps). */
  readonly execute: (request: RunRequest, signal: AbortSignal) => Promise<RunOutcome>;
  /** Runs at once at most (default 4). */
  readonly concurrency?: number | undefined;
  /** The first retry's delay; each further one doubles it (default 30 s). */
  readonly retryDelayMs?: number | undefined;
  /** Retries of a failing request before it waits for the next tick (default 3). */
  readonly retryLimit?: number | undefined;
  /** How long a webhook/"sync now" request waits when another process has the installation (default 5 s). */
  readonly leaseHeldDelayMs?: number | undefined;
  readonly now?: (() => number) | undefined;
  readonly observer?: QueueObserver | undefined;
}

interface Waiting {
  request: RunRequest;
  since: number;
  attempts: number;
  lastError: string | undefined;
  retryAt: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Its task is in the p-queue. */
  submitted: boolean;
}

interface Slot {
  waiting: Waiting | undefined;
  running: { readonly request: RunRequest; readonly since: number; readonly attempts: number } | undefined;
  /** The last failure (and the request that failed), until a run succeeds. */
  failed: { attempts: number; error: string; at: number; request: RunRequest } | undefined;
}

export function createEmbeddedQueue(options: EmbeddedQueueOptions): RunQueue {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const retryLimit = options.retryLimit ?? DEFAULT_RETRY_LIMIT;
  const leaseHeldDelayMs = options.leaseHeldDelayMs ?? 5000;
  const now = options.now ?? Date.now;
  const pqueue = new PQueue({ concurrency });
  const shutdown = new AbortController();
  const slots = new Map<string, Slot>();
  /** A function, so that TypeScript does not narrow it across awaits. */
  const stopping = (): boolean => shutdown.signal.aborted;

  const slotOf = (id: string): Slot => {
    let slot = slots.get(id);
    if (slot === undefined) {
      slot = { waiting: undefined, running: undefined, failed: undefined };
      slots.set(id, slot);
    }
    return slot;
  };
  const forget = (id: string, slot: Slot): void => {
    if (slot.waiting === undefined && slot.running === undefined && slot.failed === undefined) slots.delete(id);
  };

  function submit(id: string, waiting: Waiting): void {
    if (waiting.submitted || shutdown.signal.aborted) return;
    waiting.submitted = true;
    void pqueue.add(() => execute(id));
  }

  function later(id: string, waiting: Waiting, delayMs: number): void {
    waiting.retryAt = now() + delayMs;
    waiting.timer = setTimeout(() => {
      waiting.timer = undefined;
      waiting.retryAt = undefined;
      if (slots.get(id)?.running === undefined) submit(id, waiting);
    }, delayMs);
    waiting.timer.unref();
  }

  async function execute(id: string): Promise<void> {
    const slot = slots.get(id);
    const waiting = slot?.waiting;
    if (slot === undefined || waiting === undefined || shutdown.signal.aborted) return;
    slot.waiting = undefined;
    const { request } = waiting;
    const started = now();
    slot.running = { request, since: started, attempts: waiting.attempts };
    options.observer?.started?.(request, Math.max(0, started - waiting.since));
    let outcome: RunOutcome;
    try {
      outcome = await options.execute(request, shutdown.signal);
    } catch (error) {
      outcome = { status: 'failed', error: errorMessage(error), code: 'internal' };
    }
    slot.running = undefined;
    options.observer?.finished?.(request, outcome, Math.max(0, now() - started));
    if (stopping()) return;
    const again = (attempts: number, lastError: string | undefined, delayMs: number): void => {
      const merged = slot.waiting === undefined ? request : mergeRequests(request, slot.waiting.request);
      if (slot.waiting?.timer !== undefined) clearTimeout(slot.waiting.timer);
      const next: Waiting = {
        request: merged,
        since: slot.waiting?.since ?? now(),
        attempts,
        lastError,
        retryAt: undefined,
        timer: undefined,
        submitted: false,
      };
      slot.waiting = next;
      later(id, next, delayMs);
    };
    if (outcome.status === 'failed') {
      const attempts = waiting.attempts + 1;
      slot.failed = { attempts, error: outcome.error, at: now(), request };
      if (retryable(outcome) && attempts <= retryLimit) {
        again(attempts, outcome.error, backoffMs(attempts, retryDelayMs));
        return;
      }
    } else if (outcome.status === 'skipped' && outcome.reason === LEASE_HELD && request.reason !== 'tick') {
      // Another process (a CLI sync) has it: this request's changes may come after what it read.
      again(waiting.attempts, waiting.lastError, leaseHeldDelayMs);
      return;
    } else if (outcome.status === 'ran') {
      slot.failed = undefined;
    }
    // A request that came during the run (TypeScript cannot see that `enqueue` set it meanwhile).
    const next = slot.waiting as Waiting | undefined;
    if (next !== undefined && next.timer === undefined) submit(id, next);
    forget(id, slot);
  }

  const entry = (id: string, state: QueueEntry['state'], w: Waiting): QueueEntry => ({
    installationId: id,
    state,
    reason: w.request.reason,
    kind: w.request.kind,
    since: w.since,
    attempts: w.attempts,
    ...(w.lastError === undefined ? {} : { lastError: w.lastError }),
    ...(w.retryAt === undefined ? {} : { retryAt: w.retryAt }),
  });

  return {
    enqueue(request) {
      if (shutdown.signal.aborted) return Promise.resolve();
      const id = request.installationId;
      const slot = slotOf(id);
      if (slot.waiting !== undefined) {
        slot.waiting.request = mergeRequests(slot.waiting.request, request);
        // An admin's "sync now" does not wait out a retry's back-off.
        if (request.reason === 'now' && slot.waiting.timer !== undefined) {
          clearTimeout(slot.waiting.timer);
          slot.waiting.timer = undefined;
          slot.waiting.retryAt = undefined;
          if (slot.running === undefined) submit(id, slot.waiting);
        }
        return Promise.resolve();
      }
      // A tick while the installation's run goes: that run reads what the tick would.
      if (slot.running !== undefined && request.reason === 'tick') return Promise.resolve();
      const waiting: Waiting = {
        request,
        since: now(),
        attempts: 0,
        lastError: undefined,
        retryAt: undefined,
        timer: undefined,
        submitted: false,
      };
      slot.waiting = waiting;
      if (slot.running === undefined) submit(id, waiting);
      return Promise.resolve();
    },

    snapshot() {
      const queued: QueueEntry[] = [];
      const running: QueueEntry[] = [];
      const failing: QueueEntry[] = [];
      for (const [id, slot] of slots) {
        const w = slot.waiting;
        if (w !== undefined) queued.push(entry(id, w.timer === undefined ? 'queued' : 'retrying', w));
        if (slot.running !== undefined) {
          const { request, since, attempts } = slot.running;
          running.push({
            installationId: id,
            state: 'running',
            reason: request.reason,
            kind: request.kind,
            since,
            attempts,
          });
        }
        if (slot.failed !== undefined) {
          const request = w?.request ?? slot.running?.request ?? slot.failed.request;
          failing.push({
            installationId: id,
            state: w?.timer !== undefined ? 'retrying' : 'failed',
            reason: request.reason,
            kind: request.kind,
            since: slot.failed.at,
            attempts: slot.failed.attempts,
            lastError: slot.failed.error,
            ...(w?.retryAt === undefined ? {} : { retryAt: w.retryAt }),
          });
        }
      }
      const bySince = (a: QueueEntry, b: QueueEntry) => a.since - b.since;
      return Promise.resolve({
        engine: 'embedded',
        concurrency,
        queued: queued.sort(bySince),
        running: running.sort(bySince),
        failing: failing.sort(bySince),
      });
    },

    async idle() {
      for (;;) {
        await pqueue.onIdle();
        const busy = [...slots.values()].some(
          (slot) => slot.running !== undefined || (slot.waiting !== undefined && slot.waiting.timer === undefined),
        );
        if (!busy || shutdown.signal.aborted) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },

    async stop() {
      shutdown.abort();
      pqueue.clear();
      for (const slot of slots.values()) if (slot.waiting?.timer !== undefined) clearTimeout(slot.waiting.timer);
      await pqueue.onIdle();
    },
  };
}
