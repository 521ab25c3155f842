/**
 * Record types against the fake org: a tier value added to the field by a later `setup` must also
 * be enabled on each record type of Account, Contact and Lead, or Salesforce refuses to write it
 * to records of that type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST). `setup` enables it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Tier } from '../../src/core/index.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';

const TIERS: Tier[] = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'high_touch', label: 'High-touch' },
];
const MORE: Tier[] = [...TIERS, { value: 'mid_touch', label: 'Mid-touch' }];

let running: RunningSalesforceSandbox | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start() {
  const org = generateOrg({ seed: 31, accounts: 6, recordTypes: { Account: ['Enterprise', 'SMB'] } });
  const sandbox = createSalesforceSandbox({ org });
  running = await sandbox.listen();
  const connector = createSalesforceConnector({
    instanceUrl: running.url,
    accessToken: sandbox.tokens.issue().accessToken,
  });
  const account = [...org.store('Account').values()].find((r) => r.deletedAt === null);
  if (account === undefined) throw new Error('no account');
  return { org, connector, accountId: String(account.values['Id']), account };
}

describe('Salesforce record types', () => {
  it('a tier added later is enabled on every Account record type, so writing it is accepted', async () => {
    const { org, connector, accountId, account } = await start();
    await connector.setup(TIERS);
    const report = await connector.setup(MORE);
    const result = await connector.update('company', [
      { id: accountId, properties: { Engagement_Model__c: 'mid_touch' } },
    ]);
    expect(result).toEqual({ written: [accountId], rejected: [] });
    expect(account.values['Engagement_Model__c']).toBe('mid_touch');
    expect(report.changes).toContain('updated field Account.Engagement_Model__c');
    expect(report.changes).toContain('enabled mid_touch of Engagement_Model__c on record type Account.Enterprise');
    expect(report.changes).toContain('enabled mid_touch of Engagement_Model_Override__c on record type Account.SMB');
    expect(JSON.stringify(org.recordTypes.get('Account.SMB'))).toContain('mid_touch');
    // Nothing left to enable: a third run changes nothing.
    expect((await connector.setup(MORE)).changes).toEqual([]);
  });

  it('the fake org refuses a value the field has but the record’s type does not enable', async () => {
    const { org, connector, accountId, account } = await start();
    await connector.setup(MORE);
    // An admin takes mid_touch off the record type this account has.
    const typeId = String(account.values['RecordTypeId']);
    const name = String(org.get('RecordType', typeId)?.values['DeveloperName']);
    const md = org.recordTypes.get(`Account.${name}`);
    if (md === undefined) throw new Error('no record type metadata');
    md['picklistValues'] = JSON.parse(
      JSON.stringify(md['picklistValues']).replaceAll('mid_touch', 'tech_touch'),
    ) as never;
    const result = await connector.update('company', [
      { id: accountId, properties: { Engagement_Model__c: 'mid_touch' } },
    ]);
    expect(result.written).toEqual([]);
    expect(result.rejected).toEqual([
      {
        id: accountId,
        error: expect.stringMatching(
          /INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST.*bad value for restricted picklist field: mid_touch/,
        ) as unknown,
      },
    ]);
  });
});
