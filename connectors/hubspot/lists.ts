/**
 * The lists per tier setup keeps for marketers (issue 17): for every tier, an active (DYNAMIC)
 * list of companies and one of contacts whose `engagement_model` is that tier, named from the
 * tier's label ("Engagement model: High-touch companies"). Lists API v3, reference
 * hubspot-api.md §9a (SDK `client.crm.lists.listsApi`, codegen `crm/lists`).
 *
 * - The caller keeps the list ids (`SetupReport.lists`) and passes them back in
 *   (`SetupOptions.knownLists`): a known list is read by id, so one a person renamed is still ours;
 *   its name follows the tier's label again and its filter is put back when it drifted.
 * - A list is created only when none is known. List names are unique across the portal, and a
 *   duplicate is a 400 `ILS.DUPLICATE_LIST_NAMES`: that answer (another installation's run, or
 *   our own create retried after a lost answer) adopts the list of that name, read by name.
 * - Lists of tiers the policy no longer has are left in HubSpot (a marketer may use them in an
 *   email or workflow) and reported in the warnings each setup, until someone deletes them.
 * - A known list deleted in HubSpot is created again (turning lists off is the installation's
 *   `crmLists` setting, not deleting them).
 * `url`: `https://<uiDomain>/contacts/<portalId>/objectLists/<listId>` — the form HubSpot's list
 * pages have had since lists moved to the Lists API (assumed; HubSpot documents no deep-link
 * format, and `uiDomain` from the account details gives EU portals their own host).
 */
import {
  ListCreateRequest,
  ListFilterUpdateRequest,
  PublicAndFilterBranch,
  PublicAndFilterBranchFilterBranchTypeEnum,
  PublicEnumerationPropertyOperation,
  PublicEnumerationPropertyOperationOperationTypeEnum,
  PublicOrFilterBranch,
  PublicOrFilterBranchFilterBranchTypeEnum,
  PublicPropertyFilter,
  PublicPropertyFilterFilterTypeEnum,
  type PublicObjectList,
} from '@hubspot/api-client/lib/codegen/crm/lists/index.js';
import type { Tier } from '../../src/core/index.ts';
import type { CrmList } from '../../src/sync/connector.ts';
import { model, type HubSpotContext } from './client.ts';
import { HubSpotError } from './errors.ts';

export const LIST_OBJECTS = { companies: '0-2', contacts: '0-1' } as const;
type ListObject = keyof typeof LIST_OBJECTS;

/** "Engagement model: High-touch companies". */
export function listName(tier: Tier, object: ListObject): string {
  return `Engagement model: ${tier.label} ${object}`;
}

/** OR root → one AND branch → `property` IS_ANY_OF [tier value] (HubSpot refuses filters under the root). */
export function tierFilter(property: string, value: string): PublicOrFilterBranch {
  const filter = model(PublicPropertyFilter, {
    filterType: PublicPropertyFilterFilterTypeEnum.Property,
    property,
    operation: model(PublicEnumerationPropertyOperation, {
      operationType: PublicEnumerationPropertyOperationOperationTypeEnum.Enumeration,
      operator: 'IS_ANY_OF',
      values: [value],
      includeObjectsWithNoValueSet: false,
    }),
  });
  const and = model(PublicAndFilterBranch, {
    filterBranchType: PublicAndFilterBranchFilterBranchTypeEnum.And,
    filterBranchOperator: 'AND',
    filterBranches: [],
    filters: [filter],
  });
  return model(PublicOrFilterBranch, {
    filterBranchType: PublicOrFilterBranchFilterBranchTypeEnum.Or,
    filterBranchOperator: 'OR',
    filterBranches: [and],
    filters: [],
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Whether a list's filter (as HubSpot answers it, read leniently) is exactly ours. */
export function filterIsOurs(branch: unknown, property: string, value: string): boolean {
  if (!isRecord(branch) || branch['filterBranchType'] !== 'OR' || array(branch['filters']).length > 0) return false;
  const children = array(branch['filterBranches']);
  const and = children[0];
  if (children.length !== 1 || !isRecord(and) || and['filterBranchType'] !== 'AND') return false;
  const filters = array(and['filters']);
  const filter = filters[0];
  if (array(and['filterBranches']).length > 0 || filters.length !== 1 || !isRecord(filter)) return false;
  const operation = filter['operation'];
  return (
    filter['filterType'] === 'PROPERTY' &&
    filter['property'] === property &&
    isRecord(operation) &&
    operation['operationType'] === 'ENUMERATION' &&
    operation['operator'] === 'IS_ANY_OF' &&
    operation['includeObjectsWithNoValueSet'] !== true &&
    JSON.stringify(operation['values']) === JSON.stringify([value])
  );
}

function subCategory(err: unknown): string | undefined {
  if (!(err instanceof HubSpotError) || !isRecord(err.body)) return undefined;
  const value = err.body['subCategory'];
  return typeof value === 'string' ? value : undefined;
}

const isDuplicateName = (err: unknown): boolean =>
  err instanceof HubSpotError && err.status === 400 && subCategory(err) === 'ILS.DUPLICATE_LIST_NAMES';

const isNotFound = (err: unknown): boolean => err instanceof HubSpotError && err.status === 404;

export interface ListsOutcome {
  readonly lists: CrmList[];
  readonly changes: string[];
  readonly warnings: string[];
}

interface Target {
  readonly tier: Tier;
  readonly object: ListObject;
  readonly name: string;
}

export interface ListsInput {
  readonly tiers: readonly Tier[];
  readonly known: readonly CrmList[];
  /** The tier property (`engagement_model`). */
  readonly property: string;
  /** The list URL for an id (the portal's host and id are the caller's). */
  readonly urlOf: (listId: string) => string;
}

async function readById(context: HubSpotContext, listId: string): Promise<PublicObjectList | undefined> {
  try {
    const answer = await context.throttle.run(`read list ${listId}`, () =>
      context.sdk.lists.listsApi.getById(listId, true),
    );
    return answer.list;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function readByName(context: HubSpotContext, target: Target): Promise<PublicObjectList | undefined> {
  try {
    const answer = await context.throttle.run(`read list "${target.name}"`, () =>
      context.sdk.lists.listsApi.getByName(target.name, LIST_OBJECTS[target.object], true),
    );
    return answer.list;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Creates the list, or adopts the one of that name (ILS.DUPLICATE_LIST_NAMES); undefined when the name is taken elsewhere. */
async function createOrAdopt(
  context: HubSpotContext,
  input: ListsInput,
  target: Target,
  out: ListsOutcome,
): Promise<PublicObjectList | undefined> {
  const request = model(ListCreateRequest, {
    name: target.name,
    objectTypeId: LIST_OBJECTS[target.object],
    processingType: 'DYNAMIC',
    filterBranch: tierFilter(input.property, target.tier.value),
  });
  try {
    const answer = await context.throttle.run(`create list "${target.name}"`, () =>
      context.sdk.lists.listsApi.create(request),
    );
    out.changes.push(`created list "${target.name}"`);
    return answer.list;
  } catch (err) {
    if (!isDuplicateName(err)) throw err;
  }
  const existing = await readByName(context, target);
  if (existing === undefined || existing.processingType !== 'DYNAMIC') {
    out.warnings.push(
      `HubSpot list "${target.name}" exists but is not an active ${target.object} list; no list kept for ${target.tier.label} ${target.object} (rename that list to let RightTouch create its own)`,
    );
    return undefined;
  }
  out.changes.push(`adopted existing list "${target.name}"`);
  return existing;
}

/** Puts the name and filter back where they drifted. */
async function reconcile(
  context: HubSpotContext,
  input: ListsInput,
  target: Target,
  list: PublicObjectList,
  out: ListsOutcome,
): Promise<string> {
  let name = list.name;
  if (name !== target.name) {
    try {
      await context.throttle.run(`rename list ${list.listId}`, () =>
        context.sdk.lists.listsApi.updateName(list.listId, target.name),
      );
      out.changes.push(`renamed list "${name}" to "${target.name}"`);
      name = target.name;
    } catch (err) {
      if (!isDuplicateName(err)) throw err;
      out.warnings.push(
        `HubSpot list "${name}" (${list.listId}) could not be renamed to "${target.name}": another list has that name`,
      );
    }
  }
  if (list.processingType !== 'DYNAMIC') {
    out.warnings.push(
      `HubSpot list "${name}" (${list.listId}) is no longer an active list; its members are not kept by tier`,
    );
  } else if (!filterIsOurs(list.filterBranch, input.property, target.tier.value)) {
    const request = model(ListFilterUpdateRequest, { filterBranch: tierFilter(input.property, target.tier.value) });
    await context.throttle.run(`update filters of list ${list.listId}`, () =>
      context.sdk.lists.listsApi.updateListFilters(list.listId, request),
    );
    out.changes.push(`put back the filter of list "${name}" (${input.property} is ${target.tier.label})`);
  }
  return name;
}

/** Creates, renames and repairs the lists per tier; reports those of dropped tiers. */
export async function ensureTierLists(context: HubSpotContext, input: ListsInput): Promise<ListsOutcome> {
  const out: ListsOutcome = { lists: [], changes: [], warnings: [] };
  const knownFor = (object: string, tier: string): CrmList | undefined =>
    input.known.find((list) => list.object === object && list.tier === tier);
  for (const tier of input.tiers) {
    for (const object of Object.keys(LIST_OBJECTS) as ListObject[]) {
      const target: Target = { tier, object, name: listName(tier, object) };
      const known = knownFor(object, tier.value);
      let list = known === undefined ? undefined : await readById(context, known.id);
      if (known !== undefined && list === undefined) {
        out.changes.push(`list "${known.name}" (${known.id}) is gone from HubSpot; creating it again`);
      }
      list ??= await createOrAdopt(context, input, target, out);
      if (list === undefined) continue;
      const name = await reconcile(context, input, target, list, out);
      out.lists.push({ object, tier: tier.value, name, id: list.listId, url: input.urlOf(list.listId) });
    }
  }
  const wanted = new Set(input.tiers.map((tier) => tier.value));
  for (const dropped of input.known.filter((list) => !wanted.has(list.tier))) {
    const list = await readById(context, dropped.id);
    if (list === undefined) continue; // deleted in HubSpot: nothing left to report
    out.lists.push({ ...dropped, name: list.name, url: input.urlOf(list.listId) });
    out.warnings.push(
      `HubSpot list "${list.name}" is for tier ${dropped.tier}, which the policy no longer has; left as it is (delete it in HubSpot if no one uses it)`,
    );
  }
  return out;
}
