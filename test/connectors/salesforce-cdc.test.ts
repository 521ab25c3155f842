/**
 * Salesforce Change Data Capture and the org's event allowance, against the fake org: setup creates
 * RightTouch's filtered channel, so a first sync's own writes and unrelated objects are not
 * delivered (counted in the fake org's delivery allocation), while another user's change is; and
 * preflight says what keeps CDC from working (selection, channel, View All).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import { Connection } from 'jsforce';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Tier } from '../../src/core/index.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import type { Org, SfRecord } from '../../sandbox/salesforce/model.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';

const TIERS: Tier[] = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'high_touch', label: 'High-touch' },
];

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const live = (org: Org, type: string): SfRecord[] =>
  [...org.store(type).values()].filter((r) => r.deletedAt === null && r.values['IsConverted'] !== true);

describe('Salesforce Change Data Capture: the event allowance', () => {
  let running: RunningSalesforceSandbox | undefined;
  const stops: (() => void)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await running?.close();
    running = undefined;
  });

  it('a first sync costs no delivered events on RightTouch__chn; the standard channel would deliver one per record', async () => {
    const org = generateOrg({ seed: 3, accounts: 12 });
    // The admin had selected the objects on the standard channel (and another object too).
    org.changeEvents.select('Account', 'Contact', 'Lead', 'Opportunity', 'Case');
    const sandbox = createSalesforceSandbox({ org, cometdHoldMs: 200 });
    running = await sandbox.listen();
    const connector = createSalesforceConnector({
      instanceUrl: running.url,
      accessToken: sandbox.tokens.issue().accessToken,
      changeEvents: true,
      bulkThreshold: 10,
    });
    const setup = await connector.setup(TIERS);
    expect(setup.changes).toContain('created Change Data Capture channel RightTouch__chn');
    expect(setup.changes.filter((c) => c.startsWith('added '))).toHaveLength(4);
    expect([...org.changeEvents.members.values()].filter((m) => m.eventChannel === 'RightTouch__chn')).toEqual(
      ['Account', 'Contact', 'Lead', 'Opportunity'].map((o): unknown =>
        expect.objectContaining({
          selectedEntity: `${o}ChangeEvent`,
          filterExpression: `ChangeEventHeader.commitUser != '${org.integrationUserId}'`,
        }),
      ),
    );
    expect((await connector.setup(TIERS)).changes).toEqual([]);

    // RightTouch's stream, and (for comparison) what subscribing /data/ChangeEvents would get.
    const changes: string[][] = [];
    let channels: readonly string[] = [];
    const stream = connector.subscribeChanges?.({
      replayFrom: -1,
      onChange: (change) => changes.push([...change.recordIds]),
      onAuthFailure: () => undefined,
      onSubscribed: (info) => {
        channels = info.channels;
      },
    });
    stops.push(() => stream?.cancel());
    const conn = new Connection({ instanceUrl: running.url, accessToken: sandbox.tokens.issue().accessToken });
    const standard: unknown[] = [];
    let standardSubscribed = false;
    const client = conn.streaming.createClient([
      new StreamingExtension.Replay('/data/ChangeEvents', -1),
      {
        incoming: (m: { channel: string; successful?: boolean }, next: (m: unknown) => void) => {
          if (m.channel === '/meta/subscribe' && m.successful === true) standardSubscribed = true;
          next(m);
        },
      },
    ]);
    const sub = client.subscribe('/data/ChangeEvents', (m: unknown) => standard.push(m));
    stops.push(() => {
      sub.cancel();
      (client as unknown as { disconnect(): void }).disconnect();
    });
    await until(() => channels.length > 0 && standardSubscribed);
    expect(channels).toEqual(['/data/RightTouch__chn']);

    // A first sync's writes: every account (Bulk 2.0) and every contact and lead (collections).
    const write = (records: SfRecord[]) =>
      records.map((r) => ({ id: r.values['Id'] as string, properties: { Engagement_Model__c: 'tech_touch' } }));
    const accounts = live(org, 'Account');
    const people = [...live(org, 'Contact'), ...live(org, 'Lead')];
    expect((await connector.update('company', write(accounts))).written).toHaveLength(accounts.length);
    expect((await connector.update('contact', write(people))).written).toHaveLength(people.length);
    // An unrelated object's change, and one by another user on an Opportunity.
    org.changeEvents.publish(
      [{ type: 'Case', values: { Id: '500000000000001AAA' }, deletedAt: null }],
      'UPDATE',
      {
        userId: '005000000000088AAA',
      },
      Date.now(),
    );
    const opportunity = live(org, 'Opportunity')[0];
    if (opportunity === undefined) throw new Error('no opportunity');
    org.changeEvents.publish([opportunity], 'UPDATE', { userId: '005000000000088AAA' }, Date.now());

    const written = accounts.length + people.length;
    await until(() => standard.length === written + 2 && changes.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changes).toEqual([[opportunity.values['Id']]]);
    expect(org.changeEvents.deliveredByChannel['/data/RightTouch__chn']).toBe(1);
    expect(org.changeEvents.deliveredByChannel['/data/ChangeEvents']).toBe(written + 2);
    const limits = (await conn.limits()) as unknown as Record<string, { Max: number; Remaining: number }>;
    expect(limits['DailyDeliveredPlatformEvents']?.Remaining).toBe(10_000 - (written + 2) - 1);
  });
});

describe('Salesforce Change Data Capture: preflight', () => {
  let running: RunningSalesforceSandbox | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('warns about unselected objects, a missing channel and missing View All; nothing once set up', async () => {
    const org = generateOrg({ seed: 6, accounts: 4 });
    const profile = [...org.store('PermissionSet').values()].find((p) => p.values['IsOwnedByProfile'] === true);
    if (profile === undefined) throw new Error('no profile permission set');
    profile.values['PermissionsViewAllData'] = false;
    const sandbox = createSalesforceSandbox({ org, customizeApplication: false });
    running = await sandbox.listen();
    const connector = createSalesforceConnector({
      instanceUrl: running.url,
      accessToken: sandbox.tokens.issue().accessToken,
      changeEvents: true,
    });
    expect((await connector.setup(TIERS)).changes.join('\n')).not.toContain('RightTouch__chn');
    const before = await connector.preflight({});
    expect(before.problems).toEqual([]);
    expect(before.warnings).toEqual([
      expect.stringMatching(/^not selected for Change Data Capture: Account, Contact, Lead, Opportunity/),
      expect.stringMatching(/channel RightTouch__chn is missing .*Customize Application/),
      expect.stringMatching(/lacks View All Data and View All on Account, Contact, Lead, Opportunity/),
    ]);

    sandbox.customizeApplication = true;
    profile.values['PermissionsViewAllData'] = true;
    expect((await connector.setup(TIERS)).changes).toContain('created Change Data Capture channel RightTouch__chn');
    expect((await connector.preflight({})).warnings).toEqual([]);
    // Without CDC on, none of this is checked.
    const plain = createSalesforceConnector({
      instanceUrl: running.url,
      accessToken: sandbox.tokens.issue().accessToken,
    });
    expect((await plain.preflight({})).warnings).toBeUndefined();
  });
});
