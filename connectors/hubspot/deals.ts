/**
 * Reading deals with the company each counts for: its primary company association. A full read
 * asks the list endpoint for company associations inline; search results carry none, so their
 * associations come from the associations v4 batch read (≤ 1,000 deals per call).
 */
import { AssociationTypes } from '@hubspot/api-client';
import {
  AssociationSpecWithLabelCategoryEnum,
  BatchInputPublicFetchAssociationsBatchRequest,
  PublicFetchAssociationsBatchRequest,
} from '@hubspot/api-client/lib/codegen/crm/associations/v4/index.js';
import type { AssociatedId } from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { CrmDeal, ReadOptions } from '../../src/sync/connector.ts';
import { model, type HubSpotContext } from './client.ts';
import { listPages, toCrmObject } from './read.ts';
import { searchModified } from './search.ts';

/** Associations v4 batch read: at most this many inputs per call. */
export const ASSOCIATION_BATCH = 1000;

/** `toObjectId` is typed string but arrives as a JSON number (the SDK does not convert it). */
function idText(id: string | number): string {
  return String(id);
}

const PRIMARY_DEAL_TO_COMPANY: number = AssociationTypes.primaryDealToCompany;

/** The v3 list endpoint names the primary deal→company association type this way (unlabeled: `deal_to_company_unlabeled`). */
const PRIMARY_INLINE_TYPE = 'deal_to_company';

/** The primary company among inline associations. */
function primaryInline(associations: readonly AssociatedId[]): string | undefined {
  return associations.find((a) => a.type === PRIMARY_INLINE_TYPE)?.id;
}

/**
 * The primary company of each deal, through associations v4. A deal associated with companies but
 * none of them primary (possible through the API) counts for the first one, so it is not dropped
 * from deal totals; still only one company, so nothing is counted twice.
 */
export async function primaryCompanies(
  context: HubSpotContext,
  dealIds: readonly string[],
): Promise<Map<string, string | null>> {
  const primary = new Map<string, string>();
  const first = new Map<string, string>();
  let pending = dealIds.map((id) => model(PublicFetchAssociationsBatchRequest, { id }));
  while (pending.length > 0) {
    const inputs = pending.slice(0, ASSOCIATION_BATCH);
    pending = pending.slice(ASSOCIATION_BATCH);
    const response = await context.throttle.run('read deal company associations', () =>
      context.sdk.associations.batchApi.getPage(
        'deals',
        'companies',
        model(BatchInputPublicFetchAssociationsBatchRequest, { inputs }),
      ),
    );
    // Deals without any company come back as errors in a 207; they simply have no company.
    for (const row of response.results) {
      const dealId = row._from.id;
      for (const target of row.to) {
        const companyId = idText(target.toObjectId);
        if (!first.has(dealId)) first.set(dealId, companyId);
        const isPrimary = target.associationTypes.some(
          (type) =>
            type.typeId === PRIMARY_DEAL_TO_COMPANY &&
            type.category === AssociationSpecWithLabelCategoryEnum.HubspotDefined,
        );
        if (isPrimary) primary.set(dealId, companyId);
      }
      const after = row.paging?.next?.after;
      if (!primary.has(dealId) && after !== undefined) {
        pending.push(model(PublicFetchAssociationsBatchRequest, { id: dealId, after }));
      }
    }
  }
  return new Map(dealIds.map((id) => [id, primary.get(id) ?? first.get(id) ?? null]));
}

export async function* readDeals(context: HubSpotContext, options: ReadOptions): AsyncGenerator<CrmDeal[]> {
  if (options.modifiedSince === undefined) {
    for await (const page of listPages(context, 'deals', options.properties, ['companies'])) {
      const companies = new Map<string, string | null>();
      const unresolved: string[] = [];
      for (const deal of page) {
        const inline = deal.associations?.['companies'];
        const found = inline === undefined ? undefined : primaryInline(inline.results);
        // More companies than one inline page holds and no primary among them: ask v4.
        if (found === undefined && inline?.paging?.next !== undefined) unresolved.push(deal.id);
        else companies.set(deal.id, found ?? inline?.results[0]?.id ?? null); // no primary: the first, as v4 below
      }
      if (unresolved.length > 0)
        for (const [id, company] of await primaryCompanies(context, unresolved)) companies.set(id, company);
      yield page.map((deal) => ({ ...toCrmObject(deal), companyId: companies.get(deal.id) ?? null }));
    }
    return;
  }
  for await (const page of searchModified(context, 'deals', options.properties, options.modifiedSince)) {
    const companies = await primaryCompanies(
      context,
      page.map((deal) => deal.id),
    );
    yield page.map((deal) => ({ ...toCrmObject(deal), companyId: companies.get(deal.id) ?? null }));
  }
}
