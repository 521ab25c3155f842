/** When installations are due: stable offsets inside the period, the nightly window, and the ticker over the store. */
import { afterEach, describe, expect, test } from 'vitest';
import { parseNightlyWindow } from '../../src/app/nightly-window.ts';
import { dueRuns, nightlyOffset, slotIn, startTicker, tickOffset } from '../../src/jobs/index.ts';
import type { RunRequest, Ticker } from '../../src/jobs/index.ts';
import type { Installation, Store } from '../../src/store/store.ts';
import { describeEachEngine } from '../store/engines.ts';

const WINDOW = parseNightlyWindow('03:00-05:00') ?? { startMs: 0, lengthMs: 1 };
const MIDNIGHT = Date.parse('2026-12-07T00:00:00Z');

function installations(count: number, settings: Installation['settings'] = {}): Installation[] {
  return Array.from({ length: count }, (_, i): Installation => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    crm: 'hubspot',
    externalId: `portal-${i}`,
    name: null,
    createdAt: 0,
    status: 'active',
    statusDetail: null,
    settings,
  }));
}

describe('parseNightlyWindow', () => {
  test('HH:MM-HH:MM in UTC, across midnight too; anything else is refused', () => {
    expect(parseNightlyWindow('03:00-05:00')).toEqual({ startMs: 3 * 3_600_000, lengthMs: 2 * 3_600_000 });
    expect(parseNightlyWindow('23:30-01:00')).toEqual({ startMs: 23.5 * 3_600_000, lengthMs: 1.5 * 3_600_000 });
    for (const bad of ['3-5', '03:00', '03:00-03:00', '24:00-01:00', '03:00-05:00-06:00', 'at night']) {
      expect(parseNightlyWindow(bad)).toBeUndefined();
    }
  });
});

describe('dueRuns', () => {
  test('1,000 installations on a 1-minute cadence are spread over the minute, each once per minute', () => {
    const all = installations(1000, { syncEveryMinutes: 1 });
    const perSecond: number[] = [];
    const seen = new Map<string, number>();
    const start = MIDNIGHT + 3_600_000;
    for (let second = 0; second < 60; second++) {
      const due = dueRuns(all, start + second * 1000, start + (second + 1) * 1000, { nightlyWindow: WINDOW });
      perSecond.push(due.length);
      for (const run of due) {
        expect(run).toMatchObject({ reason: 'tick', kind: 'incremental' });
        seen.set(run.installationId, (seen.get(run.installationId) ?? 0) + 1);
      }
    }
    expect(seen.size).toBe(1000);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    // About 17 a second; never a burst (the old scheduler started all 1,000 in the same second).
    expect(Math.max(...perSecond)).toBeLessThanOrEqual(40);
  });

  test('an installation keeps its offset; a settings change moves its period at once', () => {
    const [one] = installations(1);
    if (one === undefined) throw new Error('no installation');
    const offset = tickOffset(one, 15 * 60_000);
    expect(tickOffset(one, 15 * 60_000)).toBe(offset);
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(15 * 60_000);
    const hour = (settings: Installation['settings']) =>
      dueRuns([{ ...one, settings }], MIDNIGHT + 3_600_000, MIDNIGHT + 7_200_000 - 1, { nightlyWindow: WINDOW });
    // One tick per span here (the latest): count the spans of 5 minutes instead.
    const count = (every: number) => {
      let n = 0;
      for (let t = MIDNIGHT + 3_600_000; t < MIDNIGHT + 7_200_000; t += 60_000) {
        n += dueRuns([{ ...one, settings: { syncEveryMinutes: every } }], t, t + 60_000, {
          nightlyWindow: WINDOW,
        }).length;
      }
      return n;
    };
    expect(hour({})).toHaveLength(1);
    expect(count(5)).toBe(12);
    expect(count(15)).toBe(4);
    // 90 minutes: the old cron scheduler could not express it.
    expect(count(90)).toBeLessThanOrEqual(1);
  });

  test('a span longer than the period asks for the latest tick only; nothing for inactive installations', () => {
    expect(slotIn(0, 10_000, 1000, 250)).toBe(9250);
    expect(slotIn(9250, 10_000, 1000, 250)).toBeUndefined();
    expect(slotIn(9249, 9250, 1000, 250)).toBe(9250);
    const [active, uninstalled, reconnect] = installations(3, { syncEveryMinutes: 1 });
    const all = [
      active,
      { ...uninstalled, status: 'uninstalled' },
      { ...reconnect, status: 'needs_reconnect' },
    ] as Installation[];
    const due = dueRuns(all, MIDNIGHT + 3_600_000, MIDNIGHT + 3_660_000, { nightlyWindow: WINDOW });
    expect(due.map((run) => run.installationId)).toEqual([active?.id]);
  });

  test('the nightly reconcile is spread over the window: never more than 10% in one minute, none outside it', () => {
    const all = installations(1000);
    const perMinute = new Map<number, number>();
    for (let minute = 0; minute < 1440; minute++) {
      const after = MIDNIGHT + minute * 60_000;
      for (const run of dueRuns(all, after, after + 60_000, { nightlyWindow: WINDOW })) {
        if (run.reason !== 'nightly') continue;
        expect(run.kind).toBe('full');
        perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
      }
    }
    expect([...perMinute.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.min(...perMinute.keys())).toBeGreaterThanOrEqual(180);
    expect(Math.max(...perMinute.keys())).toBeLessThan(300);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(100);
    // A window across midnight.
    const late = parseNightlyWindow('23:30-00:30') ?? WINDOW;
    for (const installation of all.slice(0, 50)) {
      const at = nightlyOffset(installation.id, late);
      expect(at >= 23.5 * 3_600_000 || at < 0.5 * 3_600_000).toBe(true);
    }
  });
});

describeEachEngine('startTicker', (engine) => {
  let store: Store | undefined;
  let ticker: Ticker | undefined;
  afterEach(async () => {
    await ticker?.stop();
    await store?.close();
  });

  test('reads the store at every look: an install, a settings change and an uninstall count at once', async () => {
    store = engine.open(engine.create());
    await store.migrate();
    const one = await store.upsertInstallation('hubspot', 'portal-1');
    await store.saveSettings(one.id, { syncEveryMinutes: 1 });
    let now = MIDNIGHT + 3_600_000;
    const queued: RunRequest[] = [];
    ticker = startTicker({
      store,
      queue: {
        enqueue: (request) => {
          queued.push(request);
          return Promise.resolve();
        },
      },
      nightlyWindow: WINDOW,
      intervalMs: 3_600_000,
      now: () => now,
    });
    const minute = async (): Promise<string[]> => {
      const ids: string[] = [];
      for (let s = 0; s < 60; s++) {
        now += 1000;
        ids.push(...((await ticker?.tick()) ?? []).map((run) => run.installationId));
      }
      return ids;
    };
    expect(await minute()).toEqual([one.id]);
    expect(queued[0]).toMatchObject({ installationId: one.id, reason: 'tick', kind: 'incremental' });
    expect(queued[0]?.slot).toBeGreaterThan(MIDNIGHT + 3_600_000);

    const two = await store.upsertInstallation('hubspot', 'portal-2');
    await store.saveSettings(two.id, { syncEveryMinutes: 1 });
    expect((await minute()).sort()).toEqual([one.id, two.id].sort());

    await store.saveSettings(one.id, { syncEveryMinutes: 5 });
    let ticks = 0;
    for (let m = 0; m < 5; m++) ticks += (await minute()).filter((id) => id === one.id).length;
    expect(ticks).toBe(1);

    await store.forgetInstallation(two.id, now);
    expect(await minute()).not.toContain(two.id);
    // The same look twice never asks for a tick twice.
    expect(await ticker.tick()).toEqual([]);
  });
});
