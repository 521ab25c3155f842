/**
 * The messages between `serve`'s HTTP thread and its runs' thread (run-thread.ts,
 * run-thread-entry.ts), types only. Everything crosses by structured clone
 * (https://nodejs.org/api/worker_threads.html#portpostmessagevalue-transferlist): plain data,
 * Sets and Maps (a webhook request's records), no functions — so the thread builds its own store
 * connection, credentials and runner from `RunThreadData`, and sends back what the HTTP thread must
 * record: log lines, metrics observations, uninstalls.
 */
import type { Installation } from '../store/store.ts';
import type { ObservedOutcome, QueueSnapshot, RunRequest } from '../jobs/index.ts';
import type { RunFigures } from './metrics.ts';

/** What the thread starts from (`workerData`). */
export interface RunThreadData {
  /** The environment as `serve` got it (parsed again there: concurrency, nightly window, CRM apps). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The SQLite file (the thread opens its own connection to it). */
  readonly dataFile: string;
  /** The key that seals the tokens (src/store/secrets.ts). */
  readonly key: Uint8Array;
  /** The server logger's level: the thread's lines below it are not even sent. */
  readonly level: string;
  readonly tickIntervalMs?: number | undefined;
  readonly retryDelayMs?: number | undefined;
  readonly leaseTtlMs?: number | undefined;
}

/** A call of the HTTP thread's RunQueue, answered by an `answer` of the same id. */
export type QueueCall =
  | { readonly type: 'call'; readonly id: number; readonly call: 'enqueue'; readonly request: RunRequest }
  | { readonly type: 'call'; readonly id: number; readonly call: 'snapshot' | 'idle' };

export type ToThread = QueueCall | { readonly type: 'stop' };

export type FromThread =
  /** The runner works: calls may come. */
  | { readonly type: 'ready' }
  | { readonly type: 'answer'; readonly id: number; readonly snapshot?: QueueSnapshot; readonly error?: string }
  /** One JSON line of the thread's logger (pino), redacted already. */
  | { readonly type: 'log'; readonly line: string }
  /** metrics.recordRun */
  | { readonly type: 'run'; readonly crm: string; readonly status: string; readonly figures?: RunFigures }
  /** metrics.queueObserver */
  | { readonly type: 'started'; readonly request: RunRequest; readonly waitedMs: number }
  | {
      readonly type: 'finished';
      readonly request: RunRequest;
      readonly outcome: ObservedOutcome;
      readonly durationMs: number;
    }
  /** A portal found uninstalled by a run (its tokens refused as uninstalled): credentials' onUninstalled. */
  | { readonly type: 'uninstalled'; readonly installation: Installation }
  /** The runner stopped and the store closed after a `stop`. */
  | { readonly type: 'stopped' };
