/**
 * `npm run bench:salesforce`: the Salesforce sync against the fake org, which runs in its own
 * process (so the org's records do not count in RightTouch's memory); in this process the real
 * connector (jsforce), engine and a SQLite store. Twice: writing through sObject Collections (200
 * records per call), and with Bulk API 2.0 for writes above the threshold (the connector's default,
 * 2,000 records, or half the accounts when that is less, so that the full sync goes through Bulk
 * 2.0 and small incremental writes through collections, as in production).
 *
 * Salesforce has no per-second request limit to compare with (only concurrency, and the daily
 * API allocation): the report gives API calls and calls per record (what uses up the allocation),
 * records read per second, the second run's writes (target 0), an incremental run after 100
 * changes (60 opportunities, 20 contacts' and 20 leads' scores; target ≤ 10 API calls) and peak
 * RSS (target ≤ 512 MiB). As in bench:sync, the org's and the engine's clocks step 6 minutes ahead
 * before the second sync ("the next scheduled run"), so that the full sync's own writes are older
 * than the 5-minute overlap window of the run after it. Always exits 0 unless broken.
 *
 * Options: --accounts N (default 2,000), --contacts N (4×), --leads N (1×), --opportunities N
 * (1.5×); the large org is `-- --accounts 100000 --contacts 300000 --opportunities 100000`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSalesforceConnector } from '../connectors/salesforce/index.ts';
import { DEFAULT_BULK_THRESHOLD } from '../connectors/salesforce/options.ts';
import { loadPolicy } from '../src/app/policy.ts';
import { loadMapping } from '../src/app/policy.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { sync, type SyncReport } from '../src/sync/engine.ts';
import { startSandboxProcess } from './sandbox-client.ts';

const SEED = 11;
const CHANGES = { opportunities: 60, contacts: 20, leads: 20 };
const CLOCK_STEP_MS = 6 * 60_000;
const MAX_INCREMENTAL_CALLS = 10;
const MAX_RSS_BYTES = 512 * 1024 ** 2;
const outFile = join(dirname(fileURLToPath(import.meta.url)), 'out', 'salesforce.json');
const root = dirname(dirname(fileURLToPath(import.meta.url)));

const { values } = parseArgs({
  options: {
    accounts: { type: 'string' },
    contacts: { type: 'string' },
    leads: { type: 'string' },
    opportunities: { type: 'string' },
  },
});
function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: expected a whole number, got ${value}`);
  return n;
}
const accounts = positiveInt(values.accounts, 2000, 'accounts');
const SIZE = {
  accounts,
  contacts: positiveInt(values.contacts, accounts * 4, 'contacts'),
  leads: positiveInt(values.leads, accounts, 'leads'),
  opportunities: positiveInt(values.opportunities, Math.round(accounts * 1.5), 'opportunities'),
};
const log = (text: string): void => void process.stderr.write(`${text}\n`);
const peakRssBytes = (): number => process.resourceUsage().maxRSS * 1024;
const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

interface Row {
  readonly scenario: string;
  readonly run: 'full sync' | 'second sync' | '100 changed';
  readonly seconds: number;
  readonly read: number;
  readonly decided: number;
  readonly written: number;
  readonly apiCalls: number;
  readonly peakRssBytes: number;
  /** Requests the fake org received in the run, by endpoint. */
  readonly requests: Record<string, number>;
}

function byEndpoint(stats: unknown): Record<string, number> {
  return { ...(stats as { byEndpoint: Record<string, number> }).byEndpoint };
}

async function scenario(label: string, bulkThreshold: number): Promise<Row[]> {
  log(`${label}: starting the fake org …`);
  const sandbox = await startSandboxProcess({ crm: 'salesforce', seed: SEED, size: SIZE, token: '' });
  let clockOffsetMs = 0;
  const clock = (): Date => new Date(Date.now() + clockOffsetMs);
  const dir = await mkdtemp(join(tmpdir(), 'righttouch-sf-bench-'));
  const store = new SqliteStore(join(dir, 'r.db'));
  try {
    await store.migrate();
    const connector = createSalesforceConnector({
      instanceUrl: sandbox.url,
      accessToken: sandbox.accessToken,
      bulkThreshold,
      bulkPoll: { intervalMs: 200, timeoutMs: 1_800_000 },
    });
    const policy = await loadPolicy(join(root, 'policies', 'default.json'));
    const identity = await connector.identify();
    const installation = await store.upsertInstallation('salesforce', identity.externalId);
    await store.savePolicy(installation.id, policy);
    await connector.setup(policy.tiers);
    const mapping = await loadMapping('salesforce', join(root, 'mappings', 'salesforce.json'));
    const rows: Row[] = [];
    const run = async (name: Row['run'], full: boolean): Promise<SyncReport> => {
      log(`${label}: ${name} …`);
      const before = byEndpoint(await sandbox.stats());
      const started = performance.now();
      const report = await sync({ store, connector, mapping, installationId: installation.id, policy, full, clock });
      const seconds = (performance.now() - started) / 1000;
      const after = byEndpoint(await sandbox.stats());
      const requests = Object.fromEntries(
        Object.entries(after)
          .map(([endpoint, n]) => [endpoint, n - (before[endpoint] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      );
      rows.push({
        scenario: label,
        run: name,
        seconds,
        read: report.pulled.companies + report.pulled.contacts + report.pulled.deals,
        decided: report.decided,
        written: report.written,
        apiCalls: report.apiCalls,
        peakRssBytes: peakRssBytes(),
        requests,
      });
      log(`  ${seconds.toFixed(1)} s, ${report.apiCalls} API calls, ${report.written} written`);
      return report;
    };
    await run('full sync', true);
    clockOffsetMs += CLOCK_STEP_MS;
    await sandbox.advance(CLOCK_STEP_MS);
    await run('second sync', false);
    await sandbox.mutate(CHANGES, SEED + 1);
    await run('100 changed', false);
    return rows;
  } finally {
    await store.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  const count = new Intl.NumberFormat('en-US');
  log(
    `fake org: ${count.format(SIZE.accounts)} accounts, ${count.format(SIZE.contacts)} contacts, ${count.format(SIZE.leads)} leads, ${count.format(SIZE.opportunities)} opportunities`,
  );
  const threshold = Math.max(1, Math.min(DEFAULT_BULK_THRESHOLD, Math.floor(SIZE.accounts / 2)));
  const rows = [
    ...(await scenario('collections', Number.MAX_SAFE_INTEGER)),
    ...(await scenario(`bulk 2.0 above ${count.format(threshold)}`, threshold)),
  ];
  const header = ['run', 'time', 'read', 'decided', 'written', 'API calls', 'calls/record', 'read/s', 'peak RSS'];
  const table = rows.map((row) => [
    `${row.scenario}: ${row.run}`,
    `${row.seconds.toFixed(1)} s`,
    count.format(row.read),
    count.format(row.decided),
    count.format(row.written),
    count.format(row.apiCalls),
    (row.apiCalls / Math.max(1, row.read)).toFixed(4),
    count.format(Math.round(row.read / row.seconds)),
    mib(row.peakRssBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   ');
  const seconds = rows.filter((r) => r.run === 'second sync');
  const changed = rows.filter((r) => r.run === '100 changed');
  const checks = [
    {
      name: 'second syncs write nothing',
      actual: seconds.map((r) => r.written).join(', '),
      pass: seconds.every((r) => r.written === 0),
    },
    {
      name: `after 100 changes ≤ ${MAX_INCREMENTAL_CALLS} API calls`,
      actual: changed.map((r) => r.apiCalls).join(', '),
      pass: changed.every((r) => r.apiCalls <= MAX_INCREMENTAL_CALLS),
    },
    { name: `peak RSS ≤ ${mib(MAX_RSS_BYTES)}`, actual: mib(peakRssBytes()), pass: peakRssBytes() <= MAX_RSS_BYTES },
  ];
  process.stdout.write(
    [
      '',
      `RightTouch Salesforce sync benchmark (node ${process.version}; fake org in its own process)`,
      '',
      line(header),
      ...table.map(line),
      '',
      'Requests of the runs after 100 changes:',
      ...changed.map((r) => `  ${r.scenario}: ${JSON.stringify(r.requests)}`),
      '',
      ...checks.map((c) => `${c.name.padEnd(40)} ${c.actual.padStart(12)}   ${c.pass ? 'PASS' : 'FAIL'}`),
      '',
    ].join('\n'),
  );
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, `${JSON.stringify({ size: SIZE, rows, checks }, null, 2)}\n`);
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
