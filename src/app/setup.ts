/**
 * Setting up an installation's CRM, the one way the install flow, the scheduled jobs and the
 * CLI's `setup` do it: with what the installation's settings allow beyond the properties (the
 * lists per tier, `crmLists`; Salesforce's layouts, `crmLayouts`; both on unless turned off), the
 * lists the last setup kept passed back in (so a list someone renamed in the CRM is found again by
 * id), and the lists it reports kept in the store. When lists are off the connector reports none
 * and the kept ones stay as they were: the lists themselves are left in the CRM, not deleted.
 */
import type { Tier } from '../core/index.ts';
import type { Installation, InstallationSettings, Store } from '../store/store.ts';
import type { Connector, SetupOptions, SetupReport } from '../sync/connector.ts';

/** What the installation's settings let setup do beyond the properties/fields. */
export function setupOptionsOf(settings: InstallationSettings): { lists: boolean; layouts: boolean } {
  return { lists: settings.crmLists !== false, layouts: settings.crmLayouts !== false };
}

export async function setUpCrm(
  store: Store,
  connector: Connector,
  installation: Installation,
  tiers: readonly Tier[],
  now: () => number = Date.now,
): Promise<SetupReport> {
  const options: SetupOptions = {
    ...setupOptionsOf(installation.settings),
    knownLists: await store.crmLists(installation.id),
  };
  const report = await connector.setup(tiers, options);
  if (report.lists !== undefined) await store.saveCrmLists(installation.id, report.lists, now());
  return report;
}
