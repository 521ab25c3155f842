/**
 * `npm run bench:installations`: what one configuration's observations (installations-run.ts)
 * mean, against the targets of issue 19, and the table printed.
 *
 * - **Ticks**: each installation's 1-minute ticks, from the schedule (src/jobs/schedule.ts: its slot
 *   `offset + k·60 s`), due inside the window and after its first sync ended. A tick is **covered**
 *   by the run going when it fell due (the queue coalesces a tick into a running run), else by the
 *   installation's first run that started at or after it and before its next tick; a tick with
 *   neither is **missed** (also when its run started only after the next tick was due).
 * - **Lag**: from the tick's slot to the end of the run covering it.
 * - **Concurrent runs**: the most runs whose [start, end] overlap, from the store's `runs`.
 * - **Share**: each worker's part of the runs that started in the window (from its log).
 * - **Nightly**: the most installations whose nightly reconcile starts in one minute of the default
 *   window, from `nightlyOffset` of the installed ids.
 */
import { DEFAULT_NIGHTLY_WINDOW, parseNightlyWindow } from '../src/app/nightly-window.ts';
import { nightlyOffset, tickOffset } from '../src/jobs/schedule.ts';
import type { Installation } from '../src/store/store.ts';
import type { Observed, RunRow } from './installations-run.ts';

export const TARGETS = {
  missedTicks: 0,
  p95LagMs: 30_000,
  healthzP99Ms: 100,
  peakRssBytes: 1024 ** 3,
  nightlyShare: 0.1,
  share: [0.4, 0.6] as const,
};

const PERIOD_MS = 60_000;

export interface ConfigResult {
  readonly name: string;
  readonly installations: number;
  readonly installSeconds: number;
  readonly failedInstalls: number;
  /** From the first install's start until every installation had a finished run. */
  readonly firstSyncSeconds: number | null;
  readonly ticks: {
    readonly due: number;
    readonly covered: number;
    readonly coalesced: number;
    readonly missed: number;
  };
  readonly lagMs: { readonly p50: number; readonly p95: number; readonly max: number };
  readonly runs: { readonly total: number; readonly inWindow: number; readonly failed: number };
  readonly maxConcurrent: number;
  readonly maxConcurrentInWindow: number;
  readonly peakRss: readonly { readonly name: string; readonly bytes: number }[];
  readonly healthz: {
    readonly samples: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly failures: number;
  };
  readonly shares: Readonly<Record<string, number>>;
  readonly nightly: { readonly busiestMinute: string; readonly count: number; readonly share: number };
  readonly load1: { readonly mean: number; readonly max: number };
  readonly sandbox: { readonly requests: number; readonly rateLimited: number; readonly rssBytes: number };
  /**
   * CPU seconds per process in the window, and the runs started in it per CPU-second of them all:
   * the machine's other work is not in it, so figures taken under different loads compare.
   */
  readonly cpu: {
    readonly seconds: Readonly<Record<string, number>>;
    readonly total: number;
    readonly runsPerCpuSecond: number;
  };
  /** The sandbox's requests per run started in the window, by route (most first). */
  readonly requestsPerRun: Readonly<Record<string, number>>;
  readonly targets: Readonly<
    Record<string, { readonly target: string; readonly actual: string; readonly met: boolean }>
  >;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function maxOverlap(runs: readonly RunRow[], from: number, to: number): number {
  const events: [number, number][] = [];
  for (const run of runs) {
    const end = run.endedAt ?? to;
    if (end < from || run.startedAt > to) continue;
    events.push([run.startedAt, 1], [end, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of events) {
    now += delta;
    most = Math.max(most, now);
  }
  return most;
}

interface TickCount {
  due: number;
  covered: number;
  coalesced: number;
  missed: number;
  lags: number[];
}

function countTicks(o: Observed): TickCount {
  const byInstallation = new Map<string, RunRow[]>();
  for (const run of o.runs) {
    if (run.endedAt === null || run.status === 'failed') continue;
    const list = byInstallation.get(run.installationId) ?? [];
    list.push(run);
    byInstallation.set(run.installationId, list);
  }
  const count: TickCount = { due: 0, covered: 0, coalesced: 0, missed: 0, lags: [] };
  for (const installationId of o.installedAt.keys()) {
    const runs = (byInstallation.get(installationId) ?? []).sort((a, b) => a.startedAt - b.startedAt);
    const first = runs[0];
    if (first?.endedAt == null) continue; // never synced: counted by the first-sync figure
    const from = Math.max(o.windowStart, first.endedAt);
    const installation: Installation = {
      id: installationId,
      crm: 'hubspot',
      externalId: '',
      name: null,
      createdAt: 0,
      status: 'active',
      statusDetail: null,
      settings: { syncEveryMinutes: 1 },
    };
    const offset = tickOffset(installation, PERIOD_MS);
    for (
      let slot = Math.ceil((from - offset) / PERIOD_MS) * PERIOD_MS + offset;
      slot < o.windowEnd;
      slot += PERIOD_MS
    ) {
      count.due++;
      const going = runs.find((r) => r.startedAt < slot && (r.endedAt ?? 0) >= slot);
      const after = runs.find((r) => r.startedAt >= slot && r.startedAt < slot + PERIOD_MS);
      const covering = going ?? after;
      if (covering?.endedAt == null) {
        count.missed++;
        continue;
      }
      if (going !== undefined) count.coalesced++;
      count.covered++;
      count.lags.push(covering.endedAt - slot);
    }
  }
  return count;
}

function nightly(ids: readonly string[]): ConfigResult['nightly'] {
  const window = parseNightlyWindow(DEFAULT_NIGHTLY_WINDOW);
  if (window === undefined) throw new Error('unreachable: the default nightly window parses');
  const minutes = new Map<number, number>();
  for (const id of ids) {
    const minute = Math.floor(nightlyOffset(id, window) / 60_000);
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
  }
  let busiest = 0;
  let count = 0;
  for (const [minute, n] of minutes) {
    if (n > count) [busiest, count] = [minute, n];
  }
  const hh = String(Math.floor(busiest / 60) % 24).padStart(2, '0');
  const mm = String(busiest % 60).padStart(2, '0');
  return { busiestMinute: `${hh}:${mm} UTC`, count, share: ids.length === 0 ? 0 : count / ids.length };
}

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
const ms = (value: number): string => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`);
const pct = (value: number): string => `${(value * 100).toFixed(1)}%`;

export function measure(o: Observed): ConfigResult {
  const ticks = countTicks(o);
  const workers = o.processes.filter((p) => p.name !== 'serve --no-worker');
  const inWindow = o.runs.filter((r) => r.startedAt >= o.windowStart && r.startedAt <= o.windowEnd);
  const counts: Record<string, number> = {};
  for (const run of inWindow) {
    const by = o.ranBy.get(run.id) ?? '(unknown)';
    counts[by] = (counts[by] ?? 0) + 1;
  }
  const shares = Object.fromEntries(
    Object.entries(counts).map(([name, n]) => [name, n / Math.max(1, inWindow.length)]),
  );
  const healthz = {
    samples: o.healthzMs.length,
    p50: percentile(o.healthzMs, 50),
    p99: percentile(o.healthzMs, 99),
    max: Math.max(0, ...o.healthzMs),
    failures: o.healthzFailures,
  };
  const lagMs = { p50: percentile(ticks.lags, 50), p95: percentile(ticks.lags, 95), max: Math.max(0, ...ticks.lags) };
  const night = nightly([...o.installedAt.keys()]);
  const peakRss = o.processes.map((p) => ({ name: p.name, bytes: p.peakRssBytes }));
  const workerRss = Math.max(0, ...workers.map((p) => p.peakRssBytes));
  const workerShares = workers.map((w) => shares[w.name] ?? 0);
  const targets: Record<string, { target: string; actual: string; met: boolean }> = {
    missed: {
      target: '0 missed ticks',
      actual: `${ticks.missed} of ${ticks.due}`,
      met: ticks.missed === 0 && ticks.due > 0,
    },
    lag: {
      target: 'p95 lag ≤ 30 s',
      actual: ms(lagMs.p95),
      met: ticks.lags.length > 0 && lagMs.p95 <= TARGETS.p95LagMs,
    },
    healthz: {
      target: '/healthz p99 ≤ 100 ms',
      actual: ms(healthz.p99),
      met: healthz.p99 <= TARGETS.healthzP99Ms && healthz.failures === 0,
    },
    rss: { target: 'peak RSS ≤ 1 GiB per worker', actual: mib(workerRss), met: workerRss <= TARGETS.peakRssBytes },
    nightly: {
      target: 'nightly ≤ 10% in one minute',
      actual: `${night.count} (${pct(night.share)})`,
      met: night.share <= TARGETS.nightlyShare,
    },
  };
  if (workers.length > 1) {
    targets['share'] = {
      target: 'each worker 40–60% of runs',
      actual: workerShares.map(pct).join(' / '),
      met: workerShares.every((s) => s >= TARGETS.share[0] && s <= TARGETS.share[1]),
    };
  }
  const load = o.load1.length === 0 ? [0] : o.load1;
  const cpuTotal = Object.values(o.cpuSeconds).reduce((a, b) => a + b, 0);
  return {
    name: o.spec.name,
    installations: o.installedAt.size,
    installSeconds: (o.installEnd - o.installStart) / 1000,
    failedInstalls: o.failedInstalls,
    firstSyncSeconds: o.firstSyncAllAt === undefined ? null : (o.firstSyncAllAt - o.installStart) / 1000,
    ticks: { due: ticks.due, covered: ticks.covered, coalesced: ticks.coalesced, missed: ticks.missed },
    lagMs,
    runs: {
      total: o.runs.length,
      inWindow: inWindow.length,
      failed: o.runs.filter((r) => r.status === 'failed').length,
    },
    maxConcurrent: maxOverlap(o.runs, o.installStart, o.windowEnd),
    maxConcurrentInWindow: maxOverlap(o.runs, o.windowStart, o.windowEnd),
    peakRss,
    healthz,
    shares,
    nightly: night,
    load1: { mean: load.reduce((a, b) => a + b, 0) / load.length, max: Math.max(...load) },
    sandbox: o.host,
    cpu: {
      seconds: o.cpuSeconds,
      total: cpuTotal,
      runsPerCpuSecond: cpuTotal === 0 ? 0 : inWindow.length / cpuTotal,
    },
    requestsPerRun: Object.fromEntries(
      Object.entries(o.windowEndpoints)
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([endpoint, n]) => [endpoint, n / Math.max(1, inWindow.length)]),
    ),
    targets,
  };
}

export function render(r: ConfigResult): string {
  const lines = [
    `${r.name}: ${r.installations} installations`,
    `  installs through OAuth         ${r.installSeconds.toFixed(1)} s${r.failedInstalls > 0 ? ` (${r.failedInstalls} failed)` : ''}`,
    `  first sync of all              ${r.firstSyncSeconds === null ? 'not reached' : `${r.firstSyncSeconds.toFixed(1)} s after the first install began`}`,
    `  ticks due in the window        ${r.ticks.due}: ${r.ticks.covered} covered (${r.ticks.coalesced} by a run going at the tick), ${r.ticks.missed} missed`,
    `  tick → run end lag             p50 ${ms(r.lagMs.p50)}, p95 ${ms(r.lagMs.p95)}, max ${ms(r.lagMs.max)}`,
    `  runs                           ${r.runs.total} in all, ${r.runs.inWindow} started in the window, ${r.runs.failed} failed`,
    `  concurrent runs (max)          ${r.maxConcurrent} overall, ${r.maxConcurrentInWindow} in the window`,
    `  peak RSS                       ${r.peakRss.map((p) => `${p.name} ${mib(p.bytes)}`).join(', ')}`,
    `  /healthz                       p50 ${ms(r.healthz.p50)}, p99 ${ms(r.healthz.p99)}, max ${ms(r.healthz.max)} (${r.healthz.samples} polls, ${r.healthz.failures} failed)`,
    `  share of runs                  ${Object.entries(r.shares)
      .map(([name, s]) => `${name} ${pct(s)}`)
      .join(', ')}`,
    `  nightly, busiest minute        ${r.nightly.count} installations at ${r.nightly.busiestMinute} (${pct(r.nightly.share)})`,
    `  load average (1 min)           mean ${r.load1.mean.toFixed(2)}, max ${r.load1.max.toFixed(2)}`,
    `  sandbox                        ${r.sandbox.requests} API requests, ${r.sandbox.rateLimited} rate-limited, RSS ${mib(r.sandbox.rssBytes)}`,
    `  CPU in the window              ${r.cpu.total.toFixed(0)} s: ${Object.entries(r.cpu.seconds)
      .map(([name, s]) => `${name} ${s.toFixed(0)}`)
      .join(', ')}; ${r.cpu.runsPerCpuSecond.toFixed(2)} runs per CPU-second`,
    `  sandbox requests per run       ${Object.entries(r.requestsPerRun)
      .map(([endpoint, n]) => `${endpoint} ${n.toFixed(2)}`)
      .join('; ')}`,
    '  targets',
    ...Object.values(r.targets).map(
      (t) => `    ${t.target.padEnd(30)} ${t.actual.padEnd(18)} ${t.met ? 'met' : 'NOT MET'}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
