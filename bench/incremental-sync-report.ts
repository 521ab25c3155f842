/**
 * `npm run bench:incremental-sync`'s results: the JSON written to bench/out/incremental-sync.json,
 * the targets checked on them (issue 15) and the table printed.
 */
import type { RunCounts } from './sync-run.ts';

/** An incremental run uses at most this share of a full classification's CPU. */
export const MAX_CPU_SHARE = 0.05;
/** …and at most this much CPU (ms). */
export const MAX_CPU_MS = 1000;
/** Peak RSS of an incremental run. */
export const MAX_RSS_BYTES = 256 * 1024 ** 2;

/** `cached`: in the benchmark's process, after the runs before it; `fresh`: in a new process. */
export type RunCase = 'cached' | 'fresh';

export interface MeasuredRun {
  readonly wallMs: number;
  /** CPU of `sync()` alone. */
  readonly cpuMs: number;
  readonly counts: RunCounts;
}

export interface RoundFigures extends MeasuredRun {
  readonly case: RunCase;
  readonly round: number;
  /** What changed in the portal before the run: ids edited by type, and the deal deleted. */
  readonly changed: { readonly deals: number; readonly contacts: number; readonly companies: number };
  readonly deletedDeal: string | null;
  /** The run's peak RSS: the child's whole life (fresh), or since a reset just before it (cached). */
  readonly peakRssBytes: number;
  /** Fresh runs: the child process's CPU and wall time, start-up and loading included. */
  readonly process: { readonly cpuMs: number; readonly wallMs: number } | null;
  /** cpuMs / the full classification's median CPU. */
  readonly cpuShare: number;
}

export interface Check {
  readonly name: string;
  readonly actual: string;
  readonly pass: boolean;
}

export interface IncrementalSyncResults {
  readonly node: string;
  readonly cpus: number;
  /** The 1-minute load average when the benchmark started and ended (a shared machine). */
  readonly load: { readonly start: number; readonly end: number };
  readonly commit: string;
  readonly startedAt: string;
  readonly portal: { readonly companies: number; readonly contacts: number; readonly deals: number };
  readonly store: 'sqlite' | 'postgresql';
  readonly limits: boolean;
  readonly generatedMs: number;
  readonly sandboxRssBytes: number;
  readonly full: MeasuredRun;
  readonly second: MeasuredRun;
  /** The classify phase of a full run on the same installation (`what`: classifyMirror), each time measured. */
  readonly fullClassify: {
    readonly what: string;
    readonly cpuMs: readonly number[];
    readonly medianCpuMs: number;
    readonly decided: number;
  };
  readonly rounds: readonly RoundFigures[];
  /** The tiers the runs left in the store against a full classification at the last run's time. */
  readonly agreement: { readonly compared: number; readonly differing: number; readonly examples: readonly string[] };
  readonly totalMs: number;
  readonly checks: readonly Check[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

const count = new Intl.NumberFormat('en-US');
const ms = (value: number): string => (value < 10_000 ? `${value.toFixed(0)} ms` : `${(value / 1000).toFixed(1)} s`);
const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
const percent = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 2 : 1)}%`;

/** The checks of issue 15's targets, on the medians of each case (peak RSS: the highest). */
export function targetChecks(rounds: readonly RoundFigures[], changedAtLeast: RoundFigures['changed']): Check[] {
  const checks: Check[] = [];
  for (const runCase of ['cached', 'fresh'] as const) {
    const of = rounds.filter((r) => r.case === runCase);
    if (of.length === 0) continue;
    const share = median(of.map((r) => r.cpuShare));
    const cpu = median(of.map((r) => r.cpuMs));
    const rss = Math.max(...of.map((r) => r.peakRssBytes));
    const readAll = of.every(
      (r) =>
        r.counts.pulled.deals >= changedAtLeast.deals &&
        r.counts.pulled.contacts >= changedAtLeast.contacts &&
        r.counts.pulled.companies >= changedAtLeast.companies,
    );
    checks.push(
      {
        name: `${runCase}: CPU ≤ ${percent(MAX_CPU_SHARE)} of a full classification`,
        actual: percent(share),
        pass: share <= MAX_CPU_SHARE,
      },
      { name: `${runCase}: CPU ≤ ${ms(MAX_CPU_MS)}`, actual: ms(cpu), pass: cpu <= MAX_CPU_MS },
      { name: `${runCase}: peak RSS ≤ ${mib(MAX_RSS_BYTES)}`, actual: mib(rss), pass: rss <= MAX_RSS_BYTES },
      { name: `${runCase}: reads every changed record`, actual: readAll ? 'yes' : 'no', pass: readAll },
    );
  }
  return checks;
}

export function renderIncrementalSync(r: IncrementalSyncResults): string {
  const dash = '—';
  const columns: [string, (run: RoundFigures) => string][] = [
    ['run', (run) => `${run.case} ${run.round}`],
    ['wall', (run) => ms(run.wallMs)],
    ['CPU', (run) => ms(run.cpuMs)],
    ['share', (run) => percent(run.cpuShare)],
    ['process CPU', (run) => (run.process === null ? dash : ms(run.process.cpuMs))],
    ['read', (run) => count.format(run.counts.read)],
    ['decided', (run) => count.format(run.counts.decided)],
    ['written', (run) => count.format(run.counts.written)],
    ['API calls', (run) => String(run.counts.apiCalls)],
    ['peak RSS', (run) => mib(run.peakRssBytes)],
  ];
  const cells = [columns.map(([title]) => title), ...r.rounds.map((run) => columns.map(([, cell]) => cell(run)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string =>
    `  ${row.map((text, i) => (i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0))).join('   ')}`;
  const { portal } = r;
  const lines = [
    `RightTouch incremental sync benchmark (node ${r.node}, ${r.cpus} CPUs, load ${r.load.start.toFixed(1)} → ${r.load.end.toFixed(1)}, commit ${r.commit})`,
    '',
    `  portal: ${count.format(portal.companies)} companies, ${count.format(portal.contacts)} contacts, ${count.format(portal.deals)} deals` +
      ` (sandbox in its own process, started in ${ms(r.generatedMs)}, RSS ${mib(r.sandboxRssBytes)}); store ${r.store};` +
      ` HubSpot rate limits ${r.limits ? 'on' : 'off'}`,
    `  full sync ${ms(r.full.wallMs)} wall, ${ms(r.full.cpuMs)} CPU, ${count.format(r.full.counts.decided)} decided, ${count.format(r.full.counts.apiCalls)} API calls;` +
      ` second sync ${ms(r.second.wallMs)} wall, ${ms(r.second.cpuMs)} CPU, ${count.format(r.second.counts.read)} read`,
    `  full classification (${r.fullClassify.what}): ${r.fullClassify.cpuMs.map(ms).join(', ')} CPU → median ${ms(r.fullClassify.medianCpuMs)}` +
      ` for ${count.format(r.fullClassify.decided)} records`,
    '',
    '  each run after 100 changes: edited deals, contacts (lead score) and companies, and one deleted deal',
    '  (applied to the store as the webhook receiver does); CPU = sync() alone, share = CPU / full classification',
    '',
    line(cells[0] ?? []),
    ...cells.slice(1).map(line),
    '',
    ...r.rounds
      .filter((run) => run.counts.rebuilt !== null)
      .map((run) => `  ${run.case} ${run.round} built the incremental state again: ${run.counts.rebuilt ?? ''}`),
    `  tiers in the store vs a full classification: ${count.format(r.agreement.differing)} of ${count.format(r.agreement.compared)} differ`,
    ...r.agreement.examples.map((example) => `    ${example}`),
    '',
    'Targets',
    ...r.checks.map((c) => `  ${c.name.padEnd(52)} ${c.actual.padStart(10)}   ${c.pass ? 'PASS' : 'FAIL'}`),
    '',
    `  total ${ms(r.totalMs)}`,
  ];
  return `${lines.join('\n')}\n`;
}
