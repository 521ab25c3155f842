/**
 * sObject routes: describe (global and per object, FLS-filtered), get deleted / get updated,
 * retrieve one record, create (PermissionSetAssignment), delete, and the sObject Collections
 * update `PATCH /composite/sobjects` (≤ 200 records, per-record results in request order,
 * allOrNone rollback).
 */
import express, { type Request, type Response, type Router } from 'express';
import { recordError, SfHttpError, type RecordError } from './errors.ts';
import { baseUrlOf } from './auth.ts';
import { param, type SalesforceContext, userOf, writeContext } from './context.ts';
import { isWellFormedId, to18 } from './ids.ts';
import { formatDateTime, parseDateTime, type FieldDef, type ObjectDef, type Org } from './model.ts';
import { applyPlan, planUpdate, unknownField, type UpdatePlan } from './writes.ts';

const COLLECTION_LIMIT = 200;
const NOT_FOUND = 'The requested resource does not exist';

const SOAP_TYPES: Record<string, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  boolean: 'xsd:boolean',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  int: 'xsd:int',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
};

function describeField(org: Org, userId: string, def: ObjectDef, field: FieldDef): Record<string, unknown> {
  const access = org.fieldAccess(userId, def.name, field);
  return {
    name: field.name,
    label: field.label,
    type: field.type,
    soapType: SOAP_TYPES[field.type] ?? 'xsd:string',
    length: field.length,
    precision: field.precision,
    scale: field.scale,
    custom: field.custom,
    nillable: field.nillable,
    createable: field.createable && access.edit,
    updateable: field.updateable && access.edit,
    defaultedOnCreate: field.type === 'boolean' || field.name === 'Id',
    calculated: false,
    filterable: field.type !== 'textarea',
    sortable: field.type !== 'textarea',
    groupable: field.type !== 'textarea',
    idLookup: field.name === 'Id',
    nameField: field.name === 'Name',
    unique: false,
    externalId: false,
    picklistValues: field.picklistValues.map((p) => ({ ...p, validFor: null })),
    restrictedPicklist: field.restrictedPicklist,
    referenceTo: field.referenceTo,
    relationshipName: field.type === 'reference' ? field.name.replace(/Id$/, '') : null,
    inlineHelpText: field.inlineHelpText,
    defaultValue: field.type === 'boolean' ? false : null,
  };
}

function describeObjectSummary(def: ObjectDef, base: string, version: string): Record<string, unknown> {
  const urlBase = `/services/data/${version}/sobjects/${def.name}`;
  return {
    name: def.name,
    label: def.label,
    labelPlural: def.labelPlural,
    keyPrefix: def.keyPrefix,
    custom: false,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    searchable: true,
    replicateable: true,
    urls: { sobject: urlBase, describe: `${urlBase}/describe`, rowTemplate: `${urlBase}/{ID}`, base },
  };
}

function objectOr404(org: Org, name: string): ObjectDef {
  const def = org.objectDef(name);
  if (def === undefined) throw new SfHttpError(404, 'NOT_FOUND', NOT_FOUND);
  return def;
}

/** `start`/`end` query parameters (datetimes); 400 when missing or malformed. */
function window(req: Request): { start: number; end: number } {
  const start = typeof req.query['start'] === 'string' ? parseDateTime(req.query['start']) : NaN;
  const end = typeof req.query['end'] === 'string' ? parseDateTime(req.query['end']) : NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) {
    throw new SfHttpError(400, 'INVALID_REPLICATION_DATE', 'start and end must be valid dateTime values');
  }
  if (end <= start)
    throw new SfHttpError(
      400,
      'INVALID_REPLICATION_DATE',
      'startDate must chronologically precede endDate by more than one minute',
    );
  return { start, end };
}

const MINUTE = 60_000;

export function sobjectRoutes(context: SalesforceContext): Router {
  const router = express.Router();
  const { org } = context;

  router.get('/services/data', (_req, res) => {
    res.json(
      ['64.0', '65.0', '66.0', '67.0', '68.0'].map((version) => ({
        label: 'Sandbox',
        url: `/services/data/v${version}`,
        version,
      })),
    );
  });

  router.get('/services/data/:version', (req, res) => {
    const v = param(req, 'version');
    res.json({
      identity: `${baseUrlOf(req)}/id/${org.organizationId}/${userOf(res)}`,
      limits: `/services/data/${v}/limits`,
      query: `/services/data/${v}/query`,
      queryAll: `/services/data/${v}/queryAll`,
      sobjects: `/services/data/${v}/sobjects`,
      composite: `/services/data/${v}/composite`,
      jobs: `/services/data/${v}/jobs`,
    });
  });

  router.get('/services/data/:version/sobjects', (req, res) => {
    const version = param(req, 'version');
    res.json({
      encoding: 'UTF-8',
      maxBatchSize: 200,
      sobjects: [...org.objects.values()].map((def) => describeObjectSummary(def, baseUrlOf(req), version)),
    });
  });

  router.get('/services/data/:version/sobjects/:type/describe', (req, res) => {
    const def = objectOr404(org, param(req, 'type'));
    const userId = userOf(res);
    res.json({
      ...describeObjectSummary(def, baseUrlOf(req), param(req, 'version')),
      fields: org.visibleFields(userId, def).map((f) => describeField(org, userId, def, f)),
      childRelationships: [],
      recordTypeInfos: [],
    });
  });

  router.get('/services/data/:version/sobjects/:type/deleted', (req, res) => {
    const def = objectOr404(org, param(req, 'type'));
    const { start, end } = window(req);
    const now = context.now();
    const earliest = Math.floor(Math.max(org.deleteLogStart, now - 15 * 86_400_000) / MINUTE) * MINUTE;
    const latest = Math.floor(Math.min(end, now) / MINUTE) * MINUTE;
    const deletedRecords = [...org.store(def.name).values()]
      .filter((r) => r.deletedAt !== null && r.deletedAt >= Math.max(start, earliest) && r.deletedAt <= latest)
      .sort((a, b) => (a.deletedAt ?? 0) - (b.deletedAt ?? 0))
      .map((r) => ({ id: r.values['Id'], deletedDate: formatDateTime(r.deletedAt ?? 0) }));
    res.json({
      deletedRecords,
      earliestDateAvailable: formatDateTime(earliest),
      latestDateCovered: formatDateTime(latest),
    });
  });

  router.get('/services/data/:version/sobjects/:type/updated', (req, res) => {
    const def = objectOr404(org, param(req, 'type'));
    const { start, end } = window(req);
    const latest = Math.floor(Math.min(end, context.now()) / MINUTE) * MINUTE;
    const ids = [...org.store(def.name).values()]
      .filter((r) => {
        const stamp = parseDateTime(String(r.values['SystemModstamp']));
        return r.deletedAt === null && stamp >= start && stamp <= latest;
      })
      .map((r) => r.values['Id']);
    res.json({ ids, latestDateCovered: formatDateTime(latest) });
  });

  router.get('/services/data/:version/sobjects/:type/:id', (req, res) => {
    const def = objectOr404(org, param(req, 'type'));
    const id = param(req, 'id');
    const record = isWellFormedId(id) ? org.get(def.name, to18(id)) : undefined;
    if (record === undefined || record.deletedAt !== null) throw new SfHttpError(404, 'NOT_FOUND', NOT_FOUND);
    const userId = userOf(res);
    const wanted = typeof req.query['fields'] === 'string' ? req.query['fields'].split(',') : undefined;
    const missing = wanted === undefined ? undefined : unknownField(writeContext(context, userId), def, wanted);
    if (missing !== undefined) {
      throw new SfHttpError(400, 'INVALID_FIELD', `No such column '${missing}' on sobject of type ${def.name}`);
    }
    const fields =
      wanted === undefined
        ? org.visibleFields(userId, def)
        : wanted.flatMap((name) => def.fields.get(name.trim().toLowerCase()) ?? []);
    const version = param(req, 'version');
    const row: Record<string, unknown> = {
      attributes: {
        type: def.name,
        url: `/services/data/${version}/sobjects/${def.name}/${record.values['Id'] as string}`,
      },
    };
    for (const f of fields) row[f.name] = record.values[f.name] ?? null;
    res.json(row);
  });

  router.post('/services/data/:version/sobjects/:type', (req, res) => {
    const def = objectOr404(org, param(req, 'type'));
    if (def.name !== 'PermissionSetAssignment') {
      throw new SfHttpError(
        400,
        'FEATURE_NOT_ENABLED',
        `sandbox: create is only supported for PermissionSetAssignment, not ${def.name}`,
      );
    }
    createAssignment(context, res, req.body);
  });

  router.delete('/services/data/:version/sobjects/:type/:id', (req, res) => {
    const def = objectOr404(org, param(req, 'type'));
    const id = param(req, 'id');
    const record = isWellFormedId(id) ? org.get(def.name, to18(id)) : undefined;
    if (record === undefined) throw new SfHttpError(404, 'NOT_FOUND', NOT_FOUND);
    if (record.deletedAt !== null) throw new SfHttpError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    org.deleteRecord(def.name, record.values['Id'] as string, context.now());
    res.status(204).end();
  });

  router.patch('/services/data/:version/composite/sobjects', (req, res) => {
    res.json(updateCollection(context, userOf(res), req.body, req.get('sforce-call-options')));
  });

  return router;
}

function createAssignment(context: SalesforceContext, res: Response, body: unknown): void {
  const { org } = context;
  const values = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const assignee = values['AssigneeId'];
  const permissionSet = values['PermissionSetId'];
  const user = typeof assignee === 'string' && isWellFormedId(assignee) ? org.get('User', to18(assignee)) : undefined;
  const ps =
    typeof permissionSet === 'string' && isWellFormedId(permissionSet)
      ? org.get('PermissionSet', to18(permissionSet))
      : undefined;
  if (user === undefined || ps === undefined || ps.deletedAt !== null) {
    const field = user === undefined ? 'AssigneeId' : 'PermissionSetId';
    throw new SfHttpError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [field]);
  }
  const userId = user.values['Id'] as string;
  const psId = ps.values['Id'] as string;
  if (org.assignedPermissionSets(userId).includes(psId)) {
    throw new SfHttpError(
      400,
      'DUPLICATE_VALUE',
      `Duplicate PermissionSetAssignment. Assignee: ${userId}; Permission Set: ${psId}`,
      [],
    );
  }
  const created = org.insert(
    'PermissionSetAssignment',
    { AssigneeId: userId, PermissionSetId: psId },
    context.now(),
    userOf(res),
  );
  res.status(201).json({ id: created.values['Id'], success: true, errors: [] });
}

interface CollectionResult {
  id?: string;
  success: boolean;
  errors: RecordError[];
}

function updateCollection(
  context: SalesforceContext,
  userId: string,
  body: unknown,
  callOptions: string | undefined,
): CollectionResult[] {
  const { org } = context;
  const payload = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const records = payload['records'];
  if (!Array.isArray(records)) {
    throw new SfHttpError(
      400,
      'JSON_PARSER_ERROR',
      'Cannot deserialize instance of SObjectCollectionRequest: records is required',
    );
  }
  if (records.length > COLLECTION_LIMIT) {
    throw new SfHttpError(
      400,
      'EXCEEDED_ID_LIMIT',
      'record limit reached. cannot submit more than 200 records into this call',
    );
  }
  const allOrNone = payload['allOrNone'] === true;
  const ctx = writeContext(context, userId, { callOptions, api: 'rest' });
  const items = records.map((raw: unknown) => {
    const rec = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const { attributes, id, Id, ...fields } = rec;
    const type = (attributes as { type?: unknown } | undefined)?.type;
    if (typeof type !== 'string') {
      throw new SfHttpError(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
    }
    const def = org.objectDef(type);
    if (def === undefined) throw new SfHttpError(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
    const missing = unknownField(ctx, def, Object.keys(fields));
    if (missing !== undefined) {
      throw new SfHttpError(400, 'INVALID_FIELD', `No such column '${missing}' on sobject of type ${def.name}`);
    }
    return { def, id: id ?? Id, fields };
  });
  const plans: UpdatePlan[] = items.map((item) => planUpdate(ctx, item.def, item.id, item.fields));
  const failed = plans.some((p) => !p.ok);
  if (allOrNone && failed) {
    return plans.map((plan) =>
      plan.ok
        ? {
            id: plan.id,
            success: false,
            errors: [
              recordError(
                'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                'Record rolled back because not all records were valid and the request was using AllOrNone header',
              ),
            ],
          }
        : { ...(plan.id === undefined ? {} : { id: plan.id }), success: false, errors: [plan.error] },
    );
  }
  return plans.map((plan) => {
    if (!plan.ok) return { ...(plan.id === undefined ? {} : { id: plan.id }), success: false, errors: [plan.error] };
    applyPlan(ctx, plan);
    context.stats.recordsWritten++;
    return { id: plan.id, success: true, errors: [] };
  });
}
