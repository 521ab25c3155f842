/**
 * Progress of a long sync on stderr (stdout stays clean for `--json`): one line redrawn in place
 * on a terminal, plain lines at most every few seconds otherwise (logs, CI).
 */
import type { SyncProgress } from '../sync/engine.ts';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

const number = new Intl.NumberFormat('en-US');
const BAR = 24;

export function progressLine(
  state: Readonly<Record<string, number>>,
  writing?: { done: number; total: number },
): string {
  const read = (['companies', 'contacts', 'deals'] as const)
    .filter((type) => state[type] !== undefined)
    .map((type) => `${number.format(state[type] ?? 0)} ${type}`);
  const parts = [`read ${read.join(', ')}`];
  if (writing !== undefined) {
    const share = writing.total === 0 ? 1 : writing.done / writing.total;
    const filled = Math.round(share * BAR);
    parts.push(
      `writing [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${number.format(writing.done)}/${number.format(writing.total)}`,
    );
  }
  return parts.join(' · ');
}

/** A progress callback for the sync engine, and `done()` to end the line. */
export function progressReporter(
  stream: ProgressStream,
  options: { readonly clock?: () => number; readonly everyMs?: number } = {},
): { onProgress: (progress: SyncProgress) => void; done: () => void } {
  const clock = options.clock ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const everyMs = options.everyMs ?? (tty ? 100 : 5000);
  const state: Record<string, number> = {};
  let writing: { done: number; total: number } | undefined;
  let last = -Infinity;
  let shown = '';
  const show = (force: boolean): void => {
    const at = clock();
    if (!force && at - last < everyMs) return;
    const line = progressLine(state, writing);
    if (line === shown) return;
    last = at;
    shown = line;
    stream.write(tty ? `\r\u001b[2K${line}` : `${line}\n`);
  };
  return {
    onProgress: (progress) => {
      if (progress.phase === 'read') state[progress.type] = progress.done;
      else writing = { done: progress.done, total: progress.total };
      show(progress.phase === 'write' && progress.done === progress.total);
    },
    done: () => {
      if (tty && shown !== '') stream.write('\r\u001b[2K');
    },
  };
}
