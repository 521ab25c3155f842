/**
 * A full run (and the nightly reconcile) classifies the installation once: the decisions it writes
 * and the incremental state it compares and saves come from the same full classification
 * (src/sync/phases/reconcile.ts). Counted by spying on the core: `IncrementalTiering.fullClassify`
 * once per run, and no record decided by a streaming `TieringRun` beside it. And the run after a
 * full run or a rebuild decides what its changes affect, not every record whose tier the full
 * classification set (it settles them itself: src/core/incremental-settled.ts), with what the
 * next nightly reconcile would decide.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { IncrementalTiering, TieringRun } from '../../src/core/index.ts';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping, withDiscovered } from '../../src/mapping/mapping.ts';
import type { Mapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { StateCache, sync } from '../../src/sync/engine.ts';
import type { SyncOptions } from '../../src/sync/engine.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { FakeCrm } from './fake-connector.ts';

const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
const mappingResult = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
if (!mappingResult.ok) throw new Error('invalid default mapping');
const mapping: Mapping = withDiscovered(mappingResult.mapping, { 'lead-score': 'lead_score' });
const START = Date.parse('2026-11-20T00:00:00Z');
const COMPANIES = 12;
const CONTACTS = 30;

let now = START;
let store: SqliteStore;
let crm: FakeCrm;
let options: SyncOptions;

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate();
  const installation = await store.upsertInstallation('hubspot', 'portal-1');
  now = START - 3_600_000;
  crm = new FakeCrm(() => now);
  for (let i = 0; i < COMPANIES; i++) {
    crm.put('companies', `co${i}`, { numberofemployees: String(i * 250), support_plan: i === 3 ? 'premier' : 'basic' });
    crm.putDeal(`d${i}`, `co${i}`, {
      amount: String(i * 9_000),
      hs_is_closed_won: 'true',
      hs_is_closed: 'true',
      closedate: '2026-06-01T00:00:00Z',
    });
  }
  for (let i = 0; i < CONTACTS; i++) {
    crm.put('contacts', `ct${i}`, { associatedcompanyid: `co${i % COMPANIES}`, lead_score: String((i * 37) % 100) });
  }
  now = START;
  options = { store, connector: crm, mapping, policy, installationId: installation.id, clock: () => new Date(now) };
});

afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
});

test('a full run classifies once: its writes and the fresh state come from one full classification', async () => {
  // The records each full classification was given (the run lets go of the array after).
  const sizes: number[] = [];
  const { fullClassify: original } = IncrementalTiering.prototype; // eslint-disable-line @typescript-eslint/unbound-method -- called with its `this` below
  const fullClassify = vi.spyOn(IncrementalTiering.prototype, 'fullClassify').mockImplementation(function (
    this: IncrementalTiering,
    records,
    previous,
    at,
  ) {
    sizes.push(records.length);
    return original.call(this, records, previous, at);
  });
  const streamedCompanies = vi.spyOn(TieringRun.prototype, 'addCompany');
  const streamedContacts = vi.spyOn(TieringRun.prototype, 'decideContact');

  // The first full run: no stored state yet; everything written, the state saved.
  const first = await sync({ ...options, full: true, stateCache: new StateCache() });
  expect(fullClassify).toHaveBeenCalledTimes(1);
  expect(sizes).toEqual([COMPANIES + CONTACTS]);
  expect(streamedCompanies).not.toHaveBeenCalled();
  expect(streamedContacts).not.toHaveBeenCalled();
  expect(first.decided).toBe(COMPANIES + CONTACTS);
  expect(first.reconcile).toEqual({ compared: false, differences: 0, examples: [] });
  expect((await store.tieringStateMeta(options.installationId))?.rows).toBe(COMPANIES + CONTACTS);
  // What reached the CRM is the classification's: every record has a tier and a reason.
  for (const type of ['companies', 'contacts'] as const) {
    for (const [id, object] of crm.objects[type]) {
      expect(object.properties['engagement_model'], `${type} ${id}`).toMatch(/_touch$/);
      expect(object.properties['engagement_model_reason'], `${type} ${id}`).not.toBe('');
    }
  }

  // The nightly reconcile a day later: once again one classification, compared with the stored state.
  now += 86_400_000;
  crm.change('contacts', 'ct1', { lead_score: '99' });
  const nightly = await sync({ ...options, full: true, stateCache: new StateCache() });
  expect(fullClassify).toHaveBeenCalledTimes(2);
  expect(streamedCompanies).not.toHaveBeenCalled();
  expect(streamedContacts).not.toHaveBeenCalled();
  expect(nightly.reconcile).toEqual({ compared: true, differences: 0, examples: [] });
  expect(nightly.summary.company.total + nightly.summary.contact.total).toBe(COMPANIES + CONTACTS);
  expect(crm.objects.contacts.get('ct1')?.properties['engagement_model']).not.toBe('tech_touch');
});

test('the run after a full run or a rebuild decides what its changes affect, not every record whose tier it set', async () => {
  // The first full run sets every record's tier (none before): every one of them moved.
  await sync({ ...options, full: true, stateCache: new StateCache() });
  now += 3_600_000;
  crm.change('contacts', 'ct1', { lead_score: '99' });
  const next = await sync({ ...options, stateCache: new StateCache() });
  expect(next.kind).toBe('incremental');
  expect(next.decided).toBeLessThan(5); // all 42 before the full classification settled what it moved
  // Exact: the nightly full classification finds the stored state as it would decide it.
  now += 3_600_000;
  const check = await sync({ ...options, full: true, stateCache: new StateCache() });
  expect(check.reconcile).toEqual({ compared: true, differences: 0, examples: [] });

  // A rebuild (another policy: High-touch for 6) moves tiers again; the run after it, likewise.
  const other: Policy = {
    ...policy,
    company: {
      ...policy.company,
      capacity: { high_touch: { max: 6, rankBy: [{ field: 'dealSize', order: 'desc' }] } },
    },
  };
  now += 3_600_000;
  const rebuilt = await sync({ ...options, policy: other, stateCache: new StateCache() });
  expect(rebuilt).toMatchObject({ decided: COMPANIES + CONTACTS, rebuilt: 'the policy or mapping changed' });
  expect(rebuilt.summary.company.movements.length).toBeGreaterThan(0);
  now += 3_600_000;
  crm.change('contacts', 'ct2', { lead_score: '98' });
  const after = await sync({ ...options, policy: other, stateCache: new StateCache() });
  expect(after.decided).toBeLessThan(5);
  now += 3_600_000;
  const recheck = await sync({ ...options, policy: other, full: true, stateCache: new StateCache() });
  expect(recheck.reconcile).toEqual({ compared: true, differences: 0, examples: [] });
});
