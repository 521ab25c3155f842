/**
 * List views in the fake org: the Metadata API `ListView` (create/update/upsert replace the whole
 * view, read, delete) and the REST resources jsforce's `sobject(type).listviews()` and
 * `.listview(id).results()` call (`GET /sobjects/{type}/listviews`, `…/listviews/{id}`,
 * `…/listviews/{id}/results`), the results evaluated over the org's records.
 *
 * Modelled from the docs:
 * - Metadata API Developer Guide, ListView: `fullName` (`Account.My_View`), `label`, `filterScope`
 *   (required), `filters[{field, operation, value}]`, `columns`, `sharedTo`. Columns and filter
 *   fields name custom fields relative to the object (`Engagement_Model__c`), standard ones by their
 *   list-view column names, which differ from API names (`ACCOUNT.NAME`, `FULL_NAME`,
 *   `LEAD.COMPANY`): a standard API name (`Name`) is refused here like any unknown column.
 * - Picklist values are referenced by API name, not label (Salesforce, "Keeping picklist
 *   integrations safe using API names", 2017): a filter on a picklist value the field does not
 *   have is refused, and a label that differs from its value matches nothing.
 * - `equals` with comma-separated values matches any of them (Help, "Filter Operators").
 * - `SharedTo` (Metadata API Developer Guide): `allInternalUsers`, groups, roles, territories,
 *   queues — no permission sets; an element it does not have is a SOAP fault. The fake org has no
 *   groups or roles, so only `allInternalUsers` can be saved.
 * - REST "List Views for an Object" / "List View Results" (API 32.0+): the view list
 *   `{done, listviews[{describeUrl, developerName, id, label, resultsUrl, soqlCompatible, url}],
 *   nextRecordsUrl, size}`; results `{columns[…], developerName, done, id, label,
 *   records[{columns[{fieldNameOrPath, value}]}], size}`, values as text, `limit` (default 25, at
 *   most 2,000) and `offset`. Converted leads are not in lead list views.
 * Assumed (Salesforce documents no wording): the error messages, and 40 characters at most for a
 * view's developer name as for its label.
 */
import express, { type Request, type Router } from 'express';
import type { SalesforceContext } from './context.ts';
import { param } from './context.ts';
import { SfHttpError } from './errors.ts';
import {
  integrity,
  MetadataFault,
  type Mode,
  notFound,
  obj,
  objects,
  refused,
  type SaveOutcome,
  text,
  texts,
  validDeveloperName,
} from './md-values.ts';
import { type FieldDef, type MdObject, type ObjectDef, type Org, type SfRecord, type Value } from './model.ts';

/** A view's developer name's length limit (assumed: the ListView reference states none). */
export const LIST_VIEW_NAME_MAX = 40;
/** A view's label (forcedotcom/afv-library, skills/generating-list-view: "must be under 40 characters"). */
const LABEL_MAX = 40;
const SCOPES = new Set(['Everything', 'Mine']);
const OPERATIONS = new Set(['equals', 'notEqual', 'contains', 'startsWith']);
/** SharedTo's elements (jsforce api/metadata/schema.ts, SharedTo). */
const SHARED_TO = new Set([
  'allCustomerPortalUsers',
  'allInternalUsers',
  'allPartnerUsers',
  'channelProgramGroup',
  'channelProgramGroups',
  'group',
  'groups',
  'guestUser',
  'managerSubordinates',
  'managers',
  'portalRole',
  'portalRoleAndSubordinates',
  'queue',
  'role',
  'roleAndSubordinates',
  'roleAndSubordinatesInternal',
  'roles',
  'rolesAndSubordinates',
  'territories',
  'territoriesAndSubordinates',
  'territory',
  'territoryAndSubordinates',
]);

interface Column {
  /** fieldNameOrPath in REST results. */
  readonly path: string;
  readonly label: string;
  readonly field: FieldDef | undefined;
  value(org: Org, record: SfRecord): Value | undefined;
}

/** Standard list-view column names the fake knows (from the standard "All …" views' metadata). */
const STANDARD_COLUMNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Account: {
    'ACCOUNT.NAME': 'Name',
    'ACCOUNT.URL': 'Website',
    SALES: 'AnnualRevenue',
    EMPLOYEES: 'NumberOfEmployees',
    'ACCOUNT.CREATED_DATE': 'CreatedDate',
    'ACCOUNT.LAST_UPDATE': 'LastModifiedDate',
  },
  Contact: {
    FULL_NAME: 'Name',
    'ACCOUNT.NAME': 'Account.Name',
    'CONTACT.EMAIL': 'Email',
    'CONTACT.CREATED_DATE': 'CreatedDate',
    'CONTACT.LAST_UPDATE': 'LastModifiedDate',
  },
  Lead: {
    FULL_NAME: 'Name',
    'LEAD.COMPANY': 'Company',
    'LEAD.EMAIL': 'Email',
    'LEAD.STATUS': 'Status',
    'LEAD.CREATED_DATE': 'CreatedDate',
    'LEAD.LAST_UPDATE': 'LastModifiedDate',
  },
};

/** A column or filter field of an object: a custom field by API name, a standard one by column name. */
function columnOf(org: Org, def: ObjectDef, name: string): Column | undefined {
  if (name.endsWith('__c')) {
    const field = def.fields.get(name.toLowerCase());
    if (field === undefined) return undefined;
    return { path: field.name, label: field.label, field, value: (_org, record) => record.values[field.name] };
  }
  const path = STANDARD_COLUMNS[def.name]?.[name];
  if (path === undefined) return undefined;
  if (path === 'Account.Name') {
    return {
      path,
      label: 'Account Name',
      field: org.objectDef('Account')?.fields.get('name'),
      value: (o, record) => {
        const accountId = record.values['AccountId'];
        return typeof accountId === 'string' ? (o.get('Account', accountId)?.values['Name'] ?? null) : null;
      },
    };
  }
  const field = def.fields.get(path.toLowerCase());
  return { path, label: field?.label ?? path, field, value: (_org, record) => record.values[path] };
}

function splitFullName(fullName: string): { object: string; name: string } {
  const dot = fullName.indexOf('.');
  return dot < 0 ? { object: '', name: fullName } : { object: fullName.slice(0, dot), name: fullName.slice(dot + 1) };
}

function checkSharedTo(md: MdObject): SaveOutcome['errors'][number] | undefined {
  const sharedTo = obj(md['sharedTo']);
  if (sharedTo === undefined) return undefined;
  for (const key of Object.keys(sharedTo)) {
    if (!SHARED_TO.has(key)) {
      throw new MetadataFault(
        'soapenv:Client',
        `Element {http://soap.sforce.com/2006/04/metadata}${key} invalid at this location in type SharedTo`,
      );
    }
    if (key !== 'allInternalUsers') {
      const names = texts(sharedTo[key]);
      return {
        statusCode: 'INVALID_CROSS_REFERENCE_KEY',
        message: `In field: sharedTo - no ${key} named ${names.join(', ')} found`,
        fields: 'sharedTo',
      };
    }
  }
  return undefined;
}

/** Saves a ListView (the whole view: what is not sent is gone). */
export function saveListView(org: Org, md: MdObject, mode: Mode): SaveOutcome {
  const fullName = text(md, 'fullName') ?? '';
  const { object, name } = splitFullName(fullName);
  const def = org.objectDef(object);
  if (def === undefined) return refused(fullName, integrity(`Object ${object} does not exist`, 'fullName'));
  if (!validDeveloperName(name, LIST_VIEW_NAME_MAX)) {
    return refused(
      fullName,
      integrity(
        `The list view name ${name} must begin with a letter, use only letters, digits and single underscores, not end with an underscore, and have at most ${String(LIST_VIEW_NAME_MAX)} characters`,
        'fullName',
      ),
    );
  }
  const existing = org.listViews.get(`${def.name}.${name}`);
  if (mode === 'create' && existing !== undefined) {
    return refused(fullName, {
      statusCode: 'DUPLICATE_DEVELOPER_NAME',
      message: `There is already a list view named ${name} on ${def.name}.`,
    });
  }
  if (mode === 'update' && existing === undefined) return notFound('ListView', fullName);
  const label = text(md, 'label');
  if (label === undefined || label === '') return refused(fullName, integrity('Must specify a label', 'label'));
  if (label.length > LABEL_MAX) {
    return refused(fullName, integrity(`The label must be at most ${String(LABEL_MAX)} characters`, 'label'));
  }
  const scope = text(md, 'filterScope');
  if (scope === undefined || !SCOPES.has(scope)) {
    return refused(fullName, integrity(`Invalid filterScope: ${scope ?? '(none)'}`, 'filterScope'));
  }
  for (const column of texts(md['columns'])) {
    if (columnOf(org, def, column) === undefined) {
      return refused(fullName, integrity(`Invalid column ${column} on ${def.name}`, 'columns'));
    }
  }
  for (const filter of objects(md['filters'])) {
    const field = text(filter, 'field') ?? '';
    const column = columnOf(org, def, field);
    if (column === undefined) return refused(fullName, integrity(`Invalid filter field ${field}`, 'filters'));
    const operation = text(filter, 'operation') ?? '';
    if (!OPERATIONS.has(operation)) {
      return refused(fullName, integrity(`sandbox: filter operation ${operation} is not supported`, 'filters'));
    }
    if (column.field?.type === 'picklist') {
      const known = new Set(column.field.picklistValues.map((v) => v.value));
      const bad = (text(filter, 'value') ?? '').split(',').find((value) => value !== '' && !known.has(value));
      if (bad !== undefined) {
        return refused(fullName, integrity(`Picklist value ${bad} not found in ${column.field.name}`, 'filters'));
      }
    }
  }
  const sharing = checkSharedTo(md);
  if (sharing !== undefined) return refused(fullName, sharing);
  const id = existing?.id ?? org.newId('ListView');
  org.listViews.set(`${def.name}.${name}`, { id, md: { ...md, fullName: `${def.name}.${name}` } });
  return { fullName, created: existing === undefined, errors: [] };
}

export function deleteListView(org: Org, fullName: string): SaveOutcome {
  const { object, name } = splitFullName(fullName);
  const key = `${org.objectDef(object)?.name ?? object}.${name}`;
  if (!org.listViews.delete(key)) return notFound('ListView', fullName);
  return { fullName, created: false, errors: [] };
}

/** The standard "All …" view of each tiered object (as a new org has them). */
export function seedListViews(org: Org): void {
  const seeded: [string, string, string[]][] = [
    ['Account.AllAccounts', 'All Accounts', ['ACCOUNT.NAME', 'ACCOUNT.URL', 'SALES']],
    ['Contact.AllContacts', 'All Contacts', ['FULL_NAME', 'ACCOUNT.NAME', 'CONTACT.EMAIL']],
    ['Lead.AllOpenLeads', 'All Open Leads', ['FULL_NAME', 'LEAD.COMPANY', 'LEAD.EMAIL', 'LEAD.STATUS']],
  ];
  for (const [fullName, label, columns] of seeded) {
    org.listViews.set(fullName, {
      id: org.newId('ListView'),
      md: { fullName, label, filterScope: 'Everything', columns, sharedTo: { allInternalUsers: '' } },
    });
  }
}

function matches(org: Org, def: ObjectDef, filter: MdObject, record: SfRecord): boolean {
  const column = columnOf(org, def, text(filter, 'field') ?? '');
  if (column === undefined) return false;
  const raw = column.value(org, record);
  const have = raw === null || raw === undefined ? '' : String(raw).toLowerCase();
  const values = (text(filter, 'value') ?? '').split(',').map((v) => v.trim().toLowerCase());
  switch (text(filter, 'operation')) {
    case 'equals':
      return values.includes(have);
    case 'notEqual':
      return !values.includes(have);
    case 'contains':
      return values.some((v) => have.includes(v));
    case 'startsWith':
      return values.some((v) => have.startsWith(v));
    default:
      return false;
  }
}

function viewsOf(org: Org, def: ObjectDef): [string, { readonly id: string; md: MdObject }][] {
  return [...org.listViews].filter(([fullName]) => fullName.startsWith(`${def.name}.`));
}

function info(version: string, def: ObjectDef, fullName: string, id: string, md: MdObject): Record<string, unknown> {
  const url = `/services/data/${version}/sobjects/${def.name}/listviews/${id}`;
  return {
    describeUrl: `${url}/describe`,
    developerName: splitFullName(fullName).name,
    id,
    label: text(md, 'label') ?? '',
    resultsUrl: `${url}/results`,
    soqlCompatible: true,
    url,
  };
}

function bounded(req: Request, name: string, fallback: number, max: number): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new SfHttpError(
      400,
      'INVALID_QUERY_PARAMETER_VALUE',
      `${name} must be an integer between 0 and ${String(max)}`,
    );
  }
  return n;
}

export function listViewRoutes(context: SalesforceContext): Router {
  const router = express.Router();
  const { org } = context;
  const objectOf = (req: Request): ObjectDef => {
    const def = org.objectDef(param(req, 'type'));
    if (def === undefined) throw new SfHttpError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return def;
  };
  const viewOf = (req: Request, def: ObjectDef): [string, MdObject] => {
    const id = param(req, 'id');
    const found = viewsOf(org, def).find(([, view]) => view.id === id || view.id.slice(0, 15) === id);
    if (found === undefined) throw new SfHttpError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return [found[0], found[1].md];
  };

  router.get('/services/data/:version/sobjects/:type/listviews', (req, res) => {
    const def = objectOf(req);
    const views = viewsOf(org, def).map(([fullName, view]) =>
      info(param(req, 'version'), def, fullName, view.id, view.md),
    );
    res.json({ done: true, listviews: views, nextRecordsUrl: null, size: views.length });
  });

  router.get('/services/data/:version/sobjects/:type/listviews/:id', (req, res) => {
    const def = objectOf(req);
    const [fullName, md] = viewOf(req, def);
    res.json(info(param(req, 'version'), def, fullName, org.listViews.get(fullName)?.id ?? '', md));
  });

  router.get('/services/data/:version/sobjects/:type/listviews/:id/results', (req, res) => {
    const def = objectOf(req);
    const [fullName, md] = viewOf(req, def);
    const limit = bounded(req, 'limit', 25, 2000);
    const offset = bounded(req, 'offset', 0, 2000);
    const columns = texts(md['columns'])
      .map((name) => columnOf(org, def, name))
      .filter((c): c is Column => c !== undefined);
    const filters = objects(md['filters']);
    const userId = String(res.locals['userId']);
    const rows = [...org.store(def.name).values()].filter(
      (record) =>
        record.deletedAt === null &&
        !(def.name === 'Lead' && record.values['IsConverted'] === true) &&
        (text(md, 'filterScope') !== 'Mine' || record.values['OwnerId'] === userId) &&
        filters.every((filter) => matches(org, def, filter, record)),
    );
    const first = columns[0];
    if (first !== undefined) {
      rows.sort((a, b) => String(first.value(org, a) ?? '').localeCompare(String(first.value(org, b) ?? '')));
    }
    const hidden = ['Id', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'];
    const page = rows.slice(offset, offset + limit);
    const asText = (value: Value | undefined): string | null =>
      value === null || value === undefined ? null : String(value);
    res.json({
      columns: [
        ...columns.map((c) => ({
          ascendingLabel: null,
          descendingLabel: null,
          fieldNameOrPath: c.path,
          hidden: false,
          label: c.label,
          selectListItem: c.path,
          sortDirection: null,
          sortIndex: null,
          sortable: c.field?.type !== 'textarea',
          type: c.field?.type ?? 'string',
        })),
        ...hidden.map((path) => ({
          ascendingLabel: null,
          descendingLabel: null,
          fieldNameOrPath: path,
          hidden: true,
          label: path,
          selectListItem: path,
          sortDirection: null,
          sortIndex: null,
          sortable: true,
          type: path === 'Id' ? 'id' : 'datetime',
        })),
      ],
      developerName: splitFullName(fullName).name,
      done: offset + page.length >= rows.length,
      id: org.listViews.get(fullName)?.id ?? '',
      label: text(md, 'label') ?? '',
      records: page.map((record) => ({
        columns: [
          ...columns.map((c) => ({ fieldNameOrPath: c.path, value: asText(c.value(org, record)) })),
          ...hidden.map((path) => ({ fieldNameOrPath: path, value: asText(record.values[path]) })),
        ],
      })),
      size: rows.length,
    });
  });
  return router;
}
