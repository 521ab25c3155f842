/**
 * The installations benchmark's arithmetic (bench/installations-report.ts) on made-up runs: which
 * ticks count as covered, coalesced or missed, the lag, the most runs at once, each worker's share.
 */
import { expect, test } from 'vitest';
import { measure } from '../../bench/installations-report.ts';
import type { Observed, RunRow } from '../../bench/installations-run.ts';
import { tickOffset } from '../../src/jobs/schedule.ts';
import type { Installation } from '../../src/store/store.ts';

const ID = 'inst-a';
const installation: Installation = {
  id: ID,
  crm: 'hubspot',
  externalId: '1',
  name: null,
  createdAt: 0,
  status: 'active',
  statusDetail: null,
  settings: { syncEveryMinutes: 1 },
};
const offset = tickOffset(installation, 60_000);
const base = 1_800_000_000_000 - (1_800_000_000_000 % 60_000) + offset; // a slot of ID
let n = 0;
const run = (startedAt: number, endedAt: number, status = 'succeeded'): RunRow => ({
  id: `r${++n}`,
  installationId: ID,
  kind: 'incremental',
  status,
  startedAt,
  endedAt,
});

test('ticks: covered by a run started before the next one or going at the tick; otherwise missed', () => {
  const runs = [
    run(base - 50_000, base - 40_000), // the first sync, before the window
    run(base + 2_000, base + 3_000), // slot 0: covered, lag 3 s
    run(base + 59_000, base + 61_000), // slot 1 (base + 60 s): going at the tick → coalesced, lag 1 s
    // slot 2 (base + 120 s): its run starts only after slot 3 was due → missed; it covers slot 3
    run(base + 181_000, base + 185_000),
    run(base + 300_000, base + 301_000, 'failed'), // slot 5: a failed run covers nothing
  ];
  const observed: Observed = {
    spec: { name: 'pg2', workers: 2, databaseUrl: 'postgres://x' },
    installStart: base - 60_000,
    installEnd: base - 30_000,
    failedInstalls: 0,
    installedAt: new Map([[ID, base - 30_000]]),
    firstSyncAllAt: base - 40_000,
    windowStart: base - 1_000,
    windowEnd: base + 301_000,
    runs,
    ranBy: new Map([
      ['r2', 'worker-1'],
      ['r3', 'worker-2'],
      ['r4', 'worker-1'],
      ['r5', 'worker-2'],
    ]),
    processes: [
      { name: 'serve --no-worker', peakRssBytes: 200 * 2 ** 20 },
      { name: 'worker-1', peakRssBytes: 300 * 2 ** 20 },
      { name: 'worker-2', peakRssBytes: 2 * 2 ** 30 },
    ],
    healthzMs: [5, 5, 5, 500],
    healthzFailures: 0,
    load1: [1, 3],
    host: { requests: 10, rateLimited: 0, rssBytes: 1 },
    cpuSeconds: { 'worker-1': 3, 'worker-2': 3, 'portal host': 2 },
    windowEndpoints: { 'POST /crm/v3/objects/:objectType/search': 8, 'GET /account-info/v3/details': 0 },
  };
  const result = measure(observed);
  // Slots 0–5 are due in the window: 0, 1 and 3 covered; 2, 4 and 5 missed.
  expect(result.ticks).toEqual({ due: 6, covered: 3, coalesced: 1, missed: 3 });
  expect(result.lagMs).toEqual({ p50: 3_000, p95: 5_000, max: 5_000 });
  expect(result.maxConcurrent).toBe(1);
  expect(result.shares).toEqual({ 'worker-1': 0.5, 'worker-2': 0.5 });
  expect(result.targets['missed']?.met).toBe(false);
  expect(result.targets['rss']?.met).toBe(false); // worker-2 above 1 GiB
  expect(result.targets['share']?.met).toBe(true);
  expect(result.healthz.p99).toBe(500);
  expect(result.nightly).toMatchObject({ count: 1, share: 1 });
  // 4 runs started in the window (r2–r5), 8 CPU-seconds; 8 searches over 4 runs, unused routes left out.
  expect(result.cpu).toMatchObject({ total: 8, runsPerCpuSecond: 0.5 });
  expect(result.requestsPerRun).toEqual({ 'POST /crm/v3/objects/:objectType/search': 2 });
});
