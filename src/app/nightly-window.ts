/**
 * The nightly reconcile's window, `RIGHTTOUCH_NIGHTLY_WINDOW` (`HH:MM-HH:MM`, UTC, default
 * `03:00-05:00`; it may cross midnight, e.g. `23:30-01:00`): read here once for the environment's
 * check (env.ts) and the schedule (src/jobs/schedule.ts).
 */
export const DEFAULT_NIGHTLY_WINDOW = '03:00-05:00';

/** The nightly window: from `startMs` after midnight UTC, `lengthMs` long (it may cross midnight). */
export interface NightlyWindow {
  readonly startMs: number;
  readonly lengthMs: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM-HH:MM` (UTC, 24-hour) → the window; undefined when unreadable or empty. */
export function parseNightlyWindow(text: string): NightlyWindow | undefined {
  const [from, to, ...rest] = text.split('-').map((part) => part.trim());
  if (from === undefined || to === undefined || rest.length > 0) return undefined;
  const minutes = (part: string): number | undefined => {
    const match = HHMM.exec(part);
    return match === null ? undefined : Number(match[1]) * 60 + Number(match[2]);
  };
  const start = minutes(from);
  const end = minutes(to);
  if (start === undefined || end === undefined || start === end) return undefined;
  return { startMs: start * 60_000, lengthMs: ((((end - start) % 1440) + 1440) % 1440) * 60_000 };
}
