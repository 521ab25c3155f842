/**
 * Salesforce end to end: `righttouch setup/sync/history --crm salesforce` in child processes,
 * against the fake org (REST, Bulk 2.0, Metadata SOAP, OAuth with refresh-token rotation, FLS).
 * What reaches the org is read from the fake's own records.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateOrg, mutateOrg } from '../../sandbox/salesforce/generate.ts';
import type { Org } from '../../sandbox/salesforce/model.ts';
import {
  createSalesforceSandbox,
  type RunningSalesforceSandbox,
  type SalesforceSandbox,
} from '../../sandbox/salesforce/server.ts';
import { runCli, tempDir } from './helpers.ts';

const CLIENT_ID = 'rt-client';
const CLIENT_SECRET = 'rt-secret';

let org: Org;
let sandbox: SalesforceSandbox;
let running: RunningSalesforceSandbox;
let env: Record<string, string>;
let data: string;
let refreshToken: string;

beforeAll(async () => {
  org = generateOrg({ seed: 5, accounts: 120 });
  sandbox = createSalesforceSandbox({ org, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  running = await sandbox.listen();
  const tokens = sandbox.tokens.issue();
  refreshToken = tokens.refreshToken;
  data = join(tempDir(), 'righttouch.db');
  env = {
    SF_INSTANCE_URL: running.url,
    SF_LOGIN_URL: running.url,
    SF_ACCESS_TOKEN: tokens.accessToken,
    SF_REFRESH_TOKEN: tokens.refreshToken,
    SF_CLIENT_ID: CLIENT_ID,
    SF_CLIENT_SECRET: CLIENT_SECRET,
    SF_BULK_THRESHOLD: '200',
    RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
  };
});

afterAll(async () => {
  await running.close();
});

function live(type: string) {
  return [...org.store(type).values()].filter(
    (record) => record.deletedAt === null && !(type === 'Lead' && record.values['IsConverted'] === true),
  );
}

async function cli(...args: string[]) {
  const result = await runCli([...args, '--crm', 'salesforce', '--data', data], env);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

describe('Salesforce end to end against the fake org', () => {
  test('setup, a full sync through collections and Bulk 2.0, refresh-token rotation, changes, a converted lead', async () => {
    // Setup: fields through the Metadata API, permission sets, and the integration user's assignment.
    const setup = await cli('setup');
    expect(setup.stdout).toContain('created field Account.Engagement_Model__c');
    expect(setup.stdout).toContain('created field Lead.Engagement_Model_Updated__c');
    expect(setup.stdout).toContain('created field Contact.Engagement_Model_Next__c');
    expect(setup.stdout).toContain('created permission set RightTouch_Engagement_Model_Edit');
    expect(setup.stdout).toContain('assigned permission set RightTouch_Engagement_Model_Edit to the integration user');
    expect(setup.stdout).not.toContain('Problem:');
    // Marketers' list views and sales managers' record page, kept by the same setup.
    expect(setup.stdout).toContain('created list view Account.RightTouch_high_touch');
    expect(setup.stdout).toContain('put the RightTouch section on layout Lead-Lead Layout');
    expect(setup.stdout).toContain('assigned compact layout Contact.RightTouch as the primary one');
    expect((await cli('setup')).stdout).toContain('nothing to change');

    // First (full) sync.
    const first = JSON.parse((await cli('sync', '--json')).stdout) as Record<string, unknown>;
    const accounts = live('Account');
    const people = [...live('Contact'), ...live('Lead')];
    expect(first).toMatchObject({ kind: 'full', rejected: [] });
    expect(first['written']).toBe(accounts.length + people.length);
    for (const record of [...accounts, ...people]) {
      expect(record.values['Engagement_Model__c'], String(record.values['Id'])).toMatch(/^(tech|low|mid|high)_touch$/);
      expect(String(record.values['Engagement_Model_Reason__c'])).not.toBe('');
      expect(String(record.values['Engagement_Model_Updated__c'])).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    // The next-tier hint: a sentence where the record has a lever, empty (null) where it has none.
    const hinted = [...accounts, ...people].filter(
      (record) => typeof record.values['Engagement_Model_Next__c'] === 'string',
    );
    expect(hinted.length).toBeGreaterThan(0);
    for (const record of hinted)
      expect(String(record.values['Engagement_Model_Next__c'])).toMatch(/ short of | needs /);
    const sample = accounts.find((record) => typeof record.values['Engagement_Model_Next__c'] === 'string');
    if (sample === undefined) throw new Error('no account of the generated org has a next-tier hint');
    const sampleHistory = JSON.parse((await cli('history', '--id', String(sample.values['Id']), '--json')).stdout) as {
      current: { hint: string | null };
    };
    expect(sampleHistory.current.hint).toBe(sample.values['Engagement_Model_Next__c']);
    expect(sandbox.stats.callOptions.every((value) => value === 'client=RightTouch')).toBe(true);
    expect(sandbox.stats.callOptions.length).toBeGreaterThan(0);
    expect(sandbox.stats.bulkJobs).toBeGreaterThan(0); // contacts: more than SF_BULK_THRESHOLD

    // Each tier's list view shows exactly that tier's records, as Salesforce's REST list view results.
    const tokens = sandbox.tokens.issue();
    const conn = new Connection({ instanceUrl: running.url, accessToken: tokens.accessToken, version: '66.0' });
    for (const object of ['Account', 'Contact', 'Lead']) {
      const views = (await conn.sobject(object).listviews()) as {
        listviews: { id: string; developerName: string }[];
      };
      for (const tier of ['tech_touch', 'low_touch', 'mid_touch', 'high_touch']) {
        const view = views.listviews.find((v) => v.developerName === `RightTouch_${tier}`);
        if (view === undefined) throw new Error(`no list view ${object}.RightTouch_${tier}`);
        const results = await conn.request<{ records: { columns: { fieldNameOrPath: string; value: string }[] }[] }>(
          `/services/data/v66.0/sobjects/${object}/listviews/${view.id}/results?limit=2000`,
        );
        const shown = results.records.map((r) => r.columns.find((c) => c.fieldNameOrPath === 'Id')?.value).sort();
        const expected = live(object)
          .filter((record) => record.values['Engagement_Model__c'] === tier)
          .map((record) => String(record.values['Id']))
          .sort();
        expect(shown, `${object} ${tier}`).toEqual(expected);
      }
    }
    for (const name of ['Account-Account Layout', 'Contact-Contact Layout', 'Lead-Lead Layout']) {
      const sections = org.layouts.get(name)?.['layoutSections'];
      expect(JSON.stringify(sections), name).toContain('"label":"RightTouch"');
      expect(JSON.stringify(sections), name).toContain('Engagement_Model_Next__c');
    }

    // The access token expires: jsforce refreshes; the rotated refresh token is kept (sealed) in the store.
    sandbox.tokens.expireAccessTokens();
    const second = JSON.parse((await cli('sync', '--json')).stdout) as Record<string, unknown>;
    expect(second).toMatchObject({ kind: 'incremental', changed: 0, written: 0 });
    // Again: had the first (now consumed) refresh token been replayed, Salesforce would revoke them all.
    sandbox.tokens.expireAccessTokens();
    const changed = mutateOrg(org, { opportunities: 30, contacts: 20, leads: 5, seed: 3, now: Date.now() });
    expect(changed.opportunities.length).toBe(30);
    const third = JSON.parse((await cli('sync', '--json')).stdout) as Record<string, unknown>;
    expect(third['kind']).toBe('incremental');
    expect(third['rejected']).toEqual([]);
    // Nothing left behind: a full re-read finds nothing to write.
    const full = JSON.parse((await cli('sync', '--full', '--json')).stdout) as Record<string, unknown>;
    expect(full).toMatchObject({ changed: 0, written: 0 });
    const db = readFileSync(data);
    expect(db.includes(refreshToken)).toBe(false);
    // Nothing of the org's metadata either (the list views setup keeps are named in crm_lists, by design).
    expect(db.includes('RightTouch_Engagement_Model')).toBe(false);

    // A lead converts into a contact: the contact carries the lead's tier history.
    const lead = live('Lead').find((record) => record.values['Engagement_Model__c'] === 'low_touch') ?? live('Lead')[0];
    if (lead === undefined) throw new Error('the generated org has no lead');
    const leadId = String(lead.values['Id']);
    const leadHistory = JSON.parse((await cli('history', '--id', leadId, '--type', 'contact', '--json')).stdout) as {
      history: unknown[];
    };
    expect(leadHistory.history).toHaveLength(1);
    const now = Date.now();
    const contact = org.insert(
      'Contact',
      { FirstName: 'Converted', LastName: 'Lead', Lead_Score__c: lead.values['Lead_Score__c'] ?? null },
      now,
    );
    lead.values['IsConverted'] = true;
    lead.values['ConvertedContactId'] = contact.values['Id'] ?? null;
    org.touch(lead, now);
    await cli('sync');
    const contactId = String(contact.values['Id']);
    const carried = JSON.parse((await cli('history', '--id', contactId, '--type', 'contact', '--json')).stdout) as {
      history: { oldTier: string | null; newTier: string }[];
    };
    expect(carried.history[0]).toMatchObject({ oldTier: null, newTier: lead.values['Engagement_Model__c'] });
    expect(contact.values['Engagement_Model__c']).toMatch(/_touch$/);

    // Two accounts merge: the loser leaves the store, its history goes to the winner.
    const [winner, loser] = live('Account');
    if (winner === undefined || loser === undefined) throw new Error('the generated org has too few accounts');
    const winnerId = String(winner.values['Id']);
    const loserId = String(loser.values['Id']);
    org.mergeRecords('Account', winnerId, [loserId], Date.now());
    const merged = JSON.parse((await cli('sync', '--json')).stdout) as Record<string, unknown>;
    expect(merged['deleted']).toBeGreaterThanOrEqual(1);
    const gone = JSON.parse((await cli('history', '--id', loserId, '--json')).stdout) as { current: unknown };
    expect(gone.current).toBeNull();
    const kept = JSON.parse((await cli('history', '--id', winnerId, '--json')).stdout) as { history: unknown[] };
    expect(kept.history.length).toBeGreaterThanOrEqual(2);

    // Preview a stricter policy on the mirror: what would move, and nothing written.
    const writesBefore = sandbox.stats.callOptions.length;
    const preview = await cli('preview', '--policy', 'examples/policy.json');
    expect(preview.stdout).toMatch(/from \\ to/);
    expect(sandbox.stats.callOptions.length).toBe(writesBefore);
  }, 240_000); // child processes: slow on a loaded machine
});
