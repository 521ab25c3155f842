/** Sync progress on stderr: one line redrawn on a terminal, throttled plain lines otherwise. */
import { describe, expect, it } from 'vitest';
import { progressLine, progressReporter, type ProgressStream } from '../../src/cli/progress.ts';

const CLEAR = '\r\u001b[2K';

interface FakeStream extends ProgressStream {
  readonly writes: string[];
}

function fakeStream(isTTY: boolean | undefined): FakeStream {
  const writes: string[] = [];
  return {
    writes,
    isTTY,
    write: (text: string) => {
      writes.push(text);
      return true;
    },
  };
}

/** A clock the test moves by hand. */
function fakeClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let at = start;
  return {
    now: () => at,
    advance: (ms) => {
      at += ms;
    },
  };
}

describe('progressLine', () => {
  it('lists the types read so far, companies, contacts then deals, with thousands separators', () => {
    expect(progressLine({ deals: 3000, companies: 1234 })).toBe('read 1,234 companies, 3,000 deals');
    expect(progressLine({ contacts: 8000, deals: 12, companies: 2000 })).toBe(
      'read 2,000 companies, 8,000 contacts, 12 deals',
    );
  });

  it('shows a read count of 0 (a type with nothing to read yet)', () => {
    expect(progressLine({ companies: 0 })).toBe('read 0 companies');
  });

  it('ignores keys that are not object types', () => {
    expect(progressLine({ companies: 5, owners: 7 })).toBe('read 5 companies');
  });

  it('adds a 24-character bar and done/total while writing', () => {
    expect(progressLine({ companies: 2000 }, { done: 0, total: 1000 })).toBe(
      `read 2,000 companies · writing [${'.'.repeat(24)}] 0/1,000`,
    );
    expect(progressLine({ companies: 2000 }, { done: 500, total: 1000 })).toBe(
      `read 2,000 companies · writing [${'#'.repeat(12)}${'.'.repeat(12)}] 500/1,000`,
    );
    expect(progressLine({ companies: 2000 }, { done: 1000, total: 1000 })).toBe(
      `read 2,000 companies · writing [${'#'.repeat(24)}] 1,000/1,000`,
    );
  });

  it('rounds the bar to the nearest character', () => {
    // 1/3 of 24 = 8; 1/7 of 24 ≈ 3.43 → 3; 1/16 of 24 = 1.5 → 2.
    expect(progressLine({}, { done: 1, total: 3 })).toContain(`[${'#'.repeat(8)}${'.'.repeat(16)}]`);
    expect(progressLine({}, { done: 1, total: 7 })).toContain(`[${'#'.repeat(3)}${'.'.repeat(21)}]`);
    expect(progressLine({}, { done: 1, total: 16 })).toContain(`[${'#'.repeat(2)}${'.'.repeat(22)}]`);
  });

  it('shows a full bar when there is nothing to write', () => {
    expect(progressLine({ companies: 1 }, { done: 0, total: 0 })).toBe(
      `read 1 companies · writing [${'#'.repeat(24)}] 0/0`,
    );
  });
});

describe('progressReporter on a terminal', () => {
  it('redraws one line in place: every write clears the line and none ends it', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = progressReporter(stream, { clock: clock.now, everyMs: 100 });
    progress.onProgress({ phase: 'read', type: 'companies', done: 100 });
    clock.advance(100);
    progress.onProgress({ phase: 'read', type: 'companies', done: 200 });
    clock.advance(100);
    progress.onProgress({ phase: 'read', type: 'contacts', done: 100 });
    expect(stream.writes).toEqual([
      `${CLEAR}read 100 companies`,
      `${CLEAR}read 200 companies`,
      `${CLEAR}read 200 companies, 100 contacts`,
    ]);
    expect(stream.writes.join('')).not.toContain('\n');
  });

  it('redraws at most every everyMs (100 ms by default on a terminal)', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = progressReporter(stream, { clock: clock.now });
    progress.onProgress({ phase: 'read', type: 'companies', done: 100 });
    clock.advance(99);
    progress.onProgress({ phase: 'read', type: 'companies', done: 200 });
    expect(stream.writes).toEqual([`${CLEAR}read 100 companies`]);
    clock.advance(1);
    progress.onProgress({ phase: 'read', type: 'companies', done: 300 });
    expect(stream.writes).toEqual([`${CLEAR}read 100 companies`, `${CLEAR}read 300 companies`]);
  });

  it('done() clears the line it drew', () => {
    const stream = fakeStream(true);
    const progress = progressReporter(stream, { clock: fakeClock().now });
    progress.onProgress({ phase: 'read', type: 'deals', done: 10 });
    progress.done();
    expect(stream.writes).toEqual([`${CLEAR}read 10 deals`, CLEAR]);
  });

  it('done() writes nothing when nothing was drawn', () => {
    const stream = fakeStream(true);
    progressReporter(stream, { clock: fakeClock().now }).done();
    expect(stream.writes).toEqual([]);
  });
});

describe('progressReporter off a terminal (logs, CI)', () => {
  it('prints plain lines no more often than everyMs', () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const progress = progressReporter(stream, { clock: clock.now, everyMs: 1000 });
    progress.onProgress({ phase: 'read', type: 'companies', done: 100 });
    for (let done = 200; done <= 900; done += 100) {
      clock.advance(100);
      progress.onProgress({ phase: 'read', type: 'companies', done });
    }
    // 800 ms after the first line: still only the first.
    expect(stream.writes).toEqual(['read 100 companies\n']);
    clock.advance(200);
    progress.onProgress({ phase: 'read', type: 'companies', done: 1000 });
    expect(stream.writes).toEqual(['read 100 companies\n', 'read 1,000 companies\n']);
    expect(stream.writes.join('')).not.toContain('\r');
    expect(stream.writes.join('')).not.toContain('\u001b');
  });

  it('waits 5 s between lines by default', () => {
    const stream = fakeStream(undefined);
    const clock = fakeClock();
    const progress = progressReporter(stream, { clock: clock.now });
    progress.onProgress({ phase: 'read', type: 'contacts', done: 100 });
    clock.advance(4999);
    progress.onProgress({ phase: 'read', type: 'contacts', done: 200 });
    expect(stream.writes).toEqual(['read 100 contacts\n']);
    clock.advance(1);
    progress.onProgress({ phase: 'read', type: 'contacts', done: 300 });
    expect(stream.writes).toEqual(['read 100 contacts\n', 'read 300 contacts\n']);
  });

  it('does not print the same line twice', () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const progress = progressReporter(stream, { clock: clock.now, everyMs: 10 });
    progress.onProgress({ phase: 'read', type: 'deals', done: 5 });
    clock.advance(50);
    progress.onProgress({ phase: 'read', type: 'deals', done: 5 });
    expect(stream.writes).toEqual(['read 5 deals\n']);
  });

  it('always shows the final write batch, however soon after the last line', () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const progress = progressReporter(stream, { clock: clock.now, everyMs: 5000 });
    progress.onProgress({ phase: 'read', type: 'companies', done: 2000 });
    clock.advance(10);
    progress.onProgress({ phase: 'write', done: 100, total: 300 });
    clock.advance(10);
    progress.onProgress({ phase: 'write', done: 200, total: 300 });
    clock.advance(10);
    progress.onProgress({ phase: 'write', done: 300, total: 300 });
    expect(stream.writes).toEqual([
      'read 2,000 companies\n',
      `read 2,000 companies · writing [${'#'.repeat(24)}] 300/300\n`,
    ]);
  });

  it('shows the final write batch on a terminal too, inside the redraw interval', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = progressReporter(stream, { clock: clock.now, everyMs: 100 });
    progress.onProgress({ phase: 'read', type: 'contacts', done: 800 });
    clock.advance(1);
    progress.onProgress({ phase: 'write', done: 50, total: 100 });
    clock.advance(1);
    progress.onProgress({ phase: 'write', done: 100, total: 100 });
    expect(stream.writes).toEqual([
      `${CLEAR}read 800 contacts`,
      `${CLEAR}read 800 contacts · writing [${'#'.repeat(24)}] 100/100`,
    ]);
  });

  it('done() leaves the printed lines alone', () => {
    const stream = fakeStream(false);
    const progress = progressReporter(stream, { clock: fakeClock().now });
    progress.onProgress({ phase: 'read', type: 'companies', done: 1 });
    progress.done();
    expect(stream.writes).toEqual(['read 1 companies\n']);
  });
});
