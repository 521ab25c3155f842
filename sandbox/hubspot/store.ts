/**
 * Reading and writing records the way the CRM objects API does: which properties a response
 * carries, the public object shape, list paging by id, and property-value validation for writes.
 */
import { shown } from './errors.ts';
import type { HistoryEntry } from './history.ts';
import {
  alwaysReturned,
  DEFAULT_PROPERTIES,
  propertyValue,
  type CrmRecord,
  type ObjectStore,
  type ObjectType,
  type PropertyDefinition,
  type Schema,
} from './model.ts';

export interface PublicObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  /** When `propertiesWithHistory` was asked for (history.ts). */
  propertiesWithHistory?: Record<string, readonly HistoryEntry[]>;
}

/** `properties` from a query string or body: comma-separated and/or repeated. */
export function propertyList(raw: unknown): string[] | undefined {
  const parts = Array.isArray(raw) ? (raw as unknown[]) : raw === undefined ? [] : [raw];
  const names = parts
    .filter((part): part is string => typeof part === 'string')
    .flatMap((part) => part.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length > 0 ? [...new Set(names)] : undefined;
}

/**
 * The properties a response carries: the defaults when none are asked for, else the ones asked
 * for that exist plus hs_object_id, createdate and the last-modified property. Unknown names are
 * ignored, as HubSpot does on reads.
 */
export function responseProperties(
  type: ObjectType,
  schema: Schema,
  requested: readonly string[] | undefined,
): string[] {
  if (requested === undefined || requested.length === 0) return [...DEFAULT_PROPERTIES[type]];
  const names = new Set<string>();
  for (const name of requested) if (isActive(schema.properties.get(name))) names.add(name);
  for (const name of alwaysReturned(type)) names.add(name);
  return [...names];
}

function isActive(definition: PropertyDefinition | undefined): definition is PropertyDefinition {
  return definition !== undefined && !definition.archived;
}

export function toPublicObject(type: ObjectType, record: CrmRecord, names: readonly string[]): PublicObject {
  const properties: Record<string, string | null> = {};
  for (const name of names) properties[name] = propertyValue(type, record, name) ?? null;
  return {
    id: record.id,
    properties,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    archived: false,
  };
}

/** Index of the first id ≥ `after` in the ascending id order. */
function firstAtOrAfter(order: readonly number[], after: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((order[mid] ?? 0) < after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One list page: records in ascending id order from the cursor. The `after` cursor is the id of
 * the next record (opaque to clients, as HubSpot's is).
 */
export function listPage(
  store: ObjectStore,
  limit: number,
  after: number | undefined,
): { records: CrmRecord[]; next: string | undefined } {
  const start = after === undefined ? 0 : firstAtOrAfter(store.order, after);
  const records: CrmRecord[] = [];
  let i = start;
  for (; i < store.order.length && records.length < limit; i++) {
    const record = store.records.get(String(store.order[i]));
    if (record !== undefined) records.push(record);
  }
  const nextId = store.order[i];
  return { records, next: nextId === undefined ? undefined : String(nextId) };
}

/** A property write that HubSpot refuses (one entry of the list in the 400's `message`). */
export interface PropertyProblem {
  readonly name: string;
  readonly code: string;
  readonly message: string;
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function problem(name: string, code: string, message: string): PropertyProblem {
  return { name, code, message };
}

function optionProblem(definition: PropertyDefinition, value: string): PropertyProblem {
  const allowed = definition.options.map((option) => option.value).join(', ');
  return problem(definition.name, 'INVALID_OPTION', `${value} was not one of the allowed options: [${allowed}]`);
}

/** Normalises a date/datetime value (epoch ms or ISO 8601) the way HubSpot stores it. */
function normaliseDate(definition: PropertyDefinition, value: string): string | undefined {
  const ms = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return definition.type === 'date' ? iso.slice(0, 10) : iso;
}

/** The stored form of one value, or the reason HubSpot would refuse it. */
function checkValue(definition: PropertyDefinition, value: string): string | PropertyProblem {
  const { name } = definition;
  if (definition.readOnlyValue) {
    return problem(name, 'READ_ONLY_VALUE', `${name} is a read only property; its value cannot be set.`);
  }
  if (value === '') return value; // clears the property
  switch (definition.type) {
    case 'number':
      return NUMBER.test(value.trim()) ? value.trim() : problem(name, 'INVALID_LONG', `${value} was not a valid long.`);
    case 'date':
    case 'datetime':
      return (
        normaliseDate(definition, value) ?? problem(name, 'INVALID_DATE', `${value} was not a valid date or datetime.`)
      );
    case 'bool':
      return value === 'true' || value === 'false'
        ? value
        : problem(name, 'INVALID_BOOLEAN', `${value} was not a valid boolean.`);
    case 'enumeration': {
      const values = new Set(definition.options.map((option) => option.value));
      const multiple = definition.fieldType === 'checkbox';
      const parts = multiple ? value.split(';').filter((part) => part !== '') : [value];
      const bad = parts.find((part) => !values.has(part)); // case-sensitive, as HubSpot
      return bad === undefined ? value : optionProblem(definition, bad);
    }
    default:
      return value;
  }
}

export interface CheckedWrite {
  readonly values: Record<string, string>;
  readonly problems: PropertyProblem[];
}

/** Validates one input's properties against the schema; values are returned normalised. */
export function checkWrite(schema: Schema, properties: unknown): CheckedWrite {
  const values: Record<string, string> = {};
  const problems: PropertyProblem[] = [];
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    return { values, problems: [problem('properties', 'INVALID_INPUT', 'properties must be an object')] };
  }
  for (const [name, raw] of Object.entries(properties as Record<string, unknown>)) {
    const definition = schema.properties.get(name);
    if (!isActive(definition)) {
      problems.push(problem(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`));
      continue;
    }
    const text = raw === null ? '' : typeof raw === 'string' ? raw : shown(raw);
    const checked = checkValue(definition, text);
    if (typeof checked === 'string') values[name] = checked;
    else problems.push(checked);
  }
  return { values, problems };
}

/**
 * HubSpot's message for refused property values: a JSON list after the prefix, one entry per
 * refused value in input order, naming the property and the error but never the record (the
 * captures in reference/hubspot-api.md §1.3 and fidelity row 4). PROPERTY_DOESNT_EXIST entries
 * carry `localizedErrorMessage` and `portalId`, the others only `isValid, message, error, name`
 * (as captured).
 */
export function propertyProblemsMessage(problems: readonly PropertyProblem[], portalId: number): string {
  const details = problems.map((p) => ({
    isValid: false,
    message: p.message,
    error: p.code,
    name: p.name,
    ...(p.code === 'PROPERTY_DOESNT_EXIST' ? { localizedErrorMessage: p.message, portalId } : {}),
  }));
  return `Property values were not valid: ${JSON.stringify(details)}`;
}

/** Applies checked values to a record and bumps its modified time. */
export function applyWrite(
  type: ObjectType,
  schema: Schema,
  record: CrmRecord,
  values: Readonly<Record<string, string>>,
  now: number,
): void {
  for (const [name, value] of Object.entries(values)) {
    const definition = schema.properties.get(name);
    const current = record.properties[name];
    if (definition?.fieldType === 'checkbox' && value.startsWith(';') && current !== undefined && current !== '') {
      // A leading ";" appends to a multiple-checkbox value (reference §1.2).
      const merged = new Set([...current.split(';'), ...value.split(';')].filter((part) => part !== ''));
      record.properties[name] = [...merged].join(';');
    } else {
      record.properties[name] = definition?.fieldType === 'checkbox' ? value.replace(/^;/, '') : value;
    }
    if (type === 'contacts' && name === 'associatedcompanyid') record.companyId = value === '' ? null : value;
  }
  record.updatedAt = Math.max(now, record.updatedAt);
}
