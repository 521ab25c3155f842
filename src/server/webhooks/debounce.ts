/**
 * Turns a stream of webhook deliveries into few sync runs: changes for an installation are
 * merged and run `delayMs` after the last one arrived (a burst of 40 deliveries is one run), but
 * never later than `maxWaitMs` after the first one waiting (a steady trickle still gets synced).
 * One run at a time per installation: changes arriving during a run wait for the next one, which
 * starts once the current run ends (and its own delay has passed).
 *
 * ```ts
 * const queue = createDebouncedQueue({ run: (installationId, affected) => syncSome(installationId, affected) });
 * hubspotWebhookRouter({ …, onChange: (id, affected) => { queue.push(id, affected); } });
 * // shutdown: queue.stop(); await queue.drain();
 * ```
 */
import { copyAffected, mergeAffected, type Affected } from '../../../connectors/hubspot/webhooks/events.ts';

export interface DebouncedQueueOptions {
  /** Quiet time after the last change before a run (default 3000 ms). */
  readonly delayMs?: number | undefined;
  /** Longest a change waits for its run, however busy the stream (default 15000 ms). */
  readonly maxWaitMs?: number | undefined;
  readonly run: (installationId: string, affected: Affected) => Promise<unknown>;
  /** A run that failed (the queue goes on). Default: console.error. */
  readonly onError?: ((err: unknown, installationId: string) => void) | undefined;
  /** Epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

export interface DebouncedQueue {
  push(installationId: string, affected: Affected): void;
  /** Runs everything waiting now (no delay) and resolves when no run is waiting or running. */
  drain(): Promise<void>;
  /** Cancels the timers and forgets what is waiting; later pushes are ignored. Running runs finish. */
  stop(): void;
  /** Installations with changes waiting or a run going (for tests and health checks). */
  readonly size: number;
}

interface Slot {
  pending: Affected | undefined;
  /** When the oldest waiting change arrived. */
  firstAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  running: Promise<void> | undefined;
}

export function createDebouncedQueue(options: DebouncedQueueOptions): DebouncedQueue {
  const delayMs = options.delayMs ?? 3000;
  const maxWaitMs = Math.max(options.maxWaitMs ?? 15_000, 0);
  const now = options.now ?? Date.now;
  const onError =
    options.onError ??
    ((err: unknown, installationId: string) => {
      console.error(`webhook sync for installation ${installationId} failed:`, err);
    });
  const slots = new Map<string, Slot>();
  let stopped = false;

  function cleanup(id: string, slot: Slot): void {
    if (slot.pending === undefined && slot.running === undefined && slot.timer === undefined) slots.delete(id);
  }

  function start(id: string, slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    const affected = slot.pending;
    if (affected === undefined || slot.running !== undefined) return;
    slot.pending = undefined;
    slot.running = (async () => {
      try {
        await options.run(id, affected);
      } catch (err) {
        onError(err, id);
      }
    })().finally(() => {
      slot.running = undefined;
      if (slot.pending !== undefined && !stopped) schedule(id, slot);
      cleanup(id, slot);
    });
  }

  function schedule(id: string, slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    const wait = Math.max(0, Math.min(delayMs, slot.firstAt + maxWaitMs - now()));
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      start(id, slot);
    }, wait);
  }

  return {
    push(installationId, affected) {
      if (stopped) return;
      let slot = slots.get(installationId);
      if (slot === undefined) {
        slot = { pending: undefined, firstAt: 0, timer: undefined, running: undefined };
        slots.set(installationId, slot);
      }
      if (slot.pending === undefined) {
        slot.pending = copyAffected(affected);
        slot.firstAt = now();
      } else {
        mergeAffected(slot.pending, affected);
      }
      // During a run the changes wait; the run's end schedules the next one.
      if (slot.running === undefined) schedule(installationId, slot);
    },

    async drain() {
      for (;;) {
        const running: Promise<void>[] = [];
        for (const [id, slot] of slots) {
          if (slot.running === undefined && slot.pending !== undefined) start(id, slot);
          if (slot.running !== undefined) running.push(slot.running);
        }
        if (running.length === 0) return;
        await Promise.all(running);
      }
    },

    stop() {
      stopped = true;
      for (const [id, slot] of slots) {
        if (slot.timer !== undefined) clearTimeout(slot.timer);
        slot.timer = undefined;
        slot.pending = undefined;
        cleanup(id, slot);
      }
    },

    get size() {
      return slots.size;
    },
  };
}
