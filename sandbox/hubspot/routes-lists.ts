/**
 * Lists API v3 (reference hubspot-api.md §9a; paths as `@hubspot/api-client` 14's
 * `crm/lists` ListsApi/SearchApi/MembershipsApi send them):
 * - `POST /crm/v3/lists/` create (200 `{list}`), `GET /crm/v3/lists/{listId}` and
 *   `GET /crm/v3/lists/?listIds=…` (filters only with `includeFilters=true`),
 *   `GET /crm/v3/lists/object-type-id/{objectTypeId}/name/{listName}` (name compared
 *   case-insensitively), `POST /crm/v3/lists/search`;
 * - `PUT /crm/v3/lists/{listId}/update-list-name?listName=…` and
 *   `PUT /crm/v3/lists/{listId}/update-list-filters` (DYNAMIC lists only), both `{updatedList}`;
 * - `DELETE /crm/v3/lists/{listId}` (204) and `PUT /crm/v3/lists/{listId}/restore` (204);
 * - `GET /crm/v3/lists/{listId}/memberships` (`{results:[{recordId, membershipTimestamp}], paging, total}`).
 * List names are unique across the whole portal, whatever the object: a duplicate is a **400**
 * `VALIDATION_ERROR` with `subCategory: "ILS.DUPLICATE_LIST_NAMES"` (not a 409; the subCategory
 * is what production clients test, e.g. segmentio/action-destinations' HubSpot list functions).
 * Reads need the token's `crm.lists.read` scope, changes `crm.lists.write` (403 `MISSING_SCOPES`).
 */
import { Router, type Request, type Response } from 'express';
import type { SandboxContext } from './context.ts';
import { HubSpotHttpError, notFound, shown, validationError } from './errors.ts';
import {
  LIST_OBJECT_TYPE_IDS,
  listNamed,
  membersOf,
  parseFilterBranch,
  PROCESSING_TYPES,
  type ProcessingType,
  type SandboxList,
} from './lists.ts';

export const LIST_SCOPES = { read: 'crm.lists.read', write: 'crm.lists.write' } as const;

const MEMBERSHIP_PAGE = { default: 100, max: 250 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function param(req: Request, name: string): string {
  return (req.params as Record<string, string | undefined>)[name] ?? '';
}

/** HubSpot's missing-scope answer (reference §1.3: 403 `MISSING_SCOPES`, `requiredGranularScopes`). */
function requireScope(context: SandboxContext, scope: string): void {
  if (context.scopes.includes(scope)) return;
  throw new HubSpotHttpError(403, {
    message:
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    category: 'MISSING_SCOPES',
    errors: [
      {
        message: 'One or more of the following scopes are required.',
        context: { requiredGranularScopes: [scope] },
      },
    ],
    links: { scopes: 'https://developers.hubspot.com/scopes' },
  });
}

function duplicateName(name: string): HubSpotHttpError {
  return validationError(`A list named '${name}' already exists.`, { subCategory: 'ILS.DUPLICATE_LIST_NAMES' });
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

function includeFilters(req: Request): boolean {
  return req.query['includeFilters'] === 'true';
}

function publicList(context: SandboxContext, list: SandboxList, filters: boolean): Record<string, unknown> {
  return {
    listId: list.listId,
    listVersion: list.listVersion,
    name: list.name,
    objectTypeId: list.objectTypeId,
    processingType: list.processingType,
    processingStatus: 'COMPLETE',
    createdAt: iso(list.createdAt),
    updatedAt: iso(list.updatedAt),
    filtersUpdatedAt: iso(list.filtersUpdatedAt),
    createdById: '1',
    updatedById: '1',
    size: membersOf(context.portal, list).length,
    ...(filters && list.filterBranch !== undefined ? { filterBranch: list.filterBranch } : {}),
  };
}

function liveList(context: SandboxContext, listId: string): SandboxList {
  const list = context.portal.lists.lists.get(listId);
  if (list === undefined || list.deletedAt !== undefined) throw notFound(`List ${listId} does not exist.`);
  return list;
}

function createList(context: SandboxContext, body: unknown): SandboxList {
  if (!isRecord(body)) throw validationError('The request body must be a JSON object.');
  const { name, objectTypeId, processingType, filterBranch } = body;
  if (typeof name !== 'string' || name.trim() === '') throw validationError('name is required.');
  if (typeof objectTypeId !== 'string' || !Object.hasOwn(LIST_OBJECT_TYPE_IDS, objectTypeId)) {
    throw validationError(`Unknown objectTypeId: ${shown(objectTypeId)}.`);
  }
  if (typeof processingType !== 'string' || !(PROCESSING_TYPES as readonly string[]).includes(processingType)) {
    throw validationError(
      `processingType must be one of ${PROCESSING_TYPES.join(', ')}, not ${shown(processingType)}.`,
    );
  }
  const type = LIST_OBJECT_TYPE_IDS[objectTypeId];
  if (type === undefined) throw validationError(`Unknown objectTypeId: ${objectTypeId}.`);
  let branch;
  if (processingType === 'MANUAL') {
    if (filterBranch !== undefined) throw validationError('A MANUAL list cannot have a filterBranch.');
  } else {
    if (filterBranch === undefined) throw validationError(`A ${processingType} list needs a filterBranch.`);
    branch = parseFilterBranch(filterBranch, context.portal, type);
  }
  const store = context.portal.lists;
  if (listNamed(store, name) !== undefined) throw duplicateName(name);
  const now = context.now();
  const list: SandboxList = {
    listId: String(store.nextId++),
    name,
    objectTypeId,
    processingType: processingType as ProcessingType,
    filterBranch: branch,
    listVersion: 1,
    createdAt: now,
    updatedAt: now,
    filtersUpdatedAt: now,
    deletedAt: undefined,
    members: [],
  };
  if (list.processingType === 'SNAPSHOT') {
    list.members = membersOf(context.portal, { ...list, processingType: 'DYNAMIC' });
  }
  store.lists.set(list.listId, list);
  return list;
}

function searchLists(context: SandboxContext, body: unknown): Record<string, unknown> {
  const request = isRecord(body) ? body : {};
  const query = typeof request['query'] === 'string' ? request['query'].toLowerCase() : '';
  const offset = typeof request['offset'] === 'number' ? Math.max(0, Math.floor(request['offset'])) : 0;
  const count = typeof request['count'] === 'number' ? Math.min(500, Math.max(1, Math.floor(request['count']))) : 20;
  const ids = Array.isArray(request['listIds']) ? request['listIds'].map(String) : undefined;
  const types = Array.isArray(request['processingTypes']) ? request['processingTypes'].map(String) : undefined;
  const found = [...context.portal.lists.lists.values()].filter(
    (list) =>
      list.deletedAt === undefined &&
      list.name.toLowerCase().includes(query) &&
      (ids === undefined || ids.length === 0 || ids.includes(list.listId)) &&
      (types === undefined || types.length === 0 || types.includes(list.processingType)),
  );
  const page = found.slice(offset, offset + count);
  return {
    lists: page.map((list) => {
      const { size, ...rest } = publicList(context, list, false);
      return { ...rest, additionalProperties: { hs_list_size: String(size) } };
    }),
    total: found.length,
    offset: offset + page.length,
    hasMore: offset + page.length < found.length,
  };
}

function memberships(context: SandboxContext, req: Request, res: Response): void {
  const list = liveList(context, param(req, 'listId'));
  const rawLimit = req.query['limit'];
  const limit = rawLimit === undefined ? MEMBERSHIP_PAGE.default : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MEMBERSHIP_PAGE.max) {
    throw validationError(`limit must be between 1 and ${MEMBERSHIP_PAGE.max}, not ${shown(rawLimit)}.`);
  }
  const rawAfter = req.query['after'];
  const after = rawAfter === undefined ? 0 : Number(rawAfter);
  if (!Number.isInteger(after) || after < 0) throw validationError(`Invalid after: ${shown(rawAfter)}`);
  const members = membersOf(context.portal, list);
  const page = members.slice(after, after + limit);
  const records = context.portal.objects[LIST_OBJECT_TYPE_IDS[list.objectTypeId] ?? 'contacts'].records;
  res.json({
    results: page.map((recordId) => ({
      recordId,
      // Joined when the filter last changed or the record last did, whichever is later.
      membershipTimestamp: iso(Math.max(list.filtersUpdatedAt, records.get(recordId)?.updatedAt ?? 0)),
    })),
    total: members.length,
    ...(after + limit < members.length ? { paging: { next: { after: String(after + limit) } } } : {}),
  });
}

export function listRoutes(context: SandboxContext): Router {
  const router = Router();
  const read = (): void => {
    requireScope(context, LIST_SCOPES.read);
  };
  const write = (): void => {
    requireScope(context, LIST_SCOPES.write);
  };

  router.post('/crm/v3/lists', (req, res) => {
    write();
    res.json({ list: publicList(context, createList(context, req.body), true) });
  });
  router.post('/crm/v3/lists/search', (req, res) => {
    read();
    res.json(searchLists(context, req.body));
  });
  router.get('/crm/v3/lists', (req, res) => {
    read();
    const raw = req.query['listIds'];
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
    const lists = ids.flatMap((id) => {
      const list = context.portal.lists.lists.get(id);
      return list === undefined || list.deletedAt !== undefined ? [] : [list];
    });
    res.json({ lists: lists.map((list) => publicList(context, list, includeFilters(req))) });
  });
  router.get('/crm/v3/lists/object-type-id/:objectTypeId/name/:listName', (req, res) => {
    read();
    const objectTypeId = param(req, 'objectTypeId');
    const name = param(req, 'listName');
    const list = listNamed(context.portal.lists, name);
    if (list === undefined || list.objectTypeId !== objectTypeId) {
      throw notFound(`List with name ${name} does not exist for object type ${objectTypeId}.`);
    }
    res.json({ list: publicList(context, list, includeFilters(req)) });
  });
  router.get('/crm/v3/lists/:listId', (req, res) => {
    read();
    res.json({ list: publicList(context, liveList(context, param(req, 'listId')), includeFilters(req)) });
  });
  router.get('/crm/v3/lists/:listId/memberships', (req, res) => {
    read();
    memberships(context, req, res);
  });
  router.put('/crm/v3/lists/:listId/update-list-name', (req, res) => {
    write();
    const list = liveList(context, param(req, 'listId'));
    const name = req.query['listName'];
    if (typeof name !== 'string' || name.trim() === '') throw validationError('listName is required.');
    const holder = listNamed(context.portal.lists, name);
    if (holder !== undefined && holder !== list) throw duplicateName(name);
    if (list.name !== name) {
      list.name = name;
      list.listVersion += 1;
      list.updatedAt = context.now();
    }
    res.json({ updatedList: publicList(context, list, includeFilters(req)) });
  });
  router.put('/crm/v3/lists/:listId/update-list-filters', (req, res) => {
    write();
    const list = liveList(context, param(req, 'listId'));
    if (list.processingType !== 'DYNAMIC') {
      throw validationError(
        `List ${list.listId} is a ${list.processingType} list: only DYNAMIC lists have filters to update.`,
      );
    }
    const body: unknown = req.body;
    if (!isRecord(body) || body['filterBranch'] === undefined) throw validationError('filterBranch is required.');
    const type = LIST_OBJECT_TYPE_IDS[list.objectTypeId] ?? 'contacts';
    list.filterBranch = parseFilterBranch(body['filterBranch'], context.portal, type);
    const now = context.now();
    list.listVersion += 1;
    list.updatedAt = now;
    list.filtersUpdatedAt = now;
    res.json({ updatedList: publicList(context, list, true) });
  });
  router.delete('/crm/v3/lists/:listId', (req, res) => {
    write();
    const list = liveList(context, param(req, 'listId'));
    list.deletedAt = context.now();
    res.status(204).end();
  });
  router.put('/crm/v3/lists/:listId/restore', (req, res) => {
    write();
    const list = context.portal.lists.lists.get(param(req, 'listId'));
    if (list?.deletedAt === undefined) throw notFound(`No deleted list ${param(req, 'listId')} to restore.`);
    if (listNamed(context.portal.lists, list.name) !== undefined) throw duplicateName(list.name);
    list.deletedAt = undefined;
    list.updatedAt = context.now();
    res.status(204).end();
  });
  return router;
}
