/**
 * `npm run bench:installations` (issue 19, item 6): N sandbox HubSpot portals installed through the
 * OAuth flow, each set to sync every minute, the schedule running for M minutes, in three
 * configurations: PostgreSQL with one and with two `righttouch worker` processes beside one
 * `righttouch serve --no-worker` (the HTTP process, which runs no syncs and answers the bench's
 * `/healthz` polls), and SQLite with one `righttouch serve` doing both. It prints, per configuration,
 * the time to first sync of all installations, the tick-to-finish lag, missed ticks, concurrent runs,
 * peak RSS per process, `/healthz` p50/p99, each worker's share and the nightly reconcile's busiest
 * minute, with the targets met or not (installations-report.ts), and writes bench/out/installations.json.
 *
 * ```sh
 * npm run bench:installations                                   # 1,000 portals, 5 minutes, all three (~50 min)
 * npm run bench:installations -- --portals 50 --minutes 2 --configs sqlite
 * npm run bench:installations -- --configs pg1 --concurrency 16            # RIGHTTOUCH_CONCURRENCY
 * ```
 * PostgreSQL: DATABASE_URL (a database per configuration is created there: it needs CREATEDB), else a
 * throwaway server from scripts/postgres.sh. Each configuration gets a fresh portal host and store.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { measure, render, type ConfigResult } from './installations-report.ts';
import { runConfiguration, type ConfigSpec } from './installations-run.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const CONFIGS = ['pg1', 'pg2', 'sqlite'] as const;

const { values } = parseArgs({
  options: {
    portals: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '5' },
    configs: { type: 'string', default: CONFIGS.join(',') },
    'poll-ms': { type: 'string', default: '50' },
    'grace-s': { type: 'string', default: '60' },
    'install-concurrency': { type: 'string', default: '8' },
    /** RIGHTTOUCH_CONCURRENCY for the workers (default: theirs, 4). */
    concurrency: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const portals = Number(values.portals);
const minutes = Number(values.minutes);
const configs = values.configs.split(',').map((c) => c.trim());
for (const c of configs) {
  if (!(CONFIGS as readonly string[]).includes(c))
    throw new Error(`--configs: ${c} is not one of ${CONFIGS.join(', ')}`);
}
if (!Number.isInteger(portals) || portals < 1) throw new Error('--portals must be a whole number ≥ 1');
if (!(minutes > 0)) throw new Error('--minutes must be > 0');

const dir = mkdtempSync(join(tmpdir(), 'rt-inst-'));
const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

/** A PostgreSQL server: DATABASE_URL, else a throwaway one (stopped at the end). */
function postgres(): { url: string; stop: () => void } {
  const fromEnv = process.env['DATABASE_URL']?.trim() ?? '';
  if (fromEnv !== '') return { url: fromEnv, stop: () => undefined };
  const script = join(root, 'scripts', 'postgres.sh');
  // Its own folder (as test/store/postgres-setup.ts): the script hands it to the postgres user.
  const pgDir = mkdtempSync(join(tmpdir(), 'rt-pg-'));
  const url = execFileSync('bash', [script, 'start', pgDir], { encoding: 'utf8' }).trim();
  return {
    url,
    stop: () => {
      execFileSync('bash', [script, 'stop', pgDir], { stdio: 'ignore' });
      rmSync(pgDir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on that server for one configuration. */
async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const server = configs.some((c) => c.startsWith('pg')) ? postgres() : undefined;
const results: ConfigResult[] = [];
log(
  `RightTouch installations benchmark: ${portals} portals, ${minutes} min at a 1-minute cadence, ${configs.join(', ')} (node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})`,
);
try {
  for (const name of configs) {
    const spec: ConfigSpec =
      name === 'sqlite'
        ? { name, workers: 0, databaseUrl: undefined }
        : {
            name,
            workers: name === 'pg2' ? 2 : 1,
            databaseUrl: await freshDatabase(server?.url ?? '', `rt_bench_${name}`),
          };
    let observed;
    try {
      observed = await runConfiguration(spec, {
        portals,
        minutes,
        root,
        dir,
        pollMs: Number(values['poll-ms']),
        graceMs: Number(values['grace-s']) * 1000,
        installConcurrency: Number(values['install-concurrency']),
        log,
        label: name,
        concurrency: values.concurrency,
      });
    } catch (error) {
      // One configuration's failure (e.g. a process that died) does not lose the others' figures.
      log(`  ${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      continue;
    }
    const result = measure(observed);
    results.push(result);
    process.stdout.write(`\n${render(result)}\n`);
  }
} finally {
  server?.stop();
  if (values.keep) log(`logs and stores kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
mkdirSync(join(root, 'bench', 'out'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'out', 'installations.json'),
  `${JSON.stringify({ node: process.version, cpus: cpus().length, portals, minutes, results }, null, 2)}\n`,
);
