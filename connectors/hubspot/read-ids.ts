/**
 * Reading records by id (webhook-driven runs): `POST /crm/v3/objects/{type}/batch/read`, at most
 * 100 ids per call, on the general limit (not search's 5 per second, and not subject to search's
 * indexing lag). Ids HubSpot no longer has come back as errors in a 207 and are simply left out:
 * deletions and merges reach the engine through their own events and the scheduled runs.
 */
import {
  BatchReadInputSimplePublicObjectId,
  SimplePublicObjectId,
} from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { CrmObject } from '../../src/mapping/mapping.ts';
import type { CrmDeal, ObjectType } from '../../src/sync/connector.ts';
import { model, type HubSpotContext } from './client.ts';
import { primaryCompanies } from './deals.ts';
import { toCrmObject } from './read.ts';

/** Batch read: at most this many ids per call. */
export const BATCH_READ_SIZE = 100;

export async function* readByIds(
  context: HubSpotContext,
  type: ObjectType,
  ids: readonly string[],
  properties: readonly string[],
): AsyncGenerator<CrmObject[]> {
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += BATCH_READ_SIZE) {
    const inputs = unique.slice(start, start + BATCH_READ_SIZE).map((id) => model(SimplePublicObjectId, { id }));
    const response = await context.throttle.run(`batch read of ${inputs.length} ${type}`, () =>
      context.sdk.objects.batchApi.read(
        type,
        model(BatchReadInputSimplePublicObjectId, { inputs, properties: [...properties], propertiesWithHistory: [] }),
        false,
      ),
    );
    if (response.results.length > 0) yield response.results.map(toCrmObject);
  }
}

export async function* readDealsByIds(
  context: HubSpotContext,
  ids: readonly string[],
  properties: readonly string[],
): AsyncGenerator<CrmDeal[]> {
  for await (const page of readByIds(context, 'deals', ids, properties)) {
    const companies = await primaryCompanies(
      context,
      page.map((deal) => deal.id),
    );
    yield page.map((deal) => ({ ...deal, companyId: companies.get(deal.id) ?? null }));
  }
}
