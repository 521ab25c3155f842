/**
 * Who set the tier on Salesforce (connectors/salesforce/tier-history.ts) against the fake org:
 * setup turns field history on (the object read, changed and written back whole; the tier field
 * tracked), warns when the 20-field limit refuses it, and `tierSetters` names the person behind a
 * hand edit and RightTouch's own writes as not by hand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Tier } from '../../src/core/index.ts';
import { editByHand, isTracked } from '../../sandbox/salesforce/field-history.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import type { Connector } from '../../src/sync/connector.ts';

const TIERS: Tier[] = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'high_touch', label: 'High-touch' },
];

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
  return { org, connector };
}

describe('Salesforce: who set the tier', () => {
  it('setup tracks the tier field on Account, Contact and Lead, keeping the object’s other settings', async () => {
    const { org, connector } = await start();
    org.objectSettings.set('Account', { fullName: 'Account', enableFeeds: 'true', enableHistory: 'false' });
    const report = await connector.setup(TIERS);
    expect(report.changes).toEqual(
      expect.arrayContaining([
        'turned field history on for Account',
        'tracking the history of Account.Engagement_Model__c',
        'tracking the history of Lead.Engagement_Model__c',
      ]),
    );
    for (const object of ['Account', 'Contact', 'Lead'])
      expect(isTracked(org, object, 'Engagement_Model__c')).toBe(true);
    expect(org.objectSettings.get('Account')?.['enableFeeds']).toBe('true');
    expect((await connector.setup(TIERS)).changes).toEqual([]);
  });

  it('a person’s edit is by hand, named; RightTouch’s write is not; no history, no entry', async () => {
    const { org, connector } = await start();
    await connector.setup(TIERS);
    const [first, second, third] = [...org.store('Account').keys()];
    const ids = [first ?? '', second ?? '', third ?? ''];
    const update = await connector.update(
      'company',
      ids.slice(0, 2).map((id) => ({ id, properties: { Engagement_Model__c: 'tech_touch' } })),
    );
    expect(update.written.length).toBe(2);
    const sam = [...org.store('User').values()].find((u) => u.values['Name'] === 'Sam Sales');
    const at = Math.ceil((Date.now() + 60_000) / 1000) * 1000; // after RightTouch's write (the fake org's clock is real)
    editByHand(org, 'Account', ids[0] ?? '', {
      field: 'Engagement_Model__c',
      value: 'high_touch',
      userId: String(sam?.values['Id']),
      at,
    });
    const setters = await connector.tierSetters?.('company', ids);
    expect(setters?.get(ids[0] ?? '')).toEqual({ value: 'high_touch', at, byPerson: true, by: 'Sam Sales' });
    expect(setters?.get(ids[1] ?? '')).toMatchObject({ value: 'tech_touch', byPerson: false });
    expect(setters?.has(ids[2] ?? '')).toBe(false);
  });

  it('warns, and goes on, when the object already tracks 20 fields', async () => {
    const { org, connector } = await start();
    org.objectSettings.set('Account', { fullName: 'Account', enableHistory: 'true' });
    for (let i = 0; i < 20; i++)
      org.customFields.set(`Account.Audit_${i}__c`, { fullName: `Account.Audit_${i}__c`, trackHistory: 'true' });
    const report = await connector.setup(TIERS);
    expect(report.warnings?.join('\n')).toContain('Account.Engagement_Model__c: could not track its history');
    expect(report.warnings?.join('\n')).toContain('exceeded the allowed number of fields to track');
    expect(isTracked(org, 'Account', 'Engagement_Model__c')).toBe(false);
    expect(isTracked(org, 'Contact', 'Engagement_Model__c')).toBe(true);
  });
});
