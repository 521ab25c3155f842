/** Background jobs: per-installation syncs under a lease, and the cron scheduler that runs them. */
export {
  DEFAULT_BUDGET_MS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_POLICY_PATH,
  LEASE_HELD,
  runInstallationSync,
  SHUTTING_DOWN,
} from './run.ts';
export type { JobDeps, JobLogger, RunKind, RunOutcome } from './run.ts';
export { DEFAULT_EVERY_MINUTES, DEFAULT_NIGHTLY_FULL_AT, everyMinutesExpression, startScheduler } from './scheduler.ts';
export type { ScheduledJob, Scheduler, SchedulerOptions } from './scheduler.ts';
export { RunStoppedError } from '../sync/engine.ts';
