/**
 * Reading companies and contacts: a full read pages the list endpoint (no 10k cap, not on the
 * search limit); an incremental read searches by last-modified time (search.ts). Pages are
 * yielded as they arrive, so memory does not grow with the portal.
 */
import type {
  SimplePublicObject,
  SimplePublicObjectWithAssociations,
} from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { CrmObject } from '../../src/mapping/mapping.ts';
import type { ObjectType, ReadOptions } from '../../src/sync/connector.ts';
import type { HubSpotContext } from './client.ts';
import { searchModified } from './search.ts';

/** List endpoint page size (its maximum). */
export const LIST_PAGE_SIZE = 100;

export function toCrmObject(object: Pick<SimplePublicObject, 'id' | 'properties'>): CrmObject {
  return { id: object.id, properties: object.properties };
}

/** Every object of a type through `GET /crm/v3/objects/{type}`, a page at a time, following `paging.next.after`. */
export async function* listPages(
  context: HubSpotContext,
  type: ObjectType,
  properties: readonly string[],
  associations?: string[],
): AsyncGenerator<SimplePublicObjectWithAssociations[]> {
  let after: string | undefined;
  do {
    const cursor = after;
    const page = await context.throttle.run(`list ${type}`, () =>
      context.sdk.objects.basicApi.getPage(
        type,
        LIST_PAGE_SIZE,
        cursor,
        [...properties],
        undefined,
        associations,
        false,
      ),
    );
    if (page.results.length > 0) yield page.results;
    after = page.paging?.next?.after;
  } while (after !== undefined);
}

export async function* readObjects(
  context: HubSpotContext,
  type: 'companies' | 'contacts',
  options: ReadOptions,
): AsyncGenerator<CrmObject[]> {
  const pages =
    options.modifiedSince === undefined
      ? listPages(context, type, options.properties)
      : searchModified(context, type, options.properties, options.modifiedSince);
  for await (const page of pages) yield page.map(toCrmObject);
}
