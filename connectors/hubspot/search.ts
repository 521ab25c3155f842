/**
 * Incremental reads through the CRM search endpoint: objects whose last-modified time is at or
 * after `since`, oldest first, keyset-paged on that time (one search query can page at most
 * 10,000 results; paging further is a 400).
 */
import {
  Filter,
  FilterGroup,
  FilterOperatorEnum,
  PublicObjectSearchRequest,
  type CollectionResponseWithTotalSimplePublicObjectForwardPaging,
  type SimplePublicObject,
} from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { ObjectType } from '../../src/sync/connector.ts';
import { model, type Fields, type HubSpotContext } from './client.ts';

/** The last-modified property: contacts differ from every other object. */
export const LAST_MODIFIED: Readonly<Record<ObjectType, string>> = {
  companies: 'hs_lastmodifieddate',
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
};

/** Search page size (its maximum) and the most results one query can page through. */
export const SEARCH_PAGE_SIZE = 200;
export const SEARCH_CAP = 10_000;

function ascending(propertyName: string): string {
  // The SDK types `sorts` as string[], but the API takes {propertyName, direction} objects and
  // the SDK's serializer sends them as they are (reference §1.4). A JSON.stringify'd sort is
  // silently ignored by HubSpot, hence the cast rather than a string.
  return { propertyName, direction: 'ASCENDING' } as unknown as string;
}

function modifiedAt(object: SimplePublicObject, property: string): number | undefined {
  const raw = object.properties[property];
  // Responses carry ISO strings; accept epoch ms too.
  const ms = raw === null || raw === undefined ? Number.NaN : /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isFinite(ms) ? ms : undefined;
}

function filter(propertyName: string, operator: FilterOperatorEnum, value: string): Filter {
  return model(Filter, { propertyName, operator, value });
}

function search(
  context: HubSpotContext,
  type: ObjectType,
  filters: Filter[],
  request: Omit<Fields<PublicObjectSearchRequest>, 'filterGroups' | 'limit'>,
): Promise<CollectionResponseWithTotalSimplePublicObjectForwardPaging> {
  const body = model(PublicObjectSearchRequest, {
    ...request,
    filterGroups: [model(FilterGroup, { filters })],
    limit: SEARCH_PAGE_SIZE,
  });
  return context.throttle.run(`search ${type}`, () => context.sdk.objects.searchApi.doSearch(type, body), 'search');
}

/** Whether paging on from `after` would run into the 10k cap (the search `after` is an offset). */
function atCap(after: string): boolean {
  return Number(after) >= SEARCH_CAP;
}

/**
 * Pages of `type` modified at or after `since` (epoch ms), ascending by modified time, with
 * `properties` plus the last-modified property. Keyset paging: each page's query starts from the
 * last modified time seen (skipping the ids already yielded at that time), so an object modified
 * during the read moves to the end and is read again rather than shifting another past a page
 * boundary. Only when a whole page shares one time does it page by offset, up to the 10k cap,
 * and then walk that instant by id. An object modified during the read can come twice.
 */
export async function* searchModified(
  context: HubSpotContext,
  type: ObjectType,
  properties: readonly string[],
  since: number,
): AsyncGenerator<SimplePublicObject[]> {
  const lm = LAST_MODIFIED[type];
  const wanted = properties.includes(lm) ? [...properties] : [...properties, lm];
  let from = since;
  let operator = FilterOperatorEnum.Gte;
  /** Ids already yielded whose modified time is exactly `from`. */
  let skip = new Set<string>();
  for (;;) {
    let last = from;
    let atLast = new Set(skip);
    let after: string | undefined;
    for (;;) {
      const page = await search(context, type, [filter(lm, operator, String(from))], {
        sorts: [ascending(lm)],
        properties: wanted,
        ...(after === undefined ? {} : { after }),
      });
      const fresh: SimplePublicObject[] = [];
      for (const object of page.results) {
        const time = modifiedAt(object, lm);
        if (time === from && skip.has(object.id)) continue;
        fresh.push(object);
        if (time === undefined || time < last) continue;
        if (time > last) {
          last = time;
          atLast = new Set();
        }
        atLast.add(object.id);
      }
      if (fresh.length > 0) yield fresh;
      after = page.paging?.next?.after;
      if (after === undefined) return;
      // Re-key from the last time seen after every page rather than follow the offset: an object
      // modified mid-read moves to the end, and offsets would then skip the one at the boundary.
      if (last > from || atCap(after)) break;
    }
    if (last > from) {
      from = last;
      operator = FilterOperatorEnum.Gte;
      skip = atLast;
    } else {
      // 10,000 objects share one modified time: the time cannot move the window on. Walk that
      // instant by object id, then go on strictly after it.
      yield* searchInstant(context, type, wanted, from, atLast);
      operator = FilterOperatorEnum.Gt;
      skip = new Set();
    }
  }
}

/**
 * Every object modified at exactly `time` but not in `yielded`, by ascending id, keyset-paged on
 * `hs_object_id` (the same 10k cap applies to each query).
 */
async function* searchInstant(
  context: HubSpotContext,
  type: ObjectType,
  properties: string[],
  time: number,
  yielded: ReadonlySet<string>,
): AsyncGenerator<SimplePublicObject[]> {
  const lm = LAST_MODIFIED[type];
  let afterId = '0';
  for (;;) {
    let after: string | undefined;
    for (;;) {
      const filters = [
        filter(lm, FilterOperatorEnum.Gte, String(time)),
        filter(lm, FilterOperatorEnum.Lte, String(time)),
        filter('hs_object_id', FilterOperatorEnum.Gt, afterId),
      ];
      const page = await search(context, type, filters, {
        sorts: [ascending('hs_object_id')],
        properties,
        ...(after === undefined ? {} : { after }),
      });
      const fresh = page.results.filter((object) => !yielded.has(object.id));
      if (fresh.length > 0) yield fresh;
      const lastId = page.results.at(-1)?.id;
      if (lastId !== undefined) afterId = lastId;
      after = page.paging?.next?.after;
      if (after === undefined) return;
      if (atCap(after)) break;
    }
  }
}
