/**
 * `npm run bench:incremental-sync`: what a run after 100 changed records costs RightTouch on an
 * installation of 500,000 records (issue 15), against what classifying the whole installation
 * costs. The sandbox HubSpot portal (100,000 companies, 300,000 contacts, 100,000 deals by
 * default) runs in its own process (sandbox-process.ts), so its CPU and memory are not counted;
 * this process is RightTouch: the real connector, engine and store (a temporary SQLite file, or
 * PostgreSQL with --postgres).
 *
 * It runs setup, a full sync and a second sync (which reads back the full sync's own writes, as
 * the next scheduled run does), then measures the classify phase of a full run on the mirror
 * (--runs times: the denominator) — what a full run does since 2026-12-07: the tiers last written
 * read from the store (its previous tiers) and `classifyMirror` (src/sync/phases/incremental.ts:
 * the mirror read, `fullClassify`, which also settles what it moved, every decision with its hint
 * handed on, the summary); until 2026-12-08 it was the streaming `classifyEach`, which full runs no
 * longer use — then --runs rounds in each of two cases:
 *
 * - cached: the incremental sync in this process, after the runs before it (whatever the engine
 *   keeps in memory between runs is there); its peak RSS is measured from a reset of the
 *   process's high-water mark just before the run (peak-rss.ts);
 * - fresh: the incremental sync in a new child process (incremental-sync-child.ts, with the
 *   memory flags of `npm start`), as a worker that has not run the installation before; its peak
 *   RSS and CPU are the whole process's (measure.ts), and the CPU of `sync()` alone is reported too.
 *
 * Before each round the clocks (the sandbox's and the engine's, moved together instead of
 * waiting) step past the engine's 5-minute overlap, and a run that is not measured reads back
 * what the round before changed and wrote (so a measured run reads only its own round's
 * changes). Then 100 records change in the portal: 40 deals (amounts, close states), 34
 * contacts' lead scores, 25 companies' fields (revenue, headcount, support plan), and one won
 * deal is deleted — without a webhook; the store is told as the webhook receiver tells it
 * (`applyRemovalsAndMerges`), since HubSpot's search does not return deleted records. At the end
 * the tiers the runs left in the store are compared with a full classification at the last run's
 * time (they must agree).
 *
 * CPU is `process.cpuUsage()`: user + system time of every thread of the process. Prints a
 * table, writes bench/out/incremental-sync.json (or --out). Options: --companies N (default
 * 100,000), --contacts N (3× companies), --deals N (= companies), --runs N (default 3),
 * --postgres (DATABASE_URL, or a throwaway server from scripts/postgres.sh), --limits (HubSpot's
 * rate limits on: the first full sync then takes about 15 minutes at this size).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { emptyAffected } from '../connectors/hubspot/webhooks/events.ts';
import { applyRemovalsAndMerges } from '../src/server/webhooks/apply.ts';
import type { Store } from '../src/store/store.ts';
import { classifyEach } from '../src/sync/engine.ts';
import { LastWrittenTable } from '../src/sync/last-written.ts';
import { classifyMirror } from '../src/sync/phases/incremental.ts';
import {
  median,
  renderIncrementalSync,
  targetChecks,
  type IncrementalSyncResults,
  type MeasuredRun,
  type RoundFigures,
  type RunCase,
} from './incremental-sync-report.ts';
import { measureChild } from './measure.ts';
import { peakRssBytes, resetPeakRss } from './peak-rss.ts';
import { startSandboxProcess, type SandboxProcess } from './sandbox-client.ts';
import { benchConnector, loadBenchConfig, measuredSync, openStore, type RunTarget } from './sync-run.ts';

const SEED = 20261207;
const DAY_MS = 86_400_000;
/** Past the engine's 5-minute overlap window. */
const CLOCK_STEP_MS = 10 * 60_000;
/** The 100 changes of a round: 99 edits and one deleted deal. */
const CHANGES = { deals: 40, contacts: 34, companies: 25 } as const;
const MEMORY_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=30'];
/** What the denominator measures. */
const DENOMINATOR = 'classifyMirror: the classify phase of a full run (previous tiers last written, fullClassify)';

const benchDir = import.meta.dirname;
const root = dirname(benchDir);
const log = (text: string): void => void process.stderr.write(`${text}\n`);

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name}: expected a positive whole number, got ${value}`);
  return n;
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** A PostgreSQL for --postgres: DATABASE_URL, else a throwaway server (stopped by `stop`). */
function postgres(dir: string): { url: string; stop: () => void } {
  const fromEnv = process.env['DATABASE_URL']?.trim() ?? '';
  if (fromEnv !== '') return { url: fromEnv, stop: () => undefined };
  const script = join(root, 'scripts', 'postgres.sh');
  const pgDir = join(dir, 'pg');
  const url = execFileSync('bash', [script, 'start', pgDir], { encoding: 'utf8' }).trim();
  return { url, stop: () => void execFileSync('bash', [script, 'stop', pgDir], { stdio: 'ignore' }) };
}

/**
 * A won deal of the mirror inside the deal-size window (so deleting it changes its company's deal
 * size), not one of the deals just edited (each of those must still be there to be read).
 */
async function wonDealToDelete(
  store: Store,
  installationId: string,
  nowMs: number,
  pick: number,
  edited: readonly string[],
): Promise<string> {
  const candidates: string[] = [];
  for await (const deal of store.deals(installationId)) {
    const inWindow = deal.closeTime !== null && deal.closeTime >= nowMs - 365 * DAY_MS && deal.closeTime <= nowMs;
    if (deal.closedWon && (deal.amount ?? 0) > 0 && inWindow && !edited.includes(deal.id)) candidates.push(deal.id);
  }
  const id = candidates[pick % Math.max(1, candidates.length)];
  if (id === undefined) throw new Error('the portal has no won deal in the window to delete');
  return id;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      companies: { type: 'string' },
      contacts: { type: 'string' },
      deals: { type: 'string' },
      runs: { type: 'string' },
      postgres: { type: 'boolean' },
      limits: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const companies = positiveInt(values.companies, 100_000, 'companies');
  const size = {
    companies,
    contacts: positiveInt(values.contacts, companies * 3, 'contacts'),
    deals: positiveInt(values.deals, companies, 'deals'),
  };
  const runs = positiveInt(values.runs, 3, 'runs');
  const limits = values.limits === true;
  const outFile = values.out ?? join(benchDir, 'out', 'incremental-sync.json');
  const startedAt = new Date();
  const benchStart = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;

  log(`generating a portal of ${size.companies} companies, ${size.contacts} contacts, ${size.deals} deals ...`);
  const token = `bench-${crypto.randomUUID()}`;
  const generateStart = performance.now();
  const sandbox: SandboxProcess = await startSandboxProcess({ crm: 'hubspot', seed: SEED, token, size, limits });
  const generatedMs = performance.now() - generateStart;
  const dir = await mkdtemp(join(tmpdir(), 'righttouch-incremental-sync-bench-'));
  const pg = values.postgres === true ? postgres(dir) : undefined;
  const storeSpec: RunTarget['store'] =
    pg === undefined ? { sqlitePath: join(dir, 'righttouch.db') } : { databaseUrl: pg.url };
  const store = openStore({ store: storeSpec });
  try {
    await store.migrate();
    const config = await loadBenchConfig();
    const connector = benchConnector({ url: sandbox.url, token, limits });
    const account = await connector.identify();
    const installationId = (await store.upsertInstallation('hubspot', account.externalId, account.name)).id;
    await connector.setup(config.policy.tiers);
    let clockOffsetMs = 0;
    const step = async (): Promise<void> => {
      clockOffsetMs += CLOCK_STEP_MS;
      await sandbox.advance(CLOCK_STEP_MS);
    };
    const inProcess = { store, connector, installationId };
    const timed = async (title: string, full: boolean): Promise<MeasuredRun> => {
      log(`${title} ...`);
      const run = await measuredSync(inProcess, config, clockOffsetMs, full);
      log(
        `  ${(run.wallMs / 1000).toFixed(1)} s wall, ${(run.cpuMs / 1000).toFixed(1)} s CPU, ${run.counts.read} read`,
      );
      return run;
    };

    const full = await timed('full sync', true);
    await step();
    const second = await timed('second sync (reads back the full sync’s writes)', false);

    log(`full classification of the mirror, ${runs}× ...`);
    const classifyCpu: number[] = [];
    let decided = 0;
    for (let i = 0; i < runs; i++) {
      decided = 0;
      const before = process.cpuUsage();
      // As a full run: what was last written (its previous tiers), then one full classification.
      const lastWritten = new LastWrittenTable();
      for await (const tier of store.storedTiers(installationId)) lastWritten.add(tier);
      const context = {
        store,
        installationId,
        mapping: config.mapping,
        policy: config.policy,
        now: new Date(Date.now() + clockOffsetMs),
        key: '',
        dryRun: true,
        cache: undefined,
      };
      await classifyMirror(context, lastWritten, () => {
        decided++;
        return undefined;
      });
      const used = process.cpuUsage(before);
      classifyCpu.push((used.user + used.system) / 1000);
      log(`  ${((classifyCpu.at(-1) ?? 0) / 1000).toFixed(1)} s CPU`);
    }
    const fullClassifyMs = median(classifyCpu);

    const rounds: RoundFigures[] = [];
    let lastClassifiedAt = 0;
    const round = async (runCase: RunCase, index: number): Promise<void> => {
      if (rounds.length > 0) {
        await step();
        await timed('a run that reads back the previous round', false);
      }
      await step();
      const seed = SEED + rounds.length + 1;
      const mutated = await sandbox.mutate(CHANGES, seed);
      const nowMs = Date.now() + clockOffsetMs;
      const deletedDeal = await wonDealToDelete(store, installationId, nowMs, seed * 7919, mutated['deals'] ?? []);
      if (!(await sandbox.remove('deals', deletedDeal))) throw new Error(`deal ${deletedDeal} was not in the portal`);
      const affected = emptyAffected();
      affected.removals.deals.add(deletedDeal);
      await applyRemovalsAndMerges(store, installationId, affected);
      log(`${runCase} run ${index} after 100 changes ...`);
      let measured: MeasuredRun;
      let peak: number;
      let child: RoundFigures['process'] = null;
      if (runCase === 'cached') {
        resetPeakRss();
        measured = await measuredSync(inProcess, config, clockOffsetMs);
        peak = peakRssBytes();
      } else {
        const target: RunTarget = { url: sandbox.url, token, limits, installationId, store: storeSpec, clockOffsetMs };
        const stdoutPath = join(dir, 'child-stdout.json');
        const usage = await measureChild({
          args: [...MEMORY_FLAGS, join(benchDir, 'incremental-sync-child.ts'), JSON.stringify(target)],
          stdoutPath,
          workDir: dir,
          cwd: root,
        });
        measured = JSON.parse(await readFile(stdoutPath, 'utf8')) as MeasuredRun;
        peak = usage.maxRssBytes;
        child = { cpuMs: usage.userCpuMs + usage.systemCpuMs, wallMs: usage.wallMs };
      }
      lastClassifiedAt = measured.counts.classifiedAt;
      rounds.push({
        ...measured,
        case: runCase,
        round: index,
        changed: {
          deals: mutated['deals']?.length ?? 0,
          contacts: mutated['contacts']?.length ?? 0,
          companies: mutated['companies']?.length ?? 0,
        },
        deletedDeal,
        peakRssBytes: peak,
        process: child,
        cpuShare: measured.cpuMs / fullClassifyMs,
      });
      log(
        `  ${(measured.wallMs / 1000).toFixed(2)} s wall, ${measured.cpuMs.toFixed(0)} ms CPU, ` +
          `${measured.counts.decided} decided, peak RSS ${(peak / 1024 ** 2).toFixed(0)} MiB`,
      );
    };
    for (let i = 1; i <= runs; i++) await round('cached', i);
    for (let i = 1; i <= runs; i++) await round('fresh', i);

    log('comparing the tiers in the store with a full classification ...');
    const stored = new Map<string, string>();
    for await (const entry of store.previousTiers(installationId)) stored.set(`${entry.type} ${entry.id}`, entry.tier);
    let compared = 0;
    const differing: string[] = [];
    await classifyEach(
      store,
      installationId,
      config.mapping,
      config.policy,
      new Date(lastClassifiedAt),
      undefined,
      (d) => {
        compared++;
        const tier = stored.get(`${d.type} ${d.id}`);
        if (tier !== d.tier)
          differing.push(`${d.type} ${d.id}: store ${tier ?? 'none'}, full classification ${d.tier}`);
        return undefined;
      },
    );

    const results: IncrementalSyncResults = {
      node: process.version,
      cpus: availableParallelism(),
      load: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      commit: commit(),
      startedAt: startedAt.toISOString(),
      portal: size,
      store: pg === undefined ? 'sqlite' : 'postgresql',
      limits,
      generatedMs,
      sandboxRssBytes: sandbox.rssBytes,
      full,
      second,
      fullClassify: { what: DENOMINATOR, cpuMs: classifyCpu, medianCpuMs: fullClassifyMs, decided },
      rounds,
      agreement: { compared, differing: differing.length, examples: differing.slice(0, 5) },
      totalMs: performance.now() - benchStart,
      checks: [
        ...targetChecks(rounds, CHANGES),
        {
          name: 'the store agrees with a full classification',
          actual: `${differing.length} differ`,
          pass: differing.length === 0 && compared > 0,
        },
      ],
    };
    await mkdir(dirname(outFile), { recursive: true });
    await writeFile(outFile, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${renderIncrementalSync(results)}\nresults: ${outFile}\n`);
  } finally {
    await sandbox.close();
    await store.close();
    pg?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(
    `incremental sync bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
