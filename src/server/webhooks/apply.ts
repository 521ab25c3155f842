/**
 * What webhook deletions and merges do to the mirror before the run they trigger: a deleted
 * company or contact leaves the mirror (its tier history stays: a deletion is not a privacy
 * deletion), a deleted deal stops counting, and a merged-away record's history and tier move to
 * the survivor (`Store.carryOver`), so capacity and deal sizes are right at once rather than
 * after the nightly reconcile. Privacy deletions are erased by the webhook route itself.
 */
import type { RecordType } from '../../core/index.ts';
import type { Store } from '../../store/store.ts';
import type { Affected, HubSpotObjectKind } from '../../../connectors/hubspot/webhooks/events.ts';

const RECORD_TYPE: Readonly<Record<Exclude<HubSpotObjectKind, 'deals'>, RecordType>> = {
  companies: 'company',
  contacts: 'contact',
};

export async function applyRemovalsAndMerges(
  store: Pick<Store, 'deleteRecords' | 'deleteDeals' | 'carryOver'>,
  installationId: string,
  affected: Affected,
): Promise<void> {
  for (const kind of ['companies', 'contacts'] as const) {
    const type = RECORD_TYPE[kind];
    for (const [loser, survivor] of affected.merges[kind]) await store.carryOver(installationId, type, loser, survivor);
    await store.deleteRecords(installationId, type, [...affected.removals[kind]]);
  }
  // A merged-away deal is gone; the survivor is read again (it is in affected.deals).
  await store.deleteDeals(installationId, [...affected.removals.deals, ...affected.merges.deals.keys()]);
}
