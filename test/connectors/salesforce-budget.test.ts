/**
 * The org's daily API allocation and Bulk API 2.0: every poll is a call against it, the reserve
 * (SF_API_RESERVE) is checked before each one, a job the budget cannot see through is not started,
 * and a dry run's estimate counts the polls a job is expected to take.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedPolls, MIN_JOB_CALLS } from '../../connectors/salesforce/bulk.ts';
import { createSalesforceConnector, SalesforceBudgetError } from '../../connectors/salesforce/index.ts';
import { estimateWriteCalls } from '../../connectors/salesforce/write.ts';
import type { Policy, Tier } from '../../src/core/index.ts';
import { validateMapping } from '../../src/mapping/mapping.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import {
  createSalesforceSandbox,
  type RunningSalesforceSandbox,
  type SalesforceSandboxOptions,
} from '../../sandbox/salesforce/server.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { sync } from '../../src/sync/engine.ts';
import { readJson, repoRoot } from '../helpers.ts';

const TIERS: Tier[] = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'high_touch', label: 'High-touch' },
];
const POLL = `GET /services/data/vXX.X/jobs/ingest/:jobId`;

let running: RunningSalesforceSandbox | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(sandboxOptions: SalesforceSandboxOptions, accounts = 30) {
  const org = generateOrg({ seed: 9, accounts });
  const sandbox = createSalesforceSandbox({ org, ...sandboxOptions });
  running = await sandbox.listen();
  const connector = createSalesforceConnector({
    instanceUrl: running.url,
    accessToken: sandbox.tokens.issue().accessToken,
    bulkThreshold: 1,
    apiReserve: 0.2,
    sleep: () => Promise.resolve(),
  });
  await connector.setup(TIERS);
  const ids = [...org.store('Account').values()]
    .filter((record) => record.deletedAt === null)
    .slice(0, 5)
    .map((record) => String(record.values['Id']));
  const write = () =>
    connector.update(
      'company',
      ids.map((id) => ({ id, properties: { Engagement_Model__c: 'high_touch' } })),
    );
  return { org, sandbox, connector, write };
}

describe('Salesforce daily API budget with Bulk API 2.0', () => {
  it('stops polling when the reserve is reached, spends no call past it, names the job left running', async () => {
    const t = await start({ dailyApiLimit: 100, bulkProcessingPolls: 50 });
    t.org.apiUsage = 70; // 30 calls left today, of which the reserve keeps 20
    t.sandbox.resetStats();
    const before = t.connector.apiCalls;
    const failure = t.write();
    await expect(failure).rejects.toThrow(SalesforceBudgetError);
    await expect(failure).rejects.toThrow(/Bulk API job \w+ was left running in Salesforce/);
    // open, upload, close (71–73), then polls until the org reports 80 used: the reserve.
    expect(t.org.apiUsage).toBe(80);
    expect(t.sandbox.stats.byEndpoint[POLL]).toBe(7);
    expect(t.connector.apiCalls - before).toBe(10);
    expect(t.sandbox.stats.limitRefusals).toBe(0);
  });

  it('does not open a job when fewer calls are left above the reserve than a job takes at least', async () => {
    const t = await start({ dailyApiLimit: 100 });
    // The connector learns the usage from its next answer: one query makes it 74 used, 6 left
    // above the reserve of 20, one fewer than a job takes.
    t.org.apiUsage = 80 - MIN_JOB_CALLS;
    await t.connector.identify();
    t.sandbox.resetStats();
    await expect(t.write()).rejects.toThrow(/calls left before RightTouch's reserve/);
    expect(t.sandbox.stats.bulkJobs).toBe(0);
    expect(t.sandbox.stats.requests).toBe(0);
  });

  it('the estimate counts the polls a job is expected to take, the interval backing off', () => {
    // 30 s queued + 1 min per 10,000 records; polls at 0, 2, 5, 9.5, 16, 26, 42, 64, 94 s.
    expect(expectedPolls(10_000, 2000)).toBe(9);
    // 10.5 minutes: then every 30 s.
    expect(expectedPolls(100_000, 2000)).toBe(27);
    // Collections below the threshold; above it, per batch of 10,000: 3 + polls + 3 result files.
    expect(estimateWriteCalls(1500, 2000, 2000)).toBe(8);
    expect(estimateWriteCalls(10_000, 2000, 2000)).toBe(15);
    expect(estimateWriteCalls(25_000, 2000, 2000)).toBe(15 + 15 + 15);
    expect(estimateWriteCalls(10_000, 2000, 2000, 2)).toBe(30);
  });

  it('a dry run estimates the write calls a run then makes, polls included', async () => {
    const polls = expectedPolls(100, 2000);
    // The fake org reports InProgress for as many polls as the estimate expects, less the last.
    const t = await start({ bulkProcessingPolls: polls - 1 }, 40);
    const mapping = validateMapping(readJson(join(repoRoot, 'mappings', 'salesforce.json')));
    if (!mapping.ok) throw new Error('invalid Salesforce mapping');
    const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
    await t.connector.setup(policy.tiers); // every tier a picklist value: nothing refused
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const installation = await store.upsertInstallation('salesforce', 'org-1');
    const options = {
      store,
      connector: t.connector,
      mapping: mapping.mapping,
      installationId: installation.id,
      policy,
      full: true,
    };
    const dry = await sync({ ...options, dryRun: true });
    t.sandbox.resetStats();
    const real = await sync(options);
    expect(real).toMatchObject({ written: dry.changed, rejected: [] });
    // Accounts, Contacts and Leads: one job each, every one open, upload, close, polls, 3 results.
    expect(t.sandbox.stats.bulkJobs).toBe(3);
    expect(t.sandbox.stats.byEndpoint[POLL]).toBe(3 * polls);
    expect(dry.writeCalls).toBe(3 * (3 + polls + 3));
    const bulkCalls = Object.entries(t.sandbox.stats.byEndpoint)
      .filter(([endpoint]) => endpoint.includes('/jobs/ingest'))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(bulkCalls).toBe(dry.writeCalls);
    // And the run counted every call the org saw, each poll included.
    expect(real.apiCalls).toBe(t.sandbox.stats.requests);
  });
});
