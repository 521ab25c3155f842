/**
 * The schedule's clock: every `intervalMs` (default 1 s) it reads the installations from the store
 * and puts the runs that fell due since its last look on the run queue (schedule.ts says when).
 * Nothing about the installations is held between looks, so an install, an uninstall or a settings
 * change made through any process is seen at the next look, without a restart.
 *
 * Every worker runs one. With the embedded queue there is one worker; with pg-boss each tick's key
 * (installation + slot) makes the first worker's request the only job of that tick, whichever
 * worker's clock gets there first (pgboss-queue.ts). A look that falls behind (a slow store) covers
 * the whole span since the previous one, so no tick is skipped; a span longer than a period asks
 * for the latest tick only.
 */
import { errorMessage } from '../app/errors.ts';
import type { Store } from '../store/store.ts';
import type { RunQueue } from './queue.ts';
import type { JobLogger } from './run.ts';
import type { NightlyWindow } from '../app/nightly-window.ts';
import { dueRuns, type DueRun } from './schedule.ts';

export interface TickerOptions {
  readonly store: Pick<Store, 'listInstallations'>;
  readonly queue: Pick<RunQueue, 'enqueue'>;
  readonly nightlyWindow: NightlyWindow;
  readonly defaultEveryMinutes?: number | undefined;
  /** How often to look (default 1000 ms). */
  readonly intervalMs?: number | undefined;
  /** Epoch ms (default Date.now); the first look covers from the start. */
  readonly now?: (() => number) | undefined;
  readonly logger?: JobLogger | undefined;
}

export interface Ticker {
  /** Looks now (the timer does it on its own): the runs it found due and queued. */
  tick(): Promise<DueRun[]>;
  /** No more looks; waits for the one under way. */
  stop(): Promise<void>;
}

export function startTicker(options: TickerOptions): Ticker {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 1000;
  let last = now();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let looking: Promise<DueRun[]> = Promise.resolve([]);

  async function look(): Promise<DueRun[]> {
    const upTo = now();
    const installations = await options.store.listInstallations();
    const due = dueRuns(installations, last, upTo, {
      nightlyWindow: options.nightlyWindow,
      defaultEveryMinutes: options.defaultEveryMinutes,
    });
    last = Math.max(last, upTo);
    for (const run of due) {
      await options.queue.enqueue({
        installationId: run.installationId,
        reason: run.reason,
        kind: run.kind,
        slot: run.slot,
      });
    }
    return due;
  }

  const tick = (): Promise<DueRun[]> => {
    const result = looking.then(look);
    looking = result.catch(() => []);
    return result;
  };

  const loop = (): void => {
    timer = setTimeout(() => {
      tick()
        .catch((error: unknown) => {
          options.logger?.warn(`schedule: reading the installations failed: ${errorMessage(error)}`);
        })
        .finally(() => {
          if (!stopped) loop();
        });
    }, intervalMs);
    timer.unref();
  };
  loop();

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await looking;
    },
  };
}
