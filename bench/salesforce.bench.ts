/**
 * `npm run bench:salesforce`: the Salesforce sync against the fake org, in this process — the real
 * connector (jsforce), engine and a SQLite store — once writing through sObject Collections (200
 * records per call) and once through Bulk API 2.0 (every write above the threshold). Salesforce has
 * no per-second limit to compare with: what counts is its daily API allocation, so the report
 * gives API calls (and calls per record), records per second, the second run's writes (target 0)
 * and an incremental run after 100 changed opportunities. Always exits 0 unless broken.
 * Options: --accounts N (default 2,000; contacts 4×, leads 1×, opportunities 1.5×).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSalesforceConnector } from '../connectors/salesforce/index.ts';
import { loadPolicy } from '../src/cli/policy-file.ts';
import { loadMapping } from '../src/cli/store-commands.ts';
import { generateOrg, mutateOrg } from '../src/sandbox/salesforce/generate.ts';
import { createSalesforceSandbox } from '../src/sandbox/salesforce/server.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { sync, type SyncReport } from '../src/sync/engine.ts';

const { values } = parseArgs({ options: { accounts: { type: 'string' } } });
const ACCOUNTS = Number(values.accounts ?? 2000);
const log = (text: string): void => void process.stderr.write(`${text}\n`);

interface Row {
  readonly label: string;
  readonly seconds: number;
  readonly report: SyncReport;
}

async function scenario(label: string, bulkThreshold: number): Promise<Row[]> {
  const org = generateOrg({ seed: 11, accounts: ACCOUNTS });
  const sandbox = createSalesforceSandbox({ org, dailyApiLimit: 10_000_000 });
  const running = await sandbox.listen();
  const dir = await mkdtemp(join(tmpdir(), 'righttouch-sf-bench-'));
  const store = new SqliteStore(join(dir, 'r.db'));
  try {
    await store.migrate();
    const connector = createSalesforceConnector({
      instanceUrl: running.url,
      accessToken: sandbox.tokens.issue().accessToken,
      bulkThreshold,
      bulkPoll: { intervalMs: 200, timeoutMs: 600_000 },
    });
    const policy = await loadPolicy('policies/default.json');
    const installation = await store.upsertInstallation('salesforce', org.organizationId);
    await store.savePolicy(installation.id, policy);
    await connector.setup(policy.tiers);
    const mapping = await loadMapping('salesforce');
    const rows: Row[] = [];
    const run = async (name: string, full: boolean): Promise<void> => {
      const started = performance.now();
      const report = await sync({ store, connector, mapping, installationId: installation.id, policy, full });
      rows.push({ label: `${label}: ${name}`, seconds: (performance.now() - started) / 1000, report });
      log(`${label}: ${name} done`);
    };
    await run('full sync', true);
    await run('second sync', false);
    mutateOrg(org, { opportunities: 100, contacts: 0, leads: 0, seed: 5, now: Date.now() });
    await run('after 100 opportunities changed', false);
    return rows;
  } finally {
    await store.close();
    await running.close();
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  log(`fake org: ${ACCOUNTS} accounts, ${ACCOUNTS * 4} contacts, ${ACCOUNTS} leads, ${ACCOUNTS * 1.5} opportunities`);
  const rows = [...(await scenario('collections', Number.MAX_SAFE_INTEGER)), ...(await scenario('bulk 2.0', 0))];
  const lines = [
    '',
    'run                                        time     read   decided   written   API calls   calls/record   records/s',
  ];
  for (const { label, seconds, report } of rows) {
    const read = report.pulled.companies + report.pulled.contacts + report.pulled.deals;
    lines.push(
      `${label.padEnd(42)} ${seconds.toFixed(1).padStart(5)} s ${String(read).padStart(8)} ${String(report.decided).padStart(9)} ${String(report.written).padStart(9)} ${String(report.apiCalls).padStart(11)} ${(report.apiCalls / Math.max(1, read)).toFixed(4).padStart(14)} ${Math.round(
        read / seconds,
      )
        .toString()
        .padStart(11)}`,
    );
  }
  const seconds = rows.filter((r) => r.label.endsWith('second sync')).map((r) => r.report.written);
  lines.push(
    '',
    `second syncs write nothing: ${seconds.every((w) => w === 0) ? 'PASS' : 'FAIL'} (${seconds.join(', ')})`,
    '',
  );
  process.stdout.write(lines.join('\n'));
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
