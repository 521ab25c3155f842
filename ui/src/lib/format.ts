/** Numbers, dates and durations as the admin UI shows them. */

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function formatNumber(value: number): string {
  return NUMBER.format(value);
}

/** `plural(1, 'seat')` → `1 seat`; `plural(3, 'seat')` → `3 seats`. */
export function plural(count: number, noun: string, many = `${noun}s`): string {
  return `${formatNumber(count)} ${count === 1 ? noun : many}`;
}

export function formatPercent(part: number, total: number): string {
  if (total === 0) return '–';
  const share = (part / total) * 100;
  return `${share > 0 && share < 1 ? '<1' : Math.round(share)}%`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const DATE_TIME = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const SHORT = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function formatTime(epochMs: number): string {
  return DATE_TIME.format(epochMs);
}

export function formatShortTime(epochMs: number): string {
  return SHORT.format(epochMs);
}

/** `3 minutes ago`, `in 2 hours`, from `now`. */
export function formatAgo(epochMs: number, now: number): string {
  const seconds = Math.round((now - epochMs) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60
      ? [abs, 'second']
      : abs < 3600
        ? [Math.round(abs / 60), 'minute']
        : abs < 86_400
          ? [Math.round(abs / 3600), 'hour']
          : [Math.round(abs / 86_400), 'day'];
  if (abs < 10) return 'just now';
  const text = plural(value, unit);
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}
