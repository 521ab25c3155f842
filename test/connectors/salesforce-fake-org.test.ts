/**
 * The Salesforce connector against the fake org for what nock cannot show well: the Metadata API
 * (SOAP) setup, field-level security, preflight, and metadata failures that come back as results.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector, SalesforceSetupError } from '../../connectors/salesforce/index.ts';
import type { Tier } from '../../src/core/index.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import type { Connector } from '../../src/sync/connector.ts';

const TIERS: Tier[] = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'high_touch', label: 'High-touch' },
];
const MAPPED = {
  companies: ['AnnualRevenue', 'Support_Plan__c', 'No_Such_Field__c'],
  contacts: ['Lead_Score__c', 'AccountId'],
  deals: ['Amount', 'IsWon'],
};

let running: RunningSalesforceSandbox | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start() {
  const org = generateOrg({ seed: 9, accounts: 10 });
  const sandbox = createSalesforceSandbox({ org });
  running = await sandbox.listen();
  const tokens = sandbox.tokens.issue();
  const connector: Connector = createSalesforceConnector({ instanceUrl: running.url, accessToken: tokens.accessToken });
  return { org, sandbox, connector };
}

describe('Salesforce connector against the fake org', () => {
  it('preflight names the missing mapped fields, and asks for setup while our fields are hidden', async () => {
    const { connector } = await start();
    const before = await connector.preflight(MAPPED);
    expect(before.missingProperties).toEqual({ companies: ['Account.No_Such_Field__c'] });
    expect(before.problems.join('\n')).toMatch(/Account\.Engagement_Model__c.*run setup first/s);

    const report = await connector.setup(TIERS);
    expect(report.changes).toContain('created field Contact.Engagement_Model__c');
    const after = await connector.preflight(MAPPED);
    expect(after.problems).toEqual([]);
    expect((await connector.setup(TIERS)).changes).toEqual([]);
  });

  it('with an expired session, setup (userinfo answers 403 first), identify and preflight renew it', async () => {
    const { org, sandbox } = await start();
    const issued = sandbox.tokens.issue();
    // The rotated refresh token is kept, as the CLI does (onTokens).
    let refreshToken = issued.refreshToken;
    const url = running?.url ?? '';
    const connect = () =>
      createSalesforceConnector({
        instanceUrl: url,
        accessToken: issued.accessToken,
        refreshToken,
        clientId: 'client',
        clientSecret: 'secret',
        loginUrl: url,
        onTokens: (fresh) => {
          if (fresh.refreshToken !== undefined) refreshToken = fresh.refreshToken;
        },
      });
    for (const step of ['setup', 'identify', 'preflight'] as const) {
      sandbox.tokens.expireAccessTokens();
      sandbox.resetStats();
      const connector = connect();
      if (step === 'setup') {
        const report = await connector.setup(TIERS);
        expect(report.changes).toContain(
          'assigned permission set RightTouch_Engagement_Model_Edit to the integration user',
        );
        expect(sandbox.stats.byStatus['403'], 'userinfo refused the expired session').toBe(1);
      } else if (step === 'identify') {
        expect((await connector.identify()).externalId).toBe(org.organizationId);
      } else {
        expect((await connector.preflight(MAPPED)).problems).toEqual([]);
      }
      expect(sandbox.stats.tokenGrants, step).toBe(1);
    }
  });

  it('the next-tier hint field: created by setup with the others, written, and cleared to blank by an empty write', async () => {
    const { org, connector } = await start();
    const report = await connector.setup(TIERS);
    for (const object of ['Account', 'Contact', 'Lead']) {
      expect(report.changes).toContain(`created field ${object}.Engagement_Model_Next__c`);
    }
    const [account] = [...org.store('Account').values()];
    const id = String(account?.values['Id']);
    const hint = 'Deal size 30,000 is 70,000 short of High-touch (≥ 100,000)';
    const write = (next: string) =>
      connector.update('company', [
        { id, properties: { Engagement_Model__c: 'tech_touch', Engagement_Model_Next__c: next } },
      ]);
    expect(await write(hint)).toEqual({ written: [id], rejected: [] });
    expect(account?.values['Engagement_Model_Next__c']).toBe(hint);
    // Salesforce keeps no empty text: "" blanks the field, which reads back as null.
    expect(await write('')).toEqual({ written: [id], rejected: [] });
    expect(account?.values['Engagement_Model_Next__c']).toBeNull();
  });

  it('new tiers add picklist values and keep the old ones; labels are the policy’s', async () => {
    const { org, connector } = await start();
    await connector.setup(TIERS);
    const more: Tier[] = [{ value: 'mid_touch', label: 'Mid-touch' }, ...TIERS.slice(1)];
    const report = await connector.setup(more);
    expect(report.changes).toContain('updated field Account.Engagement_Model__c');
    const field = org.customFields.get('Account.Engagement_Model__c');
    const values = JSON.stringify(field);
    for (const value of ['tech_touch', 'mid_touch', 'high_touch', 'Mid-touch']) expect(values).toContain(value);
  });

  it('a metadata failure (returned, not thrown, by Salesforce) becomes a clear error', async () => {
    const { org, connector } = await start();
    org.objects.delete('lead'); // this org has no Lead object: the Lead fields cannot be created
    const failure = connector.setup(TIERS);
    await expect(failure).rejects.toThrow(SalesforceSetupError);
    await expect(failure).rejects.toThrow(/Salesforce refused the fields:\n {2}Lead\.Engagement_Model__c: \w+: /);
  });

  it('reads past 10,000 rows (where jsforce’s default maxFetch would stop silently), one call per 2,000', async () => {
    const org = generateOrg({ seed: 4, accounts: 2600 });
    const sandbox = createSalesforceSandbox({ org });
    running = await sandbox.listen();
    const connector = createSalesforceConnector({
      instanceUrl: running.url,
      accessToken: sandbox.tokens.issue().accessToken,
    });
    let contacts = 0;
    let pages = 0;
    for await (const page of connector.read('contacts', { properties: ['Lead_Score__c', 'AccountId'] })) {
      contacts += page.length;
      pages++;
    }
    const expected = [...org.store('Contact').values(), ...org.store('Lead').values()].filter(
      (r) => r.deletedAt === null && r.values['IsConverted'] !== true,
    ).length;
    expect(expected).toBeGreaterThan(10_000);
    expect(contacts).toBe(expected);
    expect(pages).toBeGreaterThanOrEqual(6);
  });

  it('preflight: without "View Setup and Configuration" /limits is refused, and that is what it says (not "no API access")', async () => {
    const { org, connector } = await start();
    await connector.setup(TIERS);
    org.withoutViewSetup.add(org.integrationUserId);
    const report = await connector.preflight(MAPPED);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(
      /^cannot read the org's limits \(API_DISABLED_FOR_ORG: .*"View Setup and Configuration"/,
    );
    expect(report.problems[0]).not.toMatch(/no API access/);
  });

  it('JWT-based access tokens: setup moves the Metadata API to 68.0, or says to when SF_API_VERSION is lower', async () => {
    const org = generateOrg({ seed: 9, accounts: 10 });
    const sandbox = createSalesforceSandbox({ org });
    running = await sandbox.listen();
    sandbox.tokens.jwtAccessTokens = true;
    const { accessToken } = sandbox.tokens.issue();
    expect(accessToken.split('.')).toHaveLength(3);
    const pinned = createSalesforceConnector({ instanceUrl: running.url, accessToken, version: '66.0' });
    await expect(pinned.setup(TIERS)).rejects.toThrow(/JWT-based access tokens.*SF_API_VERSION=68\.0/);
    const connector = createSalesforceConnector({ instanceUrl: running.url, accessToken });
    const report = await connector.setup(TIERS);
    expect(report.changes).toContain('created field Account.Engagement_Model__c');
    expect(org.customFields.has('Lead.Engagement_Model_Updated__c')).toBe(true);
  });
});
