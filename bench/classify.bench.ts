/**
 * `npm run bench`: generates a 1,000,000-record book (bench/out/), then times `righttouch classify`
 * on it against merely reading and parsing the same file, both as child processes, and reports
 * wall-clock time, the ratio and peak RSS against the targets. Always exits 0: it is a report.
 *
 * Options: --runs N (median of N runs, default 3: timings on a shared 2-core machine are noisy),
 * --records N (default 1,000,000, a quarter of them companies). Pass them as `npm run bench -- --runs 3`.
 */
import { availableParallelism } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from './generate.ts';
import { measureChild, median } from './measure.ts';
import type { Measured } from './measure.ts';
import { cpuMs, MAX_PEAK_RSS_BYTES, MAX_RATIO, renderReport } from './report.ts';
import type { Results } from './report.ts';
import { checkOutput } from './verify.ts';

const NOW = '2026-11-20T00:00:00Z';
const SEED = 20261120;

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const outDir = join(benchDir, 'out');

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive whole number, got ${value}`);
  return n;
}

const { values } = parseArgs({ options: { runs: { type: 'string' }, records: { type: 'string' } } });
const runs = positiveInt(values.runs, 3, 'runs');
const total = positiveInt(values.records, 1_000_000, 'records');
const companies = Math.max(1, Math.round(total / 4));

const log = (text: string): void => void process.stderr.write(`${text}\n`);

log(`generating ${total.toLocaleString('en-US')} records in ${outDir} ...`);
const input = await generate({ dir: outDir, companies, contacts: total - companies, seed: SEED, now: new Date(NOW) });
const records = input.companies + input.contacts;

// The two are measured in turns (read+parse, classify, read+parse, …) so that a machine whose speed
// drifts during the bench slows both alike; each figure is the median of its runs.
log(`measuring read+parse (records and previous tiers: the input classify reads) and classify, ${runs} times each ...`);
const baselineOut = join(outDir, 'read-parse.out');
const decisionsPath = join(outDir, 'decisions.jsonl');
const cli = [join(root, 'bin', 'righttouch.js'), 'classify', '--policy', input.policy, '--records', input.records];
const baselineRun = {
  args: [join(benchDir, 'read-parse.ts'), input.records, input.previous],
  stdoutPath: baselineOut,
  workDir: outDir,
  cwd: root,
};
const classifyRun = {
  args: [...cli, '--previous', input.previous, '--now', NOW],
  stdoutPath: decisionsPath,
  workDir: outDir,
  cwd: root,
};
const baselines: Measured[] = [];
const classifies: Measured[] = [];
for (let i = 0; i < runs; i++) {
  baselines.push(await measureChild(baselineRun));
  classifies.push(await measureChild(classifyRun));
  log(
    `  run ${i + 1}: read+parse ${(baselines[i]?.wallMs ?? 0).toFixed(0)} ms, classify ${(classifies[i]?.wallMs ?? 0).toFixed(0)} ms`,
  );
}
const baseline = median(baselines);
const classify = median(classifies);
const parsed = JSON.parse(await readFile(baselineOut, 'utf8')) as { lines: number }[];
if (parsed[0]?.lines !== records) throw new Error(`read+parse saw ${parsed[0]?.lines} lines, expected ${records}`);

log('checking the output ...');
const output = await checkOutput(decisionsPath);
const ratio = classify.wallMs / baseline.wallMs;
const results: Results = {
  node: process.version,
  cpus: availableParallelism(),
  runs,
  input: {
    records,
    companies: input.companies,
    contacts: input.contacts,
    previousTiers: input.previousTiers,
    recordsBytes: input.recordsBytes,
    ms: input.ms,
  },
  baseline,
  classify,
  ratio,
  cpuRatio: cpuMs(classify) / cpuMs(baseline),
  output: { ...output, complete: output.lines === records },
  targets: {
    ratio: { max: MAX_RATIO, actual: ratio, pass: ratio <= MAX_RATIO },
    peakRss: {
      maxBytes: MAX_PEAK_RSS_BYTES,
      actualBytes: classify.maxRssBytes,
      pass: classify.maxRssBytes <= MAX_PEAK_RSS_BYTES,
    },
  },
};
await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\n${renderReport(results)}\nresults: ${join(outDir, 'results.json')}\n`);
