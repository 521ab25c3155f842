/**
 * The benchmarks of issue 15 on small portals, end to end as `npm run` starts them (a child
 * process each): what they measure is what they say — the incremental sync reads exactly the
 * round's changes, agrees with a full classification, reports both cases with their own peak
 * RSS; the webhook bench serves a portal of the size it is given. The figures themselves are not
 * checked (they are the benchmarks' business, and noisy here).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { IncrementalSyncResults } from '../../bench/incremental-sync-report.ts';
import { repoRoot } from '../helpers.ts';

const run = promisify(execFile);
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rt-bench-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function bench(script: string, args: readonly string[]): Promise<void> {
  await run(process.execPath, ['--max-semi-space-size=16', '--heap-growing-percent=30', script, ...args], {
    cwd: repoRoot,
    timeout: 170_000,
  });
}

test('incremental-sync bench: each measured run reads exactly its round’s 99 edits, and the store agrees with a full classification', async () => {
  const out = join(dir, 'incremental-sync.json');
  await bench('bench/incremental-sync.bench.ts', ['--companies', '150', '--runs', '2', '--out', out]);
  const r = JSON.parse(await readFile(out, 'utf8')) as IncrementalSyncResults;
  expect(r.portal).toEqual({ companies: 150, contacts: 450, deals: 150 });
  expect(r.full.counts.decided).toBe(600);
  expect(r.fullClassify.cpuMs).toHaveLength(2);
  expect(r.fullClassify.decided).toBe(600);
  // The denominator is the classification a full run does (not the streaming classifyEach).
  expect(r.fullClassify.what).toMatch(/^classifyMirror: the classify phase of a full run/);
  expect(r.rounds.map((round) => `${round.case} ${round.round}`)).toEqual([
    'cached 1',
    'cached 2',
    'fresh 1',
    'fresh 2',
  ]);
  const deleted = new Set<string>();
  for (const round of r.rounds) {
    expect(round.changed).toEqual({ deals: 40, contacts: 34, companies: 25 });
    // The run before each round read back the last one: only this round's edits are read.
    expect(round.counts.pulled).toEqual({ companies: 25, contacts: 34, deals: 40 });
    expect(round.counts.kind).toBe('incremental');
    expect(round.counts.apiCalls).toBeGreaterThan(0);
    expect(round.cpuShare).toBeCloseTo(round.cpuMs / r.fullClassify.medianCpuMs, 6);
    expect(round.peakRssBytes).toBeGreaterThan(30 * 1024 ** 2);
    expect(round.process === null).toBe(round.case === 'cached');
    if (round.process !== null) expect(round.process.cpuMs).toBeGreaterThanOrEqual(round.cpuMs * 0.9);
    expect(round.deletedDeal).not.toBeNull();
    deleted.add(round.deletedDeal ?? '');
  }
  expect(deleted.size).toBe(4);
  expect(r.agreement).toMatchObject({ compared: 600, differing: 0 });
  expect(r.checks.map((c) => c.name)).toContain('the store agrees with a full classification');
}, 180_000);

test('webhook bench: --companies sizes the portal (contacts 4×, deals 1.5×) and the result names it', async () => {
  const out = join(dir, 'webhook.json');
  await bench('bench/webhook.bench.ts', ['--companies', '120', '--changes', '4', '--out', out]);
  const r = JSON.parse(await readFile(out, 'utf8')) as {
    portal: unknown;
    changes: number;
    latencyMs: { p50: number; p95: number };
    target: { p95Ms: number };
  };
  expect(r.portal).toEqual({ companies: 120, contacts: 480, deals: 180 });
  expect(r.changes).toBe(4);
  expect(r.latencyMs.p95).toBeGreaterThanOrEqual(r.latencyMs.p50);
  expect(r.target.p95Ms).toBe(10_000);
}, 180_000);

test('peak RSS can be reset within a process, so a run in a long-lived process has its own peak', async () => {
  // In a child with the garbage collector at hand, so that the 200 MiB really leave the resident set.
  const code = `
    const { peakRssBytes, resetPeakRss } = await import(${JSON.stringify(join(repoRoot, 'bench', 'peak-rss.ts'))});
    let big = Buffer.alloc(200 * 1024 ** 2, 1);
    big = undefined;
    globalThis.gc();
    const before = peakRssBytes();
    const reset = resetPeakRss();
    console.log(JSON.stringify({ before, reset, after: peakRssBytes(), rss: process.memoryUsage().rss }));`;
  const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', code]);
  const r = JSON.parse(stdout) as { before: number; reset: boolean; after: number; rss: number };
  expect(r.reset).toBe(true);
  expect(r.before).toBeGreaterThan(200 * 1024 ** 2);
  expect(r.after).toBeLessThan(r.before - 150 * 1024 ** 2);
  expect(r.after).toBeLessThanOrEqual(r.rss + 8 * 1024 ** 2);
});
