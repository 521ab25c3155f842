/**
 * What differs between CRMs is a connector fact, not the engine's: the properties tiers are written
 * to, how many records a write takes, score properties the CRM no longer updates.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector, PROPERTY_NAMES } from '../../connectors/hubspot/index.ts';
import { createSalesforceConnector, FIELDS } from '../../connectors/salesforce/index.ts';
import { platformFor } from '../../connectors/platforms.ts';
import { join } from 'node:path';
import { validateMapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { ScoreProperty } from '../../src/sync/connector.ts';
import { sync } from '../../src/sync/engine.ts';
import { resolveMapping } from '../../src/sync/lead-score.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { FakeCrm } from './fake-connector.ts';
import { mapping, policy, START } from './phases/fixture.ts';

test('each connector sets its write limits and tier properties, the same the server reads by CRM', () => {
  const hubspot = createHubSpotConnector({ accessToken: 'pat-test', baseUrl: 'http://127.0.0.1:9' });
  const salesforce = createSalesforceConnector({ instanceUrl: 'http://127.0.0.1:9', accessToken: 'token' });
  for (const connector of [hubspot, salesforce]) {
    expect({ writeBatchSize: connector.writeBatchSize, recordsPerWriteCall: connector.recordsPerWriteCall }).toEqual(
      platformFor(connector.crm).writeLimits,
    );
  }
  // HubSpot: one batch update of 100 per call; Salesforce: collections of 200 (or a bulk job) per 10,000 handed over.
  expect(platformFor('hubspot').writeLimits).toEqual({ writeBatchSize: 100, recordsPerWriteCall: 100 });
  expect(platformFor('salesforce').writeLimits).toEqual({ writeBatchSize: 10_000, recordsPerWriteCall: 200 });
  expect(hubspot.tierProperties).toMatchObject({ tier: PROPERTY_NAMES.tier, reason: PROPERTY_NAMES.reason });
  expect(salesforce.tierProperties).toMatchObject({ tier: FIELDS.tier, reason: FIELDS.reason });
  expect(hubspot.frozenScoreProperties).toEqual({ hubspotscore: 'stopped updating on 2025-08-31' });
  expect(salesforce.frozenScoreProperties).toBeUndefined();
});

describe('the engine writes where and as much as the connector says', () => {
  let store: SqliteStore;
  let crm: FakeCrm;

  beforeEach(async () => {
    store = new SqliteStore(':memory:');
    await store.migrate();
    crm = new FakeCrm(() => START - 60_000);
    for (const id of ['a', 'b', 'c']) crm.put('companies', id, {});
  });

  test('its tier properties, time format and batch size', async () => {
    crm.tierProperties = {
      tier: 'Tier__c',
      reason: 'Tier_Reason__c',
      next: 'Tier_Next__c',
      updatedAt: 'Tier_Updated__c',
      formatTime: (ms) => new Date(ms).toISOString(),
    };
    crm.writeBatchSize = 2;
    const installation = await store.upsertInstallation('hubspot', 'portal-1');
    const base = { store, connector: crm, mapping, installationId: installation.id, policy };
    const report = await sync({ ...base, full: true, clock: () => new Date(START) });
    expect(crm.updateCalls.map((call) => call.updates.length)).toEqual([2, 1]);
    expect(report.writeCalls).toBe(2);
    expect(Object.keys(crm.updateCalls[0]?.updates[0]?.properties ?? {})).toEqual([
      'Tier__c',
      'Tier_Reason__c',
      'Tier_Next__c',
      'Tier_Updated__c',
    ]);
    expect(crm.updateCalls[0]?.updates[0]?.properties['Tier_Updated__c']).toBe(new Date(START).toISOString());
  });
});

describe('the lead score: a frozen score property is the connector’s to name', () => {
  const scores =
    (...list: ScoreProperty[]) =>
    () =>
      Promise.resolve(list);
  // The default mapping, which discovers the lead-score property.
  const checked = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
  if (!checked.ok) throw new Error('invalid default mapping');
  const discovering = checked.mapping;
  const legacy: ScoreProperty = { name: 'hubspotscore', label: 'HubSpot Score', kind: 'legacy' };

  test('a property the connector calls frozen is read with a warning; the same name elsewhere is not', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const frozen = Object.assign(new FakeCrm(() => START), {
      scoreProperties: scores({ name: 'old_score', label: 'Old score', kind: 'legacy' }),
      frozenScoreProperties: { old_score: 'stopped updating on 2026-01-01' },
    });
    const first = await store.upsertInstallation('hubspot', 'portal-1');
    const picked = await resolveMapping(store, frozen, first.id, discovering);
    expect(picked.leadScore).toMatchObject({
      property: 'old_score',
      source: 'picked',
      warnings: ['old_score stopped updating on 2026-01-01: lead scores read from it are frozen'],
    });
    const stored = await resolveMapping(store, frozen, first.id, discovering);
    expect(stored.leadScore?.warnings).toEqual([
      'old_score stopped updating on 2026-01-01: lead scores read from it are frozen',
    ]);

    // A connector that names no frozen property: a property called hubspotscore is just a property.
    const plain = Object.assign(new FakeCrm(() => START), { scoreProperties: scores(legacy) });
    const second = await store.upsertInstallation('salesforce', 'org-1');
    const resolved = await resolveMapping(store, plain, second.id, discovering);
    expect(resolved.leadScore).toMatchObject({ property: 'hubspotscore', source: 'picked', warnings: [] });
  });

  test('the pick keeps a settings change made while the score properties were listed (an admin setting the cadence after install)', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const installation = await store.upsertInstallation('hubspot', 'portal-2');
    const slow = Object.assign(new FakeCrm(() => START), {
      scoreProperties: async () => {
        // The admin API's PUT settings lands while the first run asks the CRM.
        await store.saveSettings(installation.id, { syncEveryMinutes: 1 });
        return [legacy];
      },
    });
    await resolveMapping(store, slow, installation.id, discovering);
    expect((await store.getInstallation(installation.id))?.settings).toEqual({
      syncEveryMinutes: 1,
      leadScoreProperty: 'hubspotscore',
    });
  });
});
