/**
 * The lists per tier kept per installation (migration 10), on each engine: saved, read back in the
 * order setup reported them, replaced whole, separate per installation, and forgotten with an
 * uninstalled installation.
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Installation, Store, StoredCrmList } from '../../src/store/store.ts';
import { describeEachEngine } from './engines.ts';

const HIGH_COMPANIES: StoredCrmList = {
  object: 'companies',
  tier: 'high_touch',
  name: 'Engagement model: High-touch companies',
  id: '17',
  url: 'https://app.hubspot.com/contacts/123456/objectLists/17',
};
const HIGH_CONTACTS: StoredCrmList = {
  object: 'contacts',
  tier: 'high_touch',
  name: 'Engagement model: High-touch contacts',
  id: '18',
};
const TECH_COMPANIES: StoredCrmList = {
  ...HIGH_COMPANIES,
  tier: 'tech_touch',
  name: 'Engagement model: Tech-touch companies',
  id: '3',
};

describeEachEngine('the CRM lists kept per installation', (engine) => {
  let store: Store;
  let portal: Installation;
  let other: Installation;

  beforeEach(async () => {
    store = engine.open(engine.create());
    await store.migrate();
    portal = await store.upsertInstallation('hubspot', '123456', 'Acme portal');
    other = await store.upsertInstallation('hubspot', '654321', null);
  });

  afterEach(async () => {
    await store.close();
  });

  test('are saved and read back in the reported order, and replaced whole', async () => {
    expect(await store.crmLists(portal.id)).toEqual([]);
    await store.saveCrmLists(portal.id, [TECH_COMPANIES, HIGH_COMPANIES, HIGH_CONTACTS], 1000);
    await store.saveCrmLists(other.id, [HIGH_CONTACTS], 1000);
    expect(await store.crmLists(portal.id)).toEqual([TECH_COMPANIES, HIGH_COMPANIES, HIGH_CONTACTS]);
    const renamed = { ...HIGH_COMPANIES, name: 'Engagement model: Enterprise companies' };
    await store.saveCrmLists(portal.id, [renamed, HIGH_CONTACTS], 2000);
    expect(await store.crmLists(portal.id)).toEqual([renamed, HIGH_CONTACTS]);
    expect(await store.crmLists(other.id)).toEqual([HIGH_CONTACTS]);
  });

  test('are forgotten with an uninstalled installation', async () => {
    await store.saveCrmLists(portal.id, [HIGH_COMPANIES], 1000);
    await store.forgetInstallation(portal.id, 5000);
    expect(await store.crmLists(portal.id)).toEqual([]);
  });
});
