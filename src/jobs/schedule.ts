/**
 * When each installation is due, as pure arithmetic over the clock (no timers, no state): an
 * installation syncs every `syncEveryMinutes` (default 15) at a stable offset inside its period,
 * and reconciles in full once a day at a stable time inside the nightly window
 * (`RIGHTTOUCH_NIGHTLY_WINDOW`, default `03:00-05:00` UTC). Both offsets come from one hash of the
 * installation's id, so 1,000 installations on a 1-minute cadence start spread over the minute, not
 * in its first second, and their nightly reconciles spread over the two hours.
 *
 * A tick is named by its slot: the epoch ms at which it was due. Every worker computes the same
 * slots from the same store, so a tick's key (`<installation>:<slot>`) is the same whichever
 * worker's clock reaches it first — the job engine keeps one job per key (src/jobs/README.md).
 */
import { createHash } from 'node:crypto';
import type { NightlyWindow } from '../app/nightly-window.ts';
import type { Installation } from '../store/store.ts';
import type { RunKind } from './run.ts';

export const DEFAULT_EVERY_MINUTES = 15;
const DAY_MS = 86_400_000;

const fractions = new Map<string, number>();

/** A number in [0, 1) that depends only on the installation's id (the first 48 bits of its SHA-256). */
export function stableFraction(installationId: string): number {
  let fraction = fractions.get(installationId);
  if (fraction === undefined) {
    fraction = createHash('sha256').update(installationId).digest().readUIntBE(0, 6) / 2 ** 48;
    // The schedule looks every second: hash each id once (ids of purged installations go eventually).
    if (fractions.size >= 100_000) fractions.clear();
    fractions.set(installationId, fraction);
  }
  return fraction;
}

/** The latest slot `offset + k·period` in (after, upTo], if any: the tick due in that span. */
export function slotIn(after: number, upTo: number, periodMs: number, offsetMs: number): number | undefined {
  if (upTo <= after) return undefined;
  const slot = Math.floor((upTo - offsetMs) / periodMs) * periodMs + offsetMs;
  return slot > after ? slot : undefined;
}

/** A run the schedule asks for: the installation, the kind and the slot it was due at. */
export interface DueRun {
  readonly installationId: string;
  readonly reason: 'tick' | 'nightly';
  readonly kind: RunKind;
  readonly slot: number;
}

export interface ScheduleOptions {
  readonly nightlyWindow: NightlyWindow;
  /** Minutes between incremental syncs of installations whose settings do not say (default 15). */
  readonly defaultEveryMinutes?: number | undefined;
}

/** The period of an installation's incremental syncs, in ms (its setting, else the default). */
export function periodOf(installation: Installation, defaultEveryMinutes = DEFAULT_EVERY_MINUTES): number {
  const every = installation.settings.syncEveryMinutes;
  const minutes = every !== undefined && Number.isInteger(every) && every >= 1 ? every : defaultEveryMinutes;
  return minutes * 60_000;
}

/** When the installation's incremental ticks fall: every period, this far into it (from the epoch). */
export function tickOffset(installation: Installation, periodMs: number): number {
  return Math.floor(stableFraction(installation.id) * periodMs);
}

/** When the installation's nightly reconcile falls: this far after midnight UTC. */
export function nightlyOffset(installationId: string, window: NightlyWindow): number {
  return (window.startMs + Math.floor(stableFraction(installationId) * window.lengthMs)) % DAY_MS;
}

/**
 * The runs due in (after, upTo] for these installations (uninstalled ones and those that need
 * reconnecting have none). A span longer than a period (a worker that slept) yields one tick, the
 * latest: missed ticks are not made up one by one, the next incremental run reads everything since.
 */
export function dueRuns(
  installations: readonly Installation[],
  after: number,
  upTo: number,
  options: ScheduleOptions,
): DueRun[] {
  const due: DueRun[] = [];
  for (const installation of installations) {
    if (installation.status !== 'active') continue;
    const period = periodOf(installation, options.defaultEveryMinutes);
    const nightly = slotIn(after, upTo, DAY_MS, nightlyOffset(installation.id, options.nightlyWindow));
    if (nightly !== undefined) {
      due.push({ installationId: installation.id, reason: 'nightly', kind: 'full', slot: nightly });
    }
    const tick = slotIn(after, upTo, period, tickOffset(installation, period));
    if (tick !== undefined)
      due.push({ installationId: installation.id, reason: 'tick', kind: 'incremental', slot: tick });
  }
  return due;
}
