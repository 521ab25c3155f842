/**
 * The next-tier hint through the sync engine (in-memory CRM): written as a sentence with the tier,
 * kept with the stored tier, and diff-only — a second sync writes nothing, and a policy change that
 * alters only hints writes exactly the records whose hint changed.
 */
import { join } from 'node:path';
import { beforeEach, expect, test } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping, withDiscovered } from '../../src/mapping/mapping.ts';
import type { Mapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { sync } from '../../src/sync/engine.ts';
import type { SyncOptions } from '../../src/sync/engine.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { FakeCrm } from './fake-connector.ts';

const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
const checked = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
if (!checked.ok) throw new Error('invalid default mapping');
const mapping: Mapping = withDiscovered(checked.mapping, { 'lead-score': 'lead_score' });
const START = Date.parse('2026-11-20T00:00:00Z');
const won = (amount: string) => ({
  amount,
  hs_is_closed_won: 'true',
  hs_is_closed: 'true',
  closedate: '2026-06-01T00:00:00Z',
});

/** The example policy with the High-touch deal-size threshold moved (only hints of Mid-touch companies change). */
function withHighTouchAt(threshold: number): Policy {
  const copy = structuredClone(policy) as unknown as { company: { rules: { tier: string; when: unknown }[] } };
  const rule = copy.company.rules.find((r) => r.tier === 'high_touch');
  if (rule === undefined) throw new Error('example policy has no high_touch rule');
  rule.when = { field: 'dealSize', gte: threshold };
  return copy as unknown as Policy;
}

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
  crm.put('companies', 'big', {});
  crm.put('companies', 'mid', { prefers_digital: 'false' });
  crm.put('companies', 'small', {});
  crm.putDeal('d1', 'big', won('150,000'));
  crm.putDeal('d2', 'mid', won('30000'));
  crm.putDeal('d3', 'small', won('1000'));
  now = START;
  options = { store, connector: crm, mapping, installationId: installation.id, policy, clock: () => new Date(now) };
});

/** What the CRM was sent for the next-hint property, by record id. */
function hintsWritten(): Record<string, string | undefined> {
  const hints: Record<string, string | undefined> = {};
  for (const call of crm.updateCalls) for (const u of call.updates) hints[u.id] = u.properties['engagement_model_next'];
  return hints;
}

test('the hint reaches the CRM as a sentence (empty without one), is kept with the tier, and a second sync writes nothing', async () => {
  await sync({ ...options, full: true });
  expect(hintsWritten()).toEqual({
    big: '', // High-touch: the highest tier has no hint
    mid: 'Deal size 30,000 is 70,000 short of High-touch (≥ 100,000)',
    small: 'Deal size 1,000 is 4,000 short of Low-touch (≥ 5,000)',
  });
  expect(crm.objects.companies.get('mid')?.properties['engagement_model_next']).toBe(
    'Deal size 30,000 is 70,000 short of High-touch (≥ 100,000)',
  );
  const stored = await store.storedTier(options.installationId, 'company', 'mid');
  expect(stored?.hint).toBe('Deal size 30,000 is 70,000 short of High-touch (≥ 100,000)');
  expect((await store.storedTier(options.installationId, 'company', 'big'))?.hint).toBeNull();

  crm.updateCalls.length = 0;
  now += 60_000;
  expect(await sync({ ...options, full: true })).toMatchObject({ changed: 0, written: 0 });
  expect(crm.updateCalls).toEqual([]);
});

test('a policy change that alters only hints writes only the records whose hint changed, once', async () => {
  // No company meets the High-touch rule, so moving its threshold changes no reason, only hints.
  crm.objects.companies.delete('big');
  crm.objects.deals.delete('d1');
  await sync({ ...options, full: true });
  crm.updateCalls.length = 0;
  now += 60_000;
  const changed = withHighTouchAt(120_000);
  const report = await sync({ ...options, policy: changed });
  expect(report).toMatchObject({ changed: 1, written: 1, moved: 0 });
  expect(crm.updateCalls.flatMap((call) => call.updates.map((u) => u.id))).toEqual(['mid']);
  expect(hintsWritten()).toEqual({ mid: 'Deal size 30,000 is 90,000 short of High-touch (≥ 120,000)' });
  // Same tier: no history row for a hint.
  expect(await store.history(options.installationId, 'company', 'mid')).toHaveLength(1);

  crm.updateCalls.length = 0;
  now += 60_000;
  expect(await sync({ ...options, policy: changed })).toMatchObject({ changed: 0, written: 0 });
  expect(crm.updateCalls).toEqual([]);
});

test('a hint cleared by hand in the CRM is put back by the next sync that reads the record', async () => {
  await sync({ ...options, full: true });
  crm.updateCalls.length = 0;
  now += 60_000;
  crm.change('companies', 'mid', { engagement_model_next: '' });
  now += 60_000;
  await sync(options);
  expect(hintsWritten()).toEqual({ mid: 'Deal size 30,000 is 70,000 short of High-touch (≥ 100,000)' });
});
