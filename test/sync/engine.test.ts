/** The sync engine against an in-memory CRM: pull, classify, diff, write, history, cursors. */
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping, withDiscovered } from '../../src/mapping/mapping.ts';
import type { Mapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { RunStoppedError, sync, withoutRank } from '../../src/sync/engine.ts';
import type { SyncOptions } from '../../src/sync/engine.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { FakeCrm } from './fake-connector.ts';

const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
const mappingResult = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
if (!mappingResult.ok) throw new Error('invalid default mapping');
/** The lead score as a portal's own score property (what discovery would pick): the fake CRM lists none. */
const mapping: Mapping = withDiscovered(mappingResult.mapping, { 'lead-score': 'lead_score' });
const START = Date.parse('2026-11-20T00:00:00Z');
const DAY = 86_400_000;
/** The shared clock of the test, the CRM and the engine; tests move it forward. */
let now = START;
const won = (amount: string) => ({
  amount,
  hs_is_closed_won: 'true',
  hs_is_closed: 'true',
  closedate: '2026-06-01T00:00:00Z',
});

let store: SqliteStore;
let crm: FakeCrm;
let options: SyncOptions;

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate();
  const installation = await store.upsertInstallation('hubspot', 'portal-1');
  now = START - 3_600_000; // the CRM's records exist an hour before the first sync
  crm = new FakeCrm(() => now);
  crm.put('companies', 'big', { support_plan: '' });
  crm.put('companies', 'mid', { prefers_digital: 'false' });
  crm.put('companies', 'digital', { prefers_digital: 'true' });
  crm.put('companies', 'small', {});
  crm.putDeal('d1', 'big', won('150,000'));
  crm.putDeal('d2', 'mid', won('30000'));
  crm.putDeal('d3', 'digital', won('$500,000'));
  crm.putDeal('d4', 'small', { ...won('100'), closedate: '2024-01-01T00:00:00Z' });
  crm.putDeal('d5', null, won('999999'));
  crm.put('contacts', 'c-big', { associatedcompanyid: 'big', lead_score: '10' });
  crm.put('contacts', 'c-hot', { associatedcompanyid: 'small', lead_score: '80' });
  crm.put('contacts', 'c-none', { lead_score: '' });
  now = START;
  options = { store, connector: crm, mapping, installationId: installation.id, policy, clock: () => new Date(now) };
});

function tiersWritten(): Record<string, string> {
  const tiers: Record<string, string> = {};
  for (const call of crm.updateCalls)
    for (const u of call.updates) tiers[u.id] = u.properties['engagement_model'] ?? '';
  return tiers;
}

describe('sync', () => {
  test('a first (full) sync tiers everything and writes tier, reason and time; a second writes nothing', async () => {
    const first = await sync({ ...options, full: true });
    expect(first.pulled).toEqual({ companies: 4, contacts: 3, deals: 5 });
    expect(tiersWritten()).toEqual({
      big: 'high_touch',
      mid: 'mid_touch',
      digital: 'low_touch',
      small: 'tech_touch',
      'c-big': 'high_touch',
      'c-hot': 'low_touch',
      'c-none': 'tech_touch',
    });
    const bigUpdate = crm.updateCalls[0]?.updates.find((u) => u.id === 'big');
    expect(bigUpdate?.properties).toEqual({
      engagement_model: 'high_touch',
      engagement_model_reason: 'Deal size 150,000 ≥ 100,000 (Enterprise deal size) → High-touch',
      engagement_model_next: '',
      engagement_model_updated_at: String(START),
    });
    expect(first).toMatchObject({ decided: 7, changed: 7, written: 7, rejected: [], writeCalls: 2 });
    expect(await store.history(options.installationId, 'company', 'big')).toHaveLength(1);
    // The run keeps the tier mix it left (the admin API's distribution over time reads it).
    expect((await store.listRuns(options.installationId))[0]?.counts).toMatchObject({
      'tiers.company.high_touch': 1,
      'tiers.company.tech_touch': 1,
      'tiers.contact.low_touch': 1,
    });

    crm.updateCalls.length = 0;
    now += 60_000;
    const second = await sync(options);
    expect(second).toMatchObject({ kind: 'incremental', changed: 0, written: 0, writeCalls: 0 });
    expect(crm.updateCalls).toEqual([]);
  });

  test('an incremental sync after a deal changes rewrites only that company and its contacts', async () => {
    await sync({ ...options, full: true });
    crm.updateCalls.length = 0;
    now += 40 * DAY; // past the policy's 30 days minimum in tier
    crm.change('deals', 'd1', { amount: '40000' });
    const report = await sync(options);
    expect(report.pulled.deals).toBe(1);
    expect(crm.writtenIds().sort()).toEqual(['company:big', 'contact:c-big']);
    expect(tiersWritten()).toEqual({ big: 'mid_touch', 'c-big': 'mid_touch' });
    const history = await store.history(options.installationId, 'company', 'big');
    expect(history.map((h) => [h.oldTier, h.newTier])).toEqual([
      [null, 'high_touch'],
      ['high_touch', 'mid_touch'],
    ]);
  });

  test('a run over the records a webhook named reads just them by id, writes what moved and leaves the cursors', async () => {
    await sync({ ...options, full: true });
    const cursor = await store.getCursor(options.installationId, 'deals.modified');
    crm.updateCalls.length = 0;
    now += 40 * DAY;
    crm.change('deals', 'd1', { amount: '40000' });
    // Changed too, but no webhook named it: a by-id run does not see it (the scheduled run will).
    crm.change('contacts', 'c-none', { lead_score: '95' });
    const report = await sync({ ...options, only: { companies: [], contacts: [], deals: ['d1', 'gone'] } });
    expect(report.kind).toBe('changes');
    expect(report.pulled).toEqual({ companies: 0, contacts: 0, deals: 1 });
    expect(crm.byIdCalls).toEqual([{ type: 'deals', ids: ['d1', 'gone'] }]);
    expect(tiersWritten()).toEqual({ big: 'mid_touch', 'c-big': 'mid_touch' });
    expect(await store.getCursor(options.installationId, 'deals.modified')).toBe(cursor);
    expect((await store.listRuns(options.installationId))[0]?.kind).toBe('changes');
    // The scheduled incremental run still finds the change nobody named.
    crm.updateCalls.length = 0;
    await sync(options);
    expect(crm.writtenIds()).toContain('contact:c-none');
    await expect(
      sync({ ...options, full: true, only: { companies: [], contacts: [], deals: ['d1'] } }),
    ).rejects.toThrow(/cannot be limited/);
  });

  test('a shifted over-capacity rank alone is rewritten by the next full sync, not by incremental runs', async () => {
    for (const [id, amount] of [
      ['h1', '400000'],
      ['h2', '300000'],
      ['h3', '200000'],
      ['h4', '120000'],
    ] as const) {
      crm.put('companies', id, {});
      crm.putDeal(`deal-${id}`, id, won(amount));
    }
    await sync({ ...options, full: true });
    const reason = (id: string): string | null | undefined =>
      crm.objects.companies.get(id)?.properties['engagement_model_reason'];
    // Two High-touch seats: h1 and h2; h3, big (150,000) and h4 wait, ranked 3rd, 4th and 5th.
    expect(reason('h3')).toMatch(/ranked 3rd by /);
    expect(reason('big')).toMatch(/ranked 4th by /);
    crm.updateCalls.length = 0;
    now += 40 * DAY;
    // A 250,000 deal puts `small` third: everyone below it moves down a rank.
    crm.change('deals', 'd4', won('250000'));
    await sync(options);
    expect(crm.writtenIds().sort()).toEqual(['company:small', 'contact:c-hot']);
    expect(reason('small')).toMatch(/ranked 3rd by /);
    expect(reason('big')).toMatch(/ranked 4th by /); // left as it was
    crm.updateCalls.length = 0;
    await sync({ ...options, full: true });
    expect(crm.writtenIds().sort()).toEqual(['company:big', 'company:h3', 'company:h4']);
    expect(reason('h3')).toMatch(/ranked 4th by /);
    expect(reason('big')).toMatch(/ranked 5th by /);
  });

  test('records the CRM refuses become rejected rows and are retried next run', async () => {
    crm.refuse.set('mid', 'OBJECT_NOT_FOUND: merged into 42');
    const first = await sync({ ...options, full: true });
    expect(first.rejected).toEqual([{ type: 'company', id: 'mid', error: 'OBJECT_NOT_FOUND: merged into 42' }]);
    expect((await store.listRejected(options.installationId)).map((r) => [r.recordId, r.attempts])).toEqual([
      ['mid', 1],
    ]);
    expect((await store.listRuns(options.installationId))[0]?.status).toBe('partial');

    crm.refuse.clear();
    crm.updateCalls.length = 0;
    now += 60_000;
    const second = await sync(options);
    expect(crm.writtenIds()).toEqual(['company:mid']);
    expect(second.rejected).toEqual([]);
    expect(await store.listRejected(options.installationId)).toEqual([]);
  });

  test('a refused record deleted from the CRM before the next run is not written again', async () => {
    crm.refuse.set('mid', 'OBJECT_NOT_FOUND');
    await sync({ ...options, full: true });
    crm.objects.companies.delete('mid');
    crm.updateCalls.length = 0;
    now += 60_000;
    const report = await sync({ ...options, full: true });
    expect(crm.writtenIds()).not.toContain('company:mid');
    expect(report.rejected).toEqual([]);
  });

  test('a run changing thousands of records records them a chunk at a time, and writes each once', async () => {
    for (let i = 0; i < 2500; i++) {
      crm.put('contacts', `bulk-${String(i).padStart(4, '0')}`, { lead_score: String(i % 100) });
    }
    const recorded: number[] = [];
    const apply = store.applyTierChanges.bind(store);
    store.applyTierChanges = async (installationId, runId, changes, at) => {
      if (changes.length > 0) recorded.push(changes.length);
      await apply(installationId, runId, changes, at);
    };
    const report = await sync({ ...options, full: true });
    expect(report).toMatchObject({ decided: 2507, changed: 2507, written: 2507 });
    expect(Math.max(...recorded)).toBeLessThanOrEqual(1000);
    expect(recorded.reduce((a, b) => a + b, 0)).toBe(2507);
    const ids = crm.writtenIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(2507);
    expect(crm.objects.contacts.get('bulk-0081')?.properties['engagement_model']).toBe('low_touch');
    expect(await store.history(options.installationId, 'contact', 'bulk-2499')).toHaveLength(1);
    crm.updateCalls.length = 0;
    now += 60_000;
    expect(await sync(options)).toMatchObject({ changed: 0, written: 0 });
    expect(crm.updateCalls).toEqual([]);
  });

  test('a run told to stop once it has recorded its tiers writes nothing to the CRM; the next writes them, history once', async () => {
    let recorded = false;
    const apply = store.applyTierChanges.bind(store);
    store.applyTierChanges = async (...args) => {
      recorded = true;
      await apply(...args);
    };
    await expect(sync({ ...options, full: true, shouldStop: () => recorded })).rejects.toThrow(RunStoppedError);
    expect(crm.updateCalls).toEqual([]);
    expect((await store.storedTier(options.installationId, 'company', 'big'))?.writtenAt).toBeNull();
    expect(await store.getCursor(options.installationId, 'companies.modified')).toBeUndefined();
    now += 60_000;
    const next = await sync(options);
    expect(next).toMatchObject({ written: 7 });
    expect(Object.keys(tiersWritten())).toHaveLength(7);
    expect((await store.history(options.installationId, 'company', 'big')).map((h) => h.newTier)).toEqual([
      'high_touch',
    ]);
  });

  test('a dry run writes nothing and moves no cursor, but says what would change', async () => {
    const report = await sync({ ...options, full: true, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, changed: 7, written: 0, writeCalls: 2 });
    expect(crm.updateCalls).toEqual([]);
    expect(await store.getCursor(options.installationId, 'companies.modified')).toBeUndefined();
    expect(report.summary.company.tiers).toEqual({ tech_touch: 1, low_touch: 1, mid_touch: 1, high_touch: 1 });
    // Nothing recorded either: no tier, no history.
    expect(await store.storedTier(options.installationId, 'company', 'big')).toBeUndefined();
    expect(await store.history(options.installationId, 'company', 'big')).toEqual([]);
  });

  test('a crash while writing loses nothing: the next run writes what was not confirmed', async () => {
    crm.failUpdates = true;
    await expect(sync({ ...options, full: true })).rejects.toThrow('connection reset');
    expect((await store.listRuns(options.installationId))[0]).toMatchObject({
      status: 'failed',
      errors: ['connection reset'],
    });
    expect(await store.getCursor(options.installationId, 'companies.modified')).toBeUndefined();
    crm.failUpdates = false;
    now += 60_000;
    const report = await sync(options);
    expect(report.written).toBe(7);
    expect(Object.keys(tiersWritten())).toHaveLength(7);
  });

  test('a full sync drops records deleted in the CRM', async () => {
    await sync({ ...options, full: true });
    now += 40 * DAY;
    crm.objects.contacts.delete('c-none');
    crm.objects.deals.delete('d2');
    const report = await sync({ ...options, full: true });
    expect(report.deleted).toBe(1);
    const ids: string[] = [];
    for await (const page of store.records(options.installationId)) ids.push(...page.map((r) => r.id));
    expect(ids).not.toContain('c-none');
    // Without its deal, "mid" falls to Tech-touch and is rewritten.
    expect(tiersWritten()['mid']).toBe('tech_touch');
  });

  test('a tier edited by hand in the CRM is put back on the next sync that reads the record', async () => {
    await sync({ ...options, full: true });
    crm.updateCalls.length = 0;
    now += 60_000;
    crm.change('companies', 'mid', { engagement_model: 'high_touch' });
    crm.change('contacts', 'c-hot', { engagement_model_reason: 'someone typed this' });
    const report = await sync(options);
    expect(crm.writtenIds().sort()).toEqual(['company:mid', 'contact:c-hot']);
    expect(report).toMatchObject({ changed: 2, written: 2 });
    expect(crm.objects.companies.get('mid')?.properties['engagement_model']).toBe('mid_touch');
    // Putting a value back is not a tier change: no history row.
    expect(await store.history(options.installationId, 'company', 'mid')).toHaveLength(1);
  });

  test('a store started afresh against a tiered CRM writes nothing the CRM already shows', async () => {
    await sync({ ...options, full: true });
    crm.updateCalls.length = 0;
    crm.change('companies', 'small', { engagement_model: 'low_touch' }); // and one drifted
    const fresh = new SqliteStore(':memory:');
    await fresh.migrate();
    const installation = await fresh.upsertInstallation('hubspot', 'portal-1');
    now += 60_000;
    const report = await sync({ ...options, store: fresh, installationId: installation.id, full: true });
    expect(crm.writtenIds()).toEqual(['company:small']);
    expect(report).toMatchObject({ changed: 1, written: 1 });
    crm.updateCalls.length = 0;
    now += 60_000;
    expect(await sync({ ...options, store: fresh, installationId: installation.id })).toMatchObject({ changed: 0 });
    expect(crm.updateCalls).toEqual([]);
    expect((await fresh.history(installation.id, 'company', 'big')).map((h) => h.newTier)).toEqual(['high_touch']);
  });

  test('a converted lead hands its tier history to its contact; a record deleted between full syncs leaves the mirror', async () => {
    crm.put('contacts', 'lead-1', { lead_score: '90' });
    await sync({ ...options, full: true });
    expect((await store.history(options.installationId, 'contact', 'lead-1')).map((h) => h.newTier)).toEqual([
      'low_touch',
    ]);
    now += 60_000;
    // Converted: the lead is gone, a contact with its score takes over; a company is deleted.
    crm.objects.contacts.delete('lead-1');
    crm.put('contacts', 'c-converted', { lead_score: '90' });
    crm.objects.contacts.delete('c-none');
    crm.removals.push(
      { type: 'contact', id: 'lead-1', successorId: 'c-converted', reason: 'converted', at: now },
      { type: 'contact', id: 'c-none', successorId: null, reason: 'deleted', at: now },
    );
    crm.updateCalls.length = 0;
    const report = await sync(options);
    expect(report.deleted).toBe(2);
    const history = await store.history(options.installationId, 'contact', 'c-converted');
    expect(history.map((h) => [h.oldTier, h.newTier])).toEqual([[null, 'low_touch']]);
    expect(await store.history(options.installationId, 'contact', 'lead-1')).toEqual([]);
    // The contact's CRM record does not show the tier yet: it is written.
    expect(crm.writtenIds()).toEqual(['contact:c-converted']);
    const ids: string[] = [];
    for await (const page of store.records(options.installationId)) ids.push(...page.map((r) => r.id));
    expect(ids).not.toContain('lead-1');
    expect(ids).not.toContain('c-none');
  });
});

test('withoutRank: values that differ only in over-capacity ranks become equal, thousands included', () => {
  const over = (rank: string): string =>
    `mid_touch\u0000Deal size 584,000 ≥ 100,000 (Enterprise deal size) → High-touch; Over High-touch capacity (100 seats; ranked ${rank} by incumbency, deal size) → Mid-touch`;
  expect(withoutRank(over('70th'))).toBe(withoutRank(over('73rd')));
  expect(withoutRank(over('1,021st'))).toBe(withoutRank(over('1,022nd')));
  expect(withoutRank(over('70th'))).not.toBe(withoutRank(over('70th').replace('584,000', '585,400')));
  expect(withoutRank(over('70th'))).not.toBe(withoutRank(over('70th').replace('100 seats', '120 seats')));
});
