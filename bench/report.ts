/** The benchmark's results: the JSON written to bench/out/results.json and the text printed. */
import type { Generated } from './generate.ts';
import type { Measured } from './measure.ts';
import { TIER_VALUES } from './policy.ts';
import type { OutputCheck } from './verify.ts';

export const MAX_RATIO = 3;
export const MAX_PEAK_RSS_BYTES = 1.5 * 1024 ** 3;

export interface Results {
  readonly node: string;
  readonly cpus: number;
  readonly runs: number;
  readonly input: Omit<Generated, 'policy' | 'records' | 'previous'> & { readonly records: number };
  readonly baseline: Measured;
  readonly classify: Measured;
  /** classify / read+parse by wall-clock time: the figure the target is on. */
  readonly ratio: number;
  /** The same by CPU time (user + system): steadier than wall-clock on a busy machine. */
  readonly cpuRatio: number;
  readonly output: OutputCheck & { readonly complete: boolean };
  readonly targets: {
    readonly ratio: { readonly max: number; readonly actual: number; readonly pass: boolean };
    readonly peakRss: { readonly maxBytes: number; readonly actualBytes: number; readonly pass: boolean };
  };
}

const count = new Intl.NumberFormat('en-US');
const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');

export function cpuMs(m: Measured): number {
  return m.userCpuMs + m.systemCpuMs;
}

function cpu(m: Measured): string {
  return `cpu ${seconds(m.userCpuMs)} user + ${seconds(m.systemCpuMs)} sys`;
}

export function renderReport(r: Results): string {
  const rows: string[] = [
    `RightTouch classify benchmark (node ${r.node}, ${r.cpus} CPUs, median of ${r.runs} run${r.runs === 1 ? '' : 's'})`,
    '',
    `  records            ${count.format(r.input.records)} (${count.format(r.input.companies)} companies, ${count.format(r.input.contacts)} contacts; ${mib(r.input.recordsBytes)})`,
    `  previous tiers     ${count.format(r.input.previousTiers)}`,
    `  generated in       ${seconds(r.input.ms)}`,
    '',
    `  read+parse         ${seconds(r.baseline.wallMs).padStart(9)}   peak RSS ${mib(r.baseline.maxRssBytes).padStart(9)}   ${cpu(r.baseline)}`,
    `  classify           ${seconds(r.classify.wallMs).padStart(9)}   peak RSS ${mib(r.classify.maxRssBytes).padStart(9)}   ${cpu(r.classify)}`,
    `  ratio              ${r.ratio.toFixed(2)}× (classify / read+parse, wall-clock; by CPU time ${r.cpuRatio.toFixed(2)}×)`,
    '',
    `  output lines       ${count.format(r.output.lines)} ${r.output.complete ? '(one per record)' : '(MISMATCH: expected one per record)'}`,
  ];
  for (const [type, tiers] of Object.entries(r.output.tiers)) {
    const parts = TIER_VALUES.map((tier) => `${tier} ${count.format(tiers[tier] ?? 0)}`);
    rows.push(`  ${`${type} tiers`.padEnd(18)} ${parts.join(', ')}`);
  }
  for (const [label, seen] of Object.entries(r.output.capacity)) {
    rows.push(
      `  ${`${label} capacity`.padEnd(18)} ${count.format(seen.kept)} kept a seat by ranking, ${count.format(seen.movedDown)} moved down`,
    );
  }
  rows.push(
    '',
    'Targets',
    `  ratio ≤ ${MAX_RATIO}           ${r.ratio.toFixed(2)}×   ${verdict(r.targets.ratio.pass)}`,
    `  peak RSS ≤ 1.5 GiB   ${mib(r.classify.maxRssBytes)}   ${verdict(r.targets.peakRss.pass)}`,
  );
  return `${rows.join('\n')}\n`;
}
