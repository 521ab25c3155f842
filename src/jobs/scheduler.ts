/**
 * The cron side of the jobs: per installation an incremental sync every N minutes (its
 * `settings.syncEveryMinutes`, default 15) and a nightly full reconcile, as node-cron tasks in UTC
 * that only call `runInstallationSync`. Every process may run a scheduler over the same store: the
 * per-installation lease decides which of them syncs an installation at a given moment.
 *
 * Two refinements keep the nightly reconcile from being lost to an incremental run: at the minute
 * both are due (03:00 matches every `*\/N`), the incremental one gives way; and a full run skipped
 * because the installation was busy is made up by the next incremental tick, unless some worker
 * finished a full run of it in the meantime.
 */
import cron from 'node-cron';
import type { Logger as CronLogger, ScheduledTask, TaskContext } from 'node-cron';
import { LEASE_HELD, runInstallationSync } from './run.ts';
import type { JobDeps, RunKind, RunOutcome } from './run.ts';
import type { Installation } from '../store/store.ts';

export const DEFAULT_NIGHTLY_FULL_AT = '0 3 * * *';
export const DEFAULT_EVERY_MINUTES = 15;
const TIMEZONE = 'Etc/UTC';

export interface SchedulerOptions extends JobDeps {
  /** When the full reconcile runs (cron, UTC; default `0 3 * * *`). */
  readonly nightlyFullAt?: string | undefined;
  /** Minutes between incremental syncs of installations that do not say (default 15). */
  readonly defaultEveryMinutes?: number | undefined;
}

export interface ScheduledJob {
  readonly name: string;
  readonly expression: string;
}

export interface Scheduler {
  /** (Re)reads the installations and (re)creates their tasks; call it after one is added, removed or changed. */
  refresh(): Promise<void>;
  /** The tasks now scheduled: `incremental:<id>` and `full:<id>` per installation. */
  tasks(): ScheduledJob[];
  /** Destroys the tasks, stops the runs under way at their next page, and waits for them. */
  stop(): Promise<void>;
}

/**
 * The cron expression for a sync every `minutes` minutes: `*\/N * * * *` for 1–59 (at minutes
 * divisible by N, so a N that does not divide 60 leaves one shorter gap before the hour), whole
 * hours that divide a day as `0 *\/H * * *`, a day as `0 0 * * *`; undefined for anything else.
 */
export function everyMinutesExpression(minutes: number): string | undefined {
  if (!Number.isInteger(minutes) || minutes < 1) return undefined;
  if (minutes < 60) return `*/${minutes} * * * *`;
  if (minutes === 1440) return '0 0 * * *';
  const hours = minutes / 60;
  return Number.isInteger(hours) && 24 % hours === 0 ? `0 */${hours} * * *` : undefined;
}

function everyMinutesOrThrow(minutes: number): string {
  const expression = everyMinutesExpression(minutes);
  if (expression === undefined) {
    throw new Error(`defaultEveryMinutes: expected whole minutes (1–59, or hours dividing a day), got ${minutes}`);
  }
  return expression;
}

interface Entry {
  readonly installationId: string;
  readonly kind: RunKind;
  readonly expression: string;
}

/** Starts scheduling at once (reading the installations in the background: await `refresh()` to know it is done). */
export function startScheduler(deps: SchedulerOptions): Scheduler {
  const { store, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const fullAt = deps.nightlyFullAt ?? DEFAULT_NIGHTLY_FULL_AT;
  if (!cron.validate(fullAt)) throw new Error(`nightlyFullAt: not a cron expression: ${JSON.stringify(fullAt)}`);
  const defaultEvery = deps.defaultEveryMinutes ?? DEFAULT_EVERY_MINUTES;
  const defaultExpression = everyMinutesOrThrow(defaultEvery);

  const shutdown = new AbortController();
  const jobDeps: JobDeps = {
    ...deps,
    signal: deps.signal === undefined ? shutdown.signal : AbortSignal.any([deps.signal, shutdown.signal]),
  };
  const cronLogger: CronLogger | undefined =
    logger === undefined
      ? undefined
      : {
          info: (message) => {
            logger.info(message);
          },
          warn: (message) => {
            logger.warn(message);
          },
          error: (message) => {
            logger.warn(message instanceof Error ? message.message : message);
          },
          debug: () => undefined,
        };
  let tasks = new Map<string, { readonly entry: Entry; readonly task: ScheduledTask }>();
  /** Installations whose full run was skipped (busy), since when. */
  const fullDue = new Map<string, number>();
  const running = new Set<Promise<RunOutcome>>();
  const stopping = (): boolean => shutdown.signal.aborted;

  function incrementalExpression(installation: Installation): string {
    const every = installation.settings.syncEveryMinutes;
    if (every === undefined) return defaultExpression;
    const expression = everyMinutesExpression(every);
    if (expression !== undefined) return expression;
    logger?.warn(
      `installation ${installation.id}: syncEveryMinutes ${every} cannot be scheduled; every ${defaultEvery} minutes instead`,
    );
    return defaultExpression;
  }

  /** Whether the full run owed since `since` is still owed: no worker finished one after it. */
  async function fullStillDue(installationId: string, since: number): Promise<boolean> {
    const runs = await store.listRuns(installationId, 20);
    return !runs.some(
      (run) =>
        run.kind === 'full' &&
        (run.status === 'succeeded' || run.status === 'partial') &&
        run.endedAt !== null &&
        run.endedAt >= since,
    );
  }

  async function tick(entry: Entry, context: TaskContext): Promise<RunOutcome> {
    const id = entry.installationId;
    let kind = entry.kind;
    if (kind === 'incremental') {
      const full = tasks.get(`full:${id}`)?.task;
      if (context.execution?.reason === 'scheduled' && full?.match(context.date) === true) {
        const reason = 'the full reconcile runs now';
        logger?.info(`incremental sync of ${id} skipped: ${reason}`);
        return { status: 'skipped', reason };
      }
      const since = fullDue.get(id);
      if (since !== undefined) {
        try {
          if (await fullStillDue(id, since)) kind = 'full';
          else fullDue.delete(id);
        } catch (error) {
          logger?.warn(`installation ${id}: could not check for a full run: ${String(error)}`);
        }
      }
    }
    const outcome = await runInstallationSync(jobDeps, id, kind);
    if (kind === 'full') {
      if (outcome.status === 'skipped' && outcome.reason === LEASE_HELD) {
        if (!fullDue.has(id)) fullDue.set(id, clock().getTime());
      } else {
        fullDue.delete(id);
      }
    }
    return outcome;
  }

  function track(entry: Entry, context: TaskContext): Promise<RunOutcome> {
    const run = tick(entry, context).finally(() => running.delete(run));
    running.add(run);
    return run;
  }

  function create(name: string, entry: Entry): ScheduledTask {
    return cron.schedule(entry.expression, (context) => track(entry, context), {
      name,
      timezone: TIMEZONE,
      noOverlap: true,
      ...(cronLogger === undefined ? {} : { logger: cronLogger }),
    });
  }

  async function reconcile(): Promise<void> {
    if (stopping()) return;
    const installations = await store.listInstallations();
    if (stopping()) return;
    const wanted = new Map<string, Entry>();
    for (const installation of installations) {
      // An uninstalled installation has nothing left to sync: no schedule.
      if (installation.status === 'uninstalled') continue;
      const installationId = installation.id;
      const every = incrementalExpression(installation);
      wanted.set(`incremental:${installationId}`, { installationId, kind: 'incremental', expression: every });
      wanted.set(`full:${installationId}`, { installationId, kind: 'full', expression: fullAt });
    }
    const next = new Map<string, { readonly entry: Entry; readonly task: ScheduledTask }>();
    for (const [name, current] of tasks) {
      if (wanted.get(name)?.expression === current.entry.expression) continue;
      await current.task.destroy();
    }
    for (const [name, entry] of wanted) {
      const current = tasks.get(name);
      next.set(
        name,
        current !== undefined && current.entry.expression === entry.expression
          ? current
          : { entry, task: create(name, entry) },
      );
    }
    tasks = next;
    for (const id of fullDue.keys()) if (!wanted.has(`full:${id}`)) fullDue.delete(id);
  }

  // One refresh at a time, in order.
  let refreshing: Promise<void> = Promise.resolve();
  const refresh = (): Promise<void> => {
    const result = refreshing.then(reconcile);
    refreshing = result.catch(() => undefined);
    return result;
  };
  refresh().catch((error: unknown) => {
    logger?.warn(`scheduler: reading the installations failed: ${String(error)}`);
  });

  return {
    refresh,
    tasks: () => [...tasks].map(([name, { entry }]) => ({ name, expression: entry.expression })),
    async stop() {
      shutdown.abort();
      await refreshing;
      for (const { task } of tasks.values()) await task.destroy();
      tasks = new Map();
      await Promise.allSettled([...running]);
    },
  };
}
