/** The debounced per-installation queue, on a fake clock. */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createDebouncedQueue } from '../../../src/server/webhooks/debounce.ts';
import { emptyAffected, type Affected } from '../../../connectors/hubspot/webhooks/events.ts';

function companies(...ids: string[]): Affected {
  const affected = emptyAffected();
  for (const id of ids) affected.companies.add(id);
  return affected;
}

interface Run {
  readonly installationId: string;
  readonly companies: string[];
  readonly at: number;
  finish(): void;
}

let runs: Run[];
/** When false, runs end only when finish() is called. */
let autoFinish: boolean;

function run(installationId: string, affected: Affected): Promise<void> {
  return new Promise((resolve) => {
    runs.push({ installationId, companies: [...affected.companies].sort(), at: Date.now(), finish: resolve });
    if (autoFinish) resolve();
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  runs = [];
  autoFinish = true;
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createDebouncedQueue', () => {
  test('merges a burst into one run, delayMs after the last change', async () => {
    const queue = createDebouncedQueue({ delayMs: 3000, maxWaitMs: 15_000, run });
    queue.push('a', companies('1'));
    await vi.advanceTimersByTimeAsync(1000);
    queue.push('a', companies('2'));
    await vi.advanceTimersByTimeAsync(1000);
    queue.push('a', companies('1', '3'));
    await vi.advanceTimersByTimeAsync(2999);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs.map(({ companies: c, at }) => ({ c, at }))).toEqual([{ c: ['1', '2', '3'], at: 5000 }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(1);
    expect(queue.size).toBe(0);
  });

  test('installations are independent', async () => {
    const queue = createDebouncedQueue({ delayMs: 100, run });
    queue.push('a', companies('1'));
    queue.push('b', companies('2'));
    await vi.advanceTimersByTimeAsync(100);
    expect(runs.map((r) => [r.installationId, r.companies])).toEqual([
      ['a', ['1']],
      ['b', ['2']],
    ]);
  });

  test('the pushed sets are copied: changing them afterwards changes nothing', async () => {
    const queue = createDebouncedQueue({ delayMs: 100, run });
    const affected = companies('1');
    queue.push('a', affected);
    affected.companies.add('2');
    await vi.advanceTimersByTimeAsync(100);
    expect(runs[0]?.companies).toEqual(['1']);
  });

  test('maxWaitMs bounds the delay of a steady trickle', async () => {
    const queue = createDebouncedQueue({ delayMs: 3000, maxWaitMs: 10_000, run });
    for (let t = 0; t < 12_000; t += 1000) {
      queue.push('a', companies(String(t)));
      await vi.advanceTimersByTimeAsync(1000);
    }
    // The first change arrived at 0: its run starts at 10 s with the 10 changes pushed before then.
    expect(runs).toHaveLength(1);
    expect(runs[0]?.at).toBe(10_000);
    expect(runs[0]?.companies).toHaveLength(10);
    await vi.advanceTimersByTimeAsync(3000);
    // The rest (pushed at 10 s and 11 s) runs 3 s after the last push.
    expect(runs.map((r) => r.at)).toEqual([10_000, 14_000]);
    expect(runs[1]?.companies).toEqual(['10000', '11000']);
  });

  test('changes during a run wait for it, then trigger exactly one more run', async () => {
    autoFinish = false;
    const queue = createDebouncedQueue({ delayMs: 100, maxWaitMs: 1000, run });
    queue.push('a', companies('1'));
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toHaveLength(1);
    queue.push('a', companies('2'));
    queue.push('a', companies('3'));
    // Far past both the delay and maxWait: still one run at a time.
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toHaveLength(1);
    runs[0]?.finish();
    // The waiting changes were due long ago (maxWait): the next run starts right away.
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(2);
    expect(runs[1]?.companies).toEqual(['2', '3']);
    runs[1]?.finish();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(2);
  });

  test('a change during a run still gets its quiet time after the run, if maxWait allows', async () => {
    autoFinish = false;
    const queue = createDebouncedQueue({ delayMs: 100, maxWaitMs: 10_000, run });
    queue.push('a', companies('1'));
    await vi.advanceTimersByTimeAsync(100);
    queue.push('a', companies('2'));
    await vi.advanceTimersByTimeAsync(500);
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    runs[1]?.finish();
  });

  test('a failed run is reported and the queue goes on', async () => {
    const errors: [unknown, string][] = [];
    let fail = true;
    const queue = createDebouncedQueue({
      delayMs: 10,
      run: (id, affected) => {
        if (fail) return Promise.reject(new Error('boom'));
        return run(id, affected);
      },
      onError: (err, id) => errors.push([err, id]),
    });
    queue.push('a', companies('1'));
    await vi.advanceTimersByTimeAsync(10);
    expect(errors.map(([err, id]) => [String(err), id])).toEqual([['Error: boom', 'a']]);
    fail = false;
    queue.push('a', companies('2'));
    await vi.advanceTimersByTimeAsync(10);
    expect(runs[0]?.companies).toEqual(['2']);
  });

  test('drain runs what is waiting without the delay and waits for running runs', async () => {
    autoFinish = false;
    const queue = createDebouncedQueue({ delayMs: 3000, run });
    queue.push('a', companies('1'));
    queue.push('b', companies('2'));
    let drained = false;
    const draining = queue.drain().then(() => {
      drained = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.installationId)).toEqual(['a', 'b']);
    // A change while draining is part of the drain too.
    queue.push('a', companies('3'));
    runs[0]?.finish();
    runs[1]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(drained).toBe(false);
    expect(runs[2]?.companies).toEqual(['3']);
    runs[2]?.finish();
    await draining;
    expect(drained).toBe(true);
    expect(queue.size).toBe(0);
  });

  test('stop cancels what is waiting and ignores later pushes; drain still waits for a running run', async () => {
    autoFinish = false;
    const queue = createDebouncedQueue({ delayMs: 100, run });
    queue.push('a', companies('1'));
    await vi.advanceTimersByTimeAsync(100);
    queue.push('a', companies('2'));
    queue.push('b', companies('3'));
    queue.stop();
    queue.push('c', companies('4'));
    const draining = queue.drain();
    runs[0]?.finish();
    await draining;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs.map((r) => r.installationId)).toEqual(['a']);
    expect(queue.size).toBe(0);
  });
});
