/**
 * CRM objects v3: list, get one, update one, search, batch read, batch update.
 *
 * Batch update refuses the whole batch, writing nothing, when any input is invalid (reference
 * §1.3 and gotcha 6: validation errors fail the whole request with 400, and 207 partial results
 * exist only for reads and for creates with objectWriteTraceId):
 * - more than 100 inputs or a duplicate id → 400 VALIDATION_ERROR;
 * - an unknown property, a value not among an enumeration's options, a read-only or malformed
 *   value → 400 VALIDATION_ERROR, the details (PROPERTY_DOESNT_EXIST / INVALID_OPTION / …) as
 *   JSON inside `message`, one entry per refused value, none naming its record;
 * - an id that names no record → 404 OBJECT_NOT_FOUND (`context.ids` lists them). The reference
 *   documents no 207 for updates, so a missing record fails the batch like the other refusals;
 *   404 (not 400) because the body is valid and only the record is absent.
 */
import { Router, type Request, type Response } from 'express';
import { v3Entries, isSupportedPair } from './associations.ts';
import type { SandboxContext } from './context.ts';
import { notFound, shown, validationError } from './errors.ts';
import { checkHistoryCount, historyOf, INTEGRATION_SOURCE, noteHistory } from './history.ts';
import { alwaysReturned, OBJECT_LABEL, objectTypeOf, type CrmRecord, type ObjectType, type Schema } from './model.ts';
import { parseSearch } from './search.ts';
import {
  applyWrite,
  checkWrite,
  listPage,
  propertyList,
  propertyProblemsMessage,
  responseProperties,
  toPublicObject,
  type PropertyProblem,
  type PublicObject,
} from './store.ts';

const LIST_MAX_LIMIT = 100;
const LIST_DEFAULT_LIMIT = 10;
const BATCH_MAX = 100;

function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  return value ?? '';
}

export function resolveType(raw: string): ObjectType {
  const type = objectTypeOf(raw);
  if (type === undefined) throw validationError(`Unable to infer object type from: ${raw}`);
  return type;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function queryInteger(raw: unknown, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw validationError(`Invalid ${name}: must be an integer from 1 to ${max}, was ${shown(raw)}.`);
  }
  return value;
}

function wantsArchived(raw: unknown): boolean {
  return raw === 'true';
}

/** The `associations` query values this type can answer (others are ignored, as HubSpot does). */
function associationTypes(type: ObjectType, raw: unknown): ObjectType[] {
  const names = propertyList(raw) ?? [];
  const types = names.map(objectTypeOf).filter((t): t is ObjectType => t !== undefined && isSupportedPair(type, t));
  return [...new Set(types)];
}

function withAssociations(
  context: SandboxContext,
  type: ObjectType,
  record: CrmRecord,
  object: PublicObject,
  to: readonly ObjectType[],
): PublicObject & { associations?: Record<string, { results: { id: string; type: string }[] }> } {
  if (to.length === 0) return object;
  const associations: Record<string, { results: { id: string; type: string }[] }> = {};
  for (const target of to) {
    const found = context.associations.of(type, record, target);
    // HubSpot leaves out association types with no associations.
    if (found.length > 0) associations[target] = { results: v3Entries(type, target, found) };
  }
  return Object.keys(associations).length > 0 ? { ...object, associations } : object;
}

/** The next-page link: the request's own URL with `after` replaced. */
function nextLink(req: Request, after: string): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  url.searchParams.set('after', after);
  return url.toString();
}

/** The existing properties a `propertiesWithHistory` names (unknown ones are ignored, as on `properties`). */
function historyNames(type: ObjectType, schema: Schema, raw: unknown): string[] {
  const requested = propertyList(raw);
  if (requested === undefined) return [];
  return requested.filter((name) => schema.properties.has(name) || (alwaysReturned(type) as string[]).includes(name));
}

/** The public object, with `propertiesWithHistory` when history was asked for. */
function publicObject(
  type: ObjectType,
  record: CrmRecord,
  names: readonly string[],
  withHistory: readonly string[],
): PublicObject {
  const object = toPublicObject(type, record, names);
  return withHistory.length === 0 ? object : { ...object, propertiesWithHistory: historyOf(type, record, withHistory) };
}

function findRecord(context: SandboxContext, type: ObjectType, id: string): CrmRecord | undefined {
  return context.portal.objects[type].records.get(id);
}

function objectNotFound(): Error {
  return notFound('Object not found.  objectId are usually numeric.');
}

function list(context: SandboxContext, req: Request, res: Response): void {
  const type = resolveType(param(req, 'objectType'));
  const limit = queryInteger(req.query['limit'], 'limit', LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT);
  const rawAfter = req.query['after'];
  if (rawAfter !== undefined && (typeof rawAfter !== 'string' || !/^\d+$/.test(rawAfter))) {
    throw validationError(`Invalid after: ${shown(rawAfter)}`);
  }
  if (wantsArchived(req.query['archived'])) {
    res.json({ results: [] }); // the sandbox never archives records
    return;
  }
  const schema = context.portal.schema[type];
  const names = responseProperties(type, schema, propertyList(req.query['properties']));
  const to = associationTypes(type, req.query['associations']);
  const withHistory = historyNames(type, schema, req.query['propertiesWithHistory']);
  if (withHistory.length > 0) checkHistoryCount(limit);
  const page = listPage(context.portal.objects[type], limit, rawAfter === undefined ? undefined : Number(rawAfter));
  const results = page.records.map((record) =>
    withAssociations(context, type, record, publicObject(type, record, names, withHistory), to),
  );
  res.json({
    results,
    ...(page.next === undefined ? {} : { paging: { next: { after: page.next, link: nextLink(req, page.next) } } }),
  });
}

function getOne(context: SandboxContext, req: Request, res: Response): void {
  const type = resolveType(param(req, 'objectType'));
  const record = lookup(context, type, param(req, 'objectId'), req.query['idProperty']);
  if (record === undefined || wantsArchived(req.query['archived'])) throw objectNotFound();
  const schema = context.portal.schema[type];
  const names = responseProperties(type, schema, propertyList(req.query['properties']));
  const to = associationTypes(type, req.query['associations']);
  const withHistory = historyNames(type, schema, req.query['propertiesWithHistory']);
  res.json(withAssociations(context, type, record, publicObject(type, record, names, withHistory), to));
}

/** A record by id, or by a unique property (`idProperty`). */
function lookup(context: SandboxContext, type: ObjectType, id: string, idProperty: unknown): CrmRecord | undefined {
  return finder(context, type, idProperty)(id);
}

/**
 * How a request names records: by id, or by the value of a unique property (`idProperty`);
 * non-unique properties are refused as HubSpot does. The index is built once per request.
 */
function finder(context: SandboxContext, type: ObjectType, idProperty: unknown): (id: string) => CrmRecord | undefined {
  if (idProperty === undefined || idProperty === '' || idProperty === 'hs_object_id') {
    return (id) => findRecord(context, type, id);
  }
  const name = typeof idProperty === 'string' ? idProperty : '';
  const definition = context.portal.schema[type].properties.get(name);
  const byEmail = type === 'contacts' && name === 'email';
  if (definition?.hasUniqueValue !== true && !byEmail) {
    throw validationError(`Unable to perform update/upsert by non-unique ${type} property ${name}`);
  }
  const index = new Map<string, CrmRecord>();
  for (const record of context.portal.objects[type].records.values()) {
    const value = record.properties[name];
    if (value !== undefined && value !== '') index.set(byEmail ? value.toLowerCase() : value, record);
  }
  return (id) => index.get(byEmail ? id.toLowerCase() : id);
}

/** The `idProperty` a batch names its records by (the first input's that sets one). */
function batchIdProperty(inputs: readonly Record<string, unknown>[]): unknown {
  return inputs.find((input) => input['idProperty'] !== undefined)?.['idProperty'];
}

/**
 * The 400 for refused property values, as HubSpot sends it: `{status, message, correlationId,
 * category}` with the details as JSON inside `message` and no structured `errors[]` (fidelity
 * row 4). The whole batch is refused; nothing says which input the entries belong to.
 */
function problemsError(context: SandboxContext, problems: readonly PropertyProblem[]): Error {
  return validationError(propertyProblemsMessage(problems, context.portal.portalId));
}

function updateOne(context: SandboxContext, req: Request, res: Response): void {
  const type = resolveType(param(req, 'objectType'));
  const schema = context.portal.schema[type];
  const body: unknown = req.body;
  if (!isRecord(body)) throw validationError('Invalid input JSON: expected an object with "properties".');
  const checked = checkWrite(schema, body['properties']);
  if (checked.problems.length > 0) throw problemsError(context, checked.problems);
  const record = lookup(context, type, param(req, 'objectId'), req.query['idProperty']);
  if (record === undefined) throw objectNotFound();
  applyWrite(type, schema, record, checked.values, context.now());
  noteHistory(record, checked.values, context.now(), INTEGRATION_SOURCE);
  context.portal.objects[type].version++;
  res.json(toPublicObject(type, record, writtenProperties(type, schema, checked.values)));
}

function writtenProperties(type: ObjectType, schema: Schema, values: Readonly<Record<string, string>>): string[] {
  return responseProperties(type, schema, Object.keys(values));
}

function search(context: SandboxContext, req: Request, res: Response): void {
  const type = resolveType(param(req, 'objectType'));
  const schema = context.portal.schema[type];
  const query = parseSearch(type, schema, req.body, context.searchCap);
  const matches = context.search.matches(type, schema, context.portal.objects[type], query);
  const names = responseProperties(type, schema, query.properties);
  const end = Math.min(query.offset + query.limit, context.searchCap);
  const results = matches.slice(query.offset, end).map((record) => toPublicObject(type, record, names));
  const next = query.offset + query.limit;
  res.json({
    total: matches.length,
    results,
    // The next offset is given even at the cap; following it is the 400 HubSpot answers.
    ...(next < matches.length && query.limit > 0 ? { paging: { next: { after: String(next) } } } : {}),
  });
}

/** `inputs` of a batch body, checked for shape and size. */
function batchInputs(body: unknown, max: number): Record<string, unknown>[] {
  if (!isRecord(body) || !Array.isArray(body['inputs']))
    throw validationError('Invalid input JSON: "inputs" is required.');
  const inputs = body['inputs'] as unknown[];
  if (inputs.length > max) {
    throw validationError(`Batch input size exceeds the limit: ${inputs.length} inputs (at most ${max}).`);
  }
  return inputs.map((input) => {
    if (!isRecord(input) || (typeof input['id'] !== 'string' && typeof input['id'] !== 'number')) {
      throw validationError('Invalid input JSON: every input needs an "id".');
    }
    return input;
  });
}

function inputId(input: Record<string, unknown>): string {
  const id = input['id'];
  return typeof id === 'number' ? String(id) : shown(id);
}

function batchTimes(startedAt: string, context: SandboxContext): { startedAt: string; completedAt: string } {
  return { startedAt, completedAt: new Date(context.now()).toISOString() };
}

function batchRead(context: SandboxContext, req: Request, res: Response): void {
  const startedAt = new Date(context.now()).toISOString();
  const type = resolveType(param(req, 'objectType'));
  const inputs = batchInputs(req.body, BATCH_MAX);
  const body = req.body as Record<string, unknown>;
  const find = finder(context, type, body['idProperty']);
  const names = responseProperties(type, context.portal.schema[type], propertyList(body['properties']));
  const withHistory = historyNames(type, context.portal.schema[type], body['propertiesWithHistory']);
  if (withHistory.length > 0) checkHistoryCount(inputs.length);
  const archived = wantsArchived(req.query['archived']);
  const seen = new Set<string>();
  const results: PublicObject[] = [];
  const missing: string[] = [];
  for (const input of inputs) {
    const id = inputId(input);
    if (seen.has(id)) continue;
    seen.add(id);
    const record = archived ? undefined : find(id);
    if (record === undefined) missing.push(id);
    else results.push(publicObject(type, record, names, withHistory));
  }
  const times = batchTimes(startedAt, context);
  if (missing.length === 0) {
    res.status(200).json({ status: 'COMPLETE', results, ...times });
    return;
  }
  res.status(207).json({
    status: 'COMPLETE',
    results,
    numErrors: 1,
    errors: [
      {
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `Could not get some ${OBJECT_LABEL[type]} objects, they may be deleted or not exist. Check that ids are valid.`,
        context: { ids: missing },
        errors: [],
        links: {},
      },
    ],
    ...times,
  });
}

function batchUpdate(context: SandboxContext, req: Request, res: Response): void {
  const startedAt = new Date(context.now()).toISOString();
  const type = resolveType(param(req, 'objectType'));
  const schema = context.portal.schema[type];
  const inputs = batchInputs(req.body, BATCH_MAX);
  const ids = inputs.map(inputId);
  const duplicates = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (duplicates.length > 0) {
    throw validationError(`Duplicate IDs found in batch input: [${duplicates.join(', ')}]. IDs must be unique`, {
      context: { ids: duplicates },
    });
  }
  const find = finder(context, type, batchIdProperty(inputs));
  const checked = inputs.map((input) => checkWrite(schema, input['properties']));
  const problems = checked.flatMap((c) => c.problems);
  if (problems.length > 0) throw problemsError(context, problems);
  const records = ids.map(find);
  const missing = ids.filter((_, i) => records[i] === undefined);
  if (missing.length > 0) {
    throw notFound(
      `Could not find ${OBJECT_LABEL[type]} objects with ids: [${missing.join(', ')}]. Nothing was updated.`,
      {
        context: { ids: missing },
      },
    );
  }
  const now = context.now();
  const results = records.map((record, i) => {
    const values = checked[i]?.values ?? {};
    if (record === undefined) throw new Error('unreachable: missing records were refused');
    applyWrite(type, schema, record, values, now);
    noteHistory(record, values, now, INTEGRATION_SOURCE);
    return toPublicObject(type, record, writtenProperties(type, schema, values));
  });
  context.portal.objects[type].version++;
  res.status(200).json({ status: 'COMPLETE', results, ...batchTimes(startedAt, context) });
}

export function objectRoutes(context: SandboxContext): Router {
  const router = Router();
  router.get('/crm/v3/objects/:objectType', (req, res) => {
    list(context, req, res);
  });
  router.post('/crm/v3/objects/:objectType/search', (req, res) => {
    search(context, req, res);
  });
  router.post('/crm/v3/objects/:objectType/batch/read', (req, res) => {
    batchRead(context, req, res);
  });
  router.post('/crm/v3/objects/:objectType/batch/update', (req, res) => {
    batchUpdate(context, req, res);
  });
  router.get('/crm/v3/objects/:objectType/:objectId', (req, res) => {
    getOne(context, req, res);
  });
  router.patch('/crm/v3/objects/:objectType/:objectId', (req, res) => {
    updateOne(context, req, res);
  });
  return router;
}
