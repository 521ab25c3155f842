/**
 * Privacy deletions and uninstalls in the store (src/store/erase.ts), on each engine: erasing a
 * record leaves nothing that names it; forgetting an installation keeps only its row and
 * policies, for the retention period, and touches no other installation.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { UNINSTALLED_RETENTION_MS } from '../../src/store/erase.ts';
import type { Installation, Store } from '../../src/store/store.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { collect, describeEachEngine } from './engines.ts';

const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;

/** A portal with two contacts (x is the one to erase), a company, a deal, tiers, history, a rejected row, a run, a key. */
async function fill(store: Store, installation: Installation): Promise<void> {
  await store.upsertRecords(
    installation.id,
    [
      { type: 'company', id: 'a', fields: { dealSize: 5 } },
      { type: 'contact', id: 'x', companyId: 'a', fields: { leadScore: 70 } },
      { type: 'contact', id: 'y', companyId: 'a', fields: { leadScore: 10 } },
    ],
    1000,
  );
  await store.upsertDeals(installation.id, [
    { id: 'd1', companyId: 'a', amount: 10, closedWon: true, closed: true, closeTime: 1 },
  ]);
  for (const [run, tier] of [
    ['run-1', 'low_touch'],
    ['run-2', 'mid_touch'],
  ] as const) {
    await store.applyTierChanges(
      installation.id,
      run,
      ['a', 'x', 'y'].map((id) => ({ type: id === 'a' ? 'company' : 'contact', id, tier, reasons: [`r ${id}`] })),
      1000,
    );
  }
  await store.reject(installation.id, 'run-2', [{ type: 'contact', recordId: 'x', error: 'INVALID_OPTION' }], 2000);
  await store.setCursor(installation.id, 'contacts', '1700000000000');
  await store.startRun(installation.id, 'full', 1000);
  await store.createApiKey(`hash-${installation.id}`, installation.id, 'k', 1000);
  await store.savePolicy(installation.id, policy);
}

describeEachEngine('erasing and forgetting', (engine) => {
  let store: Store;
  let portal: Installation;
  let other: Installation;

  beforeEach(async () => {
    store = engine.open(engine.create());
    await store.migrate();
    portal = await store.upsertInstallation('hubspot', '123456');
    other = await store.upsertInstallation('hubspot', '777');
    await fill(store, portal);
    await fill(store, other);
  });

  afterEach(async () => {
    await store.close();
  });

  test('a privacy deletion erases the record: mirror row, tier, history, rejected row — nothing else', async () => {
    // Mirror row, tier, two history rows, one rejected row.
    expect(await store.eraseRecord(portal.id, 'contact', 'x')).toBe(5);
    expect((await collect(store.records(portal.id))).flat().map((r) => r.id)).toEqual(['a', 'y']);
    expect(await store.storedTier(portal.id, 'contact', 'x')).toBeUndefined();
    expect(await store.history(portal.id, 'contact', 'x')).toEqual([]);
    expect(await store.listRejected(portal.id)).toEqual([]);
    // The rest of the portal, and the same id elsewhere, stay.
    expect(await store.history(portal.id, 'contact', 'y')).toHaveLength(2);
    expect(await store.storedTier(portal.id, 'company', 'a')).toBeDefined();
    expect(await store.storedTier(other.id, 'contact', 'x')).toBeDefined();
    expect(await store.listRejected(other.id)).toHaveLength(1);
    expect(await store.eraseRecord(portal.id, 'contact', 'x')).toBe(0);
  });

  test('an uninstall keeps only the installation row and its policies; a reinstall makes it active again', async () => {
    await store.forgetInstallation(portal.id, 5000);
    expect((await store.getInstallation(portal.id))?.status).toBe('uninstalled');
    expect((await collect(store.records(portal.id))).flat()).toEqual([]);
    expect(await collect(store.deals(portal.id))).toEqual([]);
    expect(await collect(store.storedTiers(portal.id))).toEqual([]);
    expect(await store.history(portal.id, 'company', 'a')).toEqual([]);
    expect(await store.listRejected(portal.id)).toEqual([]);
    expect(await store.getCursor(portal.id, 'contacts')).toBeUndefined();
    expect(await store.listRuns(portal.id)).toEqual([]);
    expect(await store.findApiKey(`hash-${portal.id}`)).toBeUndefined();
    expect(await store.activePolicy(portal.id)).toBeDefined();
    // The other portal is untouched.
    expect(await store.history(other.id, 'company', 'a')).toHaveLength(2);
    expect(await store.findApiKey(`hash-${other.id}`)).toBeDefined();

    await store.setInstallationStatus(portal.id, 'active', null);
    expect((await store.getInstallation(portal.id))?.status).toBe('active');
    // Active again: no longer due for purging.
    expect(await store.purgeUninstalled(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  test('uninstalled installations are purged after the retention period, with their policies', async () => {
    await store.forgetInstallation(portal.id, 5000);
    // The caller purges what was uninstalled before now - UNINSTALLED_RETENTION_MS.
    expect(UNINSTALLED_RETENTION_MS).toBe(30 * 86_400_000);
    expect(await store.purgeUninstalled(5000)).toEqual([]);
    expect(await store.getInstallation(portal.id)).toBeDefined();
    expect(await store.purgeUninstalled(5001)).toEqual([portal.id]);
    expect(await store.getInstallation(portal.id)).toBeUndefined();
    expect(await store.listPolicies(portal.id)).toEqual([]);
    expect((await store.listInstallations()).map((i) => i.id)).toEqual([other.id]);
  });
});
