/**
 * Deals from a Salesforce org as the sync engine sees them, against the fake org: a won
 * Opportunity deleted between two incremental runs stops counting in its Account's deal size at
 * once (queryAll with IsDeleted), not only at the nightly full read; in a multi-currency org,
 * amounts count in the corporate currency (convertCurrency()), and a run refuses to read when the
 * integration user's currency is another one (Salesforce would convert to that).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import { SalesforceCurrencyError } from '../../connectors/salesforce/currency.ts';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping, type Mapping } from '../../src/mapping/mapping.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { formatDate, type Org } from '../../sandbox/salesforce/model.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { sync } from '../../src/sync/engine.ts';
import { readJson, repoRoot } from '../helpers.ts';

const DAY = 86_400_000;
const policy: Policy = {
  version: 1,
  tiers: [
    { value: 'tech_touch', label: 'Tech-touch' },
    { value: 'high_touch', label: 'High-touch' },
  ],
  company: { default: 'tech_touch', rules: [{ tier: 'high_touch', when: { field: 'dealSize', gte: 100_000 } }] },
  contact: { inherit: 'company' },
};

export function salesforceMapping(): Mapping {
  const result = validateMapping(readJson(join(repoRoot, 'mappings', 'salesforce.json')));
  if (!result.ok) throw new Error('invalid default Salesforce mapping');
  return result.mapping;
}

let running: RunningSalesforceSandbox | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** The fake org, a connector with its fields set up, and an engine run against a fresh store. */
export async function engineOn(org: Org, mapping: Mapping = salesforceMapping()) {
  let now = Date.now();
  const sandbox = createSalesforceSandbox({ org, now: () => now });
  running = await sandbox.listen();
  const connector = createSalesforceConnector({
    instanceUrl: running.url,
    accessToken: sandbox.tokens.issue().accessToken,
  });
  await connector.setup(policy.tiers);
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const installation = await store.upsertInstallation('salesforce', org.organizationId);
  const run = async (full: boolean) => {
    now += 60_000;
    return await sync({
      store,
      connector,
      mapping,
      policy,
      installationId: installation.id,
      full,
      clock: () => new Date(now),
    });
  };
  return { sandbox, connector, store, installationId: installation.id, run, advance: (ms: number) => (now += ms) };
}

describe('Salesforce deals through the engine', () => {
  it('a deleted won Opportunity stops counting in deal size on the next incremental run', async () => {
    const now = Date.now();
    const org = generateOrg({ seed: 21, accounts: 4, now: now - DAY });
    const account = org.insert('Account', { Name: 'Deleted Deal Ltd' }, now - DAY);
    const accountId = String(account.values['Id']);
    const deal = org.insert(
      'Opportunity',
      {
        AccountId: accountId,
        Name: 'Platform 2026',
        Amount: 400_000,
        StageName: 'Closed Won',
        IsClosed: true,
        IsWon: true,
        CloseDate: formatDate(now - 30 * DAY),
      },
      now - DAY,
    );
    const { run, store, installationId, advance } = await engineOn(org);
    await run(true);
    expect(account.values['Engagement_Model__c']).toBe('high_touch');

    advance(3_600_000);
    org.deleteRecord('Opportunity', String(deal.values['Id']), Date.now() + 3_600_000);
    const second = await run(false);
    expect(second.kind).toBe('incremental');
    const mirrored: string[] = [];
    for await (const mirroredDeal of store.deals(installationId)) mirrored.push(mirroredDeal.id);
    expect(mirrored).not.toContain(deal.values['Id']);
    expect(account.values['Engagement_Model__c']).toBe('tech_touch');
  });
});

describe('Salesforce amounts in a multi-currency org', () => {
  const currencies = { corporate: 'USD', rates: { EUR: 0.9, JPY: 150 } };

  function wonDeal(org: Org, name: string, currency: string, amount: number): string {
    const now = Date.now();
    const account = org.insert('Account', { Name: name, CurrencyIsoCode: currency }, now - DAY);
    org.insert(
      'Opportunity',
      {
        AccountId: account.values['Id'] ?? null,
        Name: `${name} deal`,
        Amount: amount,
        CurrencyIsoCode: currency,
        StageName: 'Closed Won',
        IsClosed: true,
        IsWon: true,
        CloseDate: formatDate(now - 30 * DAY),
      },
      now - DAY,
    );
    return String(account.values['Id']);
  }

  it('deal sizes count in the corporate currency: ¥9,000,000 is $60,000, €90,000 is $100,000', async () => {
    const org = generateOrg({ seed: 22, accounts: 4, now: Date.now() - DAY, currencies });
    const yen = wonDeal(org, 'Yen KK', 'JPY', 9_000_000);
    const euro = wonDeal(org, 'Euro GmbH', 'EUR', 90_000);
    const { run } = await engineOn(org);
    await run(true);
    expect(org.get('Account', yen)?.values['Engagement_Model__c']).toBe('tech_touch');
    expect(org.get('Account', euro)?.values['Engagement_Model__c']).toBe('high_touch');
    expect(String(org.get('Account', euro)?.values['Engagement_Model_Reason__c'])).toContain('100,000');
  });

  it('with advanced currency management, a deal converts at the dated rate of its close date', async () => {
    const periodStart = formatDate(Date.now() - 31 * DAY);
    const dated = [
      { code: 'EUR', start: '2020-01-01', rate: 0.9 },
      { code: 'EUR', start: periodStart, rate: 0.5 }, // the period holding the deal's CloseDate
    ];
    const org = generateOrg({ seed: 22, accounts: 4, now: Date.now() - DAY, currencies: { ...currencies, dated } });
    const euro = wonDeal(org, 'Euro GmbH', 'EUR', 60_000); // $66,667 at the static 0.9; $120,000 at 0.5
    const { run } = await engineOn(org);
    await run(true);
    expect(org.get('Account', euro)?.values['Engagement_Model__c']).toBe('high_touch');
    expect(String(org.get('Account', euro)?.values['Engagement_Model_Reason__c'])).toContain('120,000');
  });

  it('as stored ("currency": "record"), the yen deal would count as 9,000,000', async () => {
    const org = generateOrg({ seed: 22, accounts: 4, now: Date.now() - DAY, currencies });
    const yen = wonDeal(org, 'Yen KK', 'JPY', 9_000_000);
    const { run } = await engineOn(org, { ...salesforceMapping(), currency: 'record' });
    await run(true);
    expect(org.get('Account', yen)?.values['Engagement_Model__c']).toBe('high_touch');
  });

  it('refuses to read when the integration user’s currency is not the corporate one, and says what to change', async () => {
    const org = generateOrg({ seed: 22, accounts: 4, now: Date.now() - DAY, currencies });
    const user = org.get('User', org.integrationUserId);
    if (user === undefined) throw new Error('no integration user');
    user.values['DefaultCurrencyIsoCode'] = 'EUR';
    const { run, connector } = await engineOn(org);
    const report = await connector.preflight({ companies: ['AnnualRevenue'], deals: ['Amount'] });
    expect(report.problems).toEqual([
      expect.stringMatching(/^multi-currency org: .*integration user's is EUR/) as unknown,
    ]);
    const failed = run(true);
    await expect(failed).rejects.toThrow(SalesforceCurrencyError);
    await expect(failed).rejects.toThrow(/integration user's is EUR while the corporate currency is USD/);
  });
});
