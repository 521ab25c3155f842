/** Background jobs: per-installation syncs under a lease, the run queue that runs them, and the schedule that feeds it. */
export { DEFAULT_BUDGET_MS, DEFAULT_POLICY_PATH, LEASE_HELD, runInstallationSync, SHUTTING_DOWN } from './run.ts';
export type { JobDeps, JobLogger, RunKind, RunOutcome } from './run.ts';
export {
  DEFAULT_LEASE_TTL_MS,
  describeHolder,
  parseHolder,
  processAlive,
  processHolder,
  syncLeaseName,
  takeLease,
  waitForLease,
} from './lease.ts';
export type { HolderProcess, HolderRole, Lease, LeaseDeps, LeaseHolder } from './lease.ts';
export {
  backoffMs,
  DEFAULT_CONCURRENCY,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_RETRY_LIMIT,
  mergeRequests,
  retryable,
} from './queue.ts';
export type { QueueEntry, QueueSnapshot, RunQueue, RunReason, RunRequest } from './queue.ts';
export { createEmbeddedQueue } from './embedded-queue.ts';
export type { EmbeddedQueueOptions, ObservedOutcome, QueueObserver } from './embedded-queue.ts';
export {
  DEFAULT_EVERY_MINUTES,
  dueRuns,
  nightlyOffset,
  periodOf,
  slotIn,
  stableFraction,
  tickOffset,
} from './schedule.ts';
export type { DueRun, ScheduleOptions } from './schedule.ts';
export { startTicker } from './ticker.ts';
export type { Ticker, TickerOptions } from './ticker.ts';
export { RunStoppedError } from '../sync/engine.ts';
