/**
 * The portal's lists (Lists API v3, reference hubspot-api.md §9a): what a list is, how a filter
 * branch is checked, and which records a list holds.
 *
 * Sources: the `@hubspot/api-client` 14 codegen models under `crm/lists` (`ListCreateRequest`,
 * `PublicObjectList`, `PublicOrFilterBranch`/`PublicAndFilterBranch`, `PublicPropertyFilter`,
 * `PublicEnumerationPropertyOperation`, `PublicStringPropertyOperation`, …) and HubSpot's "List
 * filters" and "List filters definitions" pages (developers.hubspot.com/docs/api-reference/crm-lists-v3/list-filters):
 * - the root branch is `OR`; its children are `AND` branches that hold the filters; filters
 *   directly under the root are refused ("enforced by HubSpot's API");
 * - a `PROPERTY` filter names a property of the list's object and an `operation` whose
 *   `operationType` fits the property's type (`ENUMERATION` for dropdowns, `STRING`/`MULTISTRING`
 *   for text, `ALL_PROPERTY` for known/unknown), with that type's operators; an enumeration's
 *   `values` are option internal values;
 * - `includeObjectsWithNoValueSet` (default false) says whether a record without a value passes.
 * What the sandbox does not model (association, list-membership and time filters, the other
 * operation types) is refused with a 400 that says so, rather than accepted and ignored.
 *
 * A DYNAMIC list's members are computed from its filter when asked (HubSpot processes in the
 * background; the sandbox's lists are always `COMPLETE`). A MANUAL list has no filter.
 */
import { validationError } from './errors.ts';
import { propertyValue, type CrmRecord, type ObjectType, type Portal, type PropertyDefinition } from './model.ts';

export const LIST_OBJECT_TYPE_IDS: Readonly<Record<string, ObjectType>> = {
  '0-1': 'contacts',
  '0-2': 'companies',
  '0-3': 'deals',
};

export const PROCESSING_TYPES = ['DYNAMIC', 'MANUAL', 'SNAPSHOT'] as const;
export type ProcessingType = (typeof PROCESSING_TYPES)[number];

export interface Operation {
  readonly operationType: string;
  readonly operator: string;
  readonly includeObjectsWithNoValueSet: boolean;
  readonly value?: string;
  readonly values?: readonly string[];
}

export interface PropertyFilter {
  readonly filterType: 'PROPERTY';
  readonly property: string;
  readonly operation: Operation;
}

export interface FilterBranch {
  readonly filterBranchType: string;
  readonly filterBranchOperator: string;
  readonly filterBranches: readonly FilterBranch[];
  readonly filters: readonly PropertyFilter[];
}

export interface SandboxList {
  readonly listId: string;
  name: string;
  readonly objectTypeId: string;
  readonly processingType: ProcessingType;
  filterBranch: FilterBranch | undefined;
  listVersion: number;
  readonly createdAt: number;
  updatedAt: number;
  filtersUpdatedAt: number;
  /** When it was deleted (restorable), or undefined. */
  deletedAt: number | undefined;
  /** A SNAPSHOT list's members, fixed when it was created; MANUAL lists' (empty: not modelled). */
  members: string[];
}

export interface ListStore {
  readonly lists: Map<string, SandboxList>;
  nextId: number;
}

export function emptyLists(): ListStore {
  return { lists: new Map(), nextId: 1 };
}

/** Operators per operation type (list-filters-definitions), those the sandbox evaluates. */
const OPERATORS: Readonly<Record<string, readonly string[]>> = {
  ENUMERATION: ['IS_ANY_OF', 'IS_NONE_OF', 'IS_EXACTLY', 'IS_NOT_EXACTLY'],
  STRING: ['IS_EQUAL_TO', 'IS_NOT_EQUAL_TO', 'CONTAINS', 'DOES_NOT_CONTAIN', 'STARTS_WITH', 'ENDS_WITH'],
  MULTISTRING: ['IS_EQUAL_TO', 'IS_NOT_EQUAL_TO'],
  ALL_PROPERTY: ['IS_KNOWN', 'IS_UNKNOWN'],
};

/** The property types each operation type applies to. */
const APPLIES_TO: Readonly<Record<string, readonly string[]>> = {
  ENUMERATION: ['enumeration', 'bool'],
  STRING: ['string', 'phone_number'],
  MULTISTRING: ['string', 'phone_number'],
  ALL_PROPERTY: ['string', 'number', 'date', 'datetime', 'enumeration', 'bool', 'phone_number'],
};

/** Filter and operation types HubSpot has that the sandbox does not evaluate. */
const UNMODELLED_FILTERS = ['ASSOCIATION', 'IN_LIST', 'PAGE_VIEW', 'FORM_SUBMISSION', 'EMAIL_EVENT', 'CONSTANT'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? 'undefined' : JSON.stringify(value);
}

function parseOperation(raw: unknown, where: string, property: PropertyDefinition): Operation {
  if (!isRecord(raw)) throw validationError(`${where}.operation is required.`);
  const operationType = raw['operationType'];
  const operator = raw['operator'];
  if (typeof operationType !== 'string' || !Object.hasOwn(OPERATORS, operationType)) {
    throw validationError(`${where}.operation.operationType ${text(operationType)} is not supported by the sandbox.`);
  }
  const operators = OPERATORS[operationType] ?? [];
  if (typeof operator !== 'string' || !operators.includes(operator)) {
    throw validationError(`Operator ${text(operator)} is not valid for operationType ${operationType} (${where}).`);
  }
  if (!(APPLIES_TO[operationType] ?? []).includes(property.type)) {
    throw validationError(
      `operationType ${operationType} cannot be used with property ${property.name} of type ${property.type} (${where}).`,
    );
  }
  const noValue = raw['includeObjectsWithNoValueSet'];
  if (noValue !== undefined && typeof noValue !== 'boolean') {
    throw validationError(`${where}.operation.includeObjectsWithNoValueSet must be a boolean.`);
  }
  const base = { operationType, operator, includeObjectsWithNoValueSet: noValue ?? false };
  if (operationType === 'ALL_PROPERTY') return base;
  if (operationType === 'STRING') {
    const value = raw['value'];
    if (typeof value !== 'string') throw validationError(`${where}.operation.value must be a string.`);
    return { ...base, value };
  }
  const values = raw['values'];
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
    throw validationError(`${where}.operation.values must be a non-empty array of strings.`);
  }
  if (operationType === 'ENUMERATION') {
    const options = new Set(property.options.map((option) => option.value));
    if (property.type === 'bool') options.add('true').add('false');
    const unknown = values.filter((value) => !options.has(value));
    if (unknown.length > 0) {
      throw validationError(
        `${unknown.map((v) => `'${v}'`).join(', ')} ${unknown.length === 1 ? 'is not a valid option' : 'are not valid options'} for property ${property.name} (${where}).`,
      );
    }
  }
  return { ...base, values: [...values] };
}

function parseFilter(raw: unknown, where: string, properties: ReadonlyMap<string, PropertyDefinition>): PropertyFilter {
  if (!isRecord(raw)) throw validationError(`${where} must be an object.`);
  const filterType = raw['filterType'];
  if (filterType !== 'PROPERTY') {
    const known = typeof filterType === 'string' && UNMODELLED_FILTERS.includes(filterType);
    throw validationError(
      known
        ? `${where}: filterType ${filterType} is not modelled by the sandbox.`
        : `${where}: unknown filterType ${text(filterType)}.`,
    );
  }
  const name = raw['property'];
  if (typeof name !== 'string' || name === '') throw validationError(`${where}.property is required.`);
  const property = properties.get(name);
  if (property === undefined || property.archived) {
    throw validationError(`Property ${name} does not exist (${where}).`);
  }
  return { filterType, property: name, operation: parseOperation(raw['operation'], where, property) };
}

function parseBranch(
  raw: unknown,
  where: string,
  properties: ReadonlyMap<string, PropertyDefinition>,
  depth: number,
): FilterBranch {
  if (!isRecord(raw)) throw validationError(`${where} must be an object.`);
  const type = raw['filterBranchType'];
  const allowed = depth === 0 ? ['OR'] : depth === 1 ? ['AND'] : ['AND', 'OR', 'NOT_ALL', 'NOT_ANY'];
  if (typeof type !== 'string' || !allowed.includes(type)) {
    throw validationError(
      depth === 0
        ? `The root filter branch must be an OR branch, not ${text(type)}.`
        : depth === 1
          ? `The root OR branch may only hold AND branches, not ${text(type)} (${where}).`
          : `${where}: filterBranchType ${text(type)} is not modelled by the sandbox.`,
    );
  }
  const rawFilters = raw['filters'] ?? [];
  const rawBranches = raw['filterBranches'] ?? [];
  if (!Array.isArray(rawFilters)) throw validationError(`${where}.filters must be an array.`);
  if (!Array.isArray(rawBranches)) throw validationError(`${where}.filterBranches must be an array.`);
  if (depth === 0 && rawFilters.length > 0) {
    throw validationError('The root OR filter branch cannot hold filters: put them in an AND branch under it.');
  }
  return {
    filterBranchType: type,
    filterBranchOperator: type,
    filters: rawFilters.map((filter, i) => parseFilter(filter, `${where}.filters[${i}]`, properties)),
    filterBranches: rawBranches.map((branch, i) =>
      parseBranch(branch, `${where}.filterBranches[${i}]`, properties, depth + 1),
    ),
  };
}

/** The request's `filterBranch`, checked against the object's properties; 400 on anything wrong. */
export function parseFilterBranch(raw: unknown, portal: Portal, type: ObjectType): FilterBranch {
  return parseBranch(raw, 'filterBranch', portal.schema[type].properties, 0);
}

function passes(filter: PropertyFilter, type: ObjectType, record: CrmRecord): boolean {
  const raw = propertyValue(type, record, filter.property);
  const value = raw === undefined || raw === '' ? undefined : raw;
  const { operation } = filter;
  if (operation.operationType === 'ALL_PROPERTY') {
    return (value !== undefined) === (operation.operator === 'IS_KNOWN');
  }
  if (value === undefined) return operation.includeObjectsWithNoValueSet;
  const values = operation.values ?? [];
  const lower = value.toLowerCase();
  const target = (operation.value ?? '').toLowerCase();
  switch (operation.operator) {
    case 'IS_ANY_OF':
      return value.split(';').some((v) => values.includes(v));
    case 'IS_NONE_OF':
      return !value.split(';').some((v) => values.includes(v));
    case 'IS_EXACTLY':
      return sameSet(value.split(';'), values);
    case 'IS_NOT_EXACTLY':
      return !sameSet(value.split(';'), values);
    case 'IS_EQUAL_TO':
      return operation.operationType === 'STRING' ? lower === target : values.some((v) => v.toLowerCase() === lower);
    case 'IS_NOT_EQUAL_TO':
      return operation.operationType === 'STRING' ? lower !== target : !values.some((v) => v.toLowerCase() === lower);
    case 'CONTAINS':
      return lower.includes(target);
    case 'DOES_NOT_CONTAIN':
      return !lower.includes(target);
    case 'STARTS_WITH':
      return lower.startsWith(target);
    case 'ENDS_WITH':
      return lower.endsWith(target);
    default:
      return false;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((v) => right.has(v));
}

function matches(branch: FilterBranch, type: ObjectType, record: CrmRecord): boolean {
  const results = [
    ...branch.filters.map((filter) => passes(filter, type, record)),
    ...branch.filterBranches.map((child) => matches(child, type, record)),
  ];
  switch (branch.filterBranchType) {
    case 'OR':
      return results.some(Boolean);
    case 'NOT_ALL':
      return !results.every(Boolean);
    case 'NOT_ANY':
      return !results.some(Boolean);
    default:
      return results.every(Boolean);
  }
}

/** The list's member record ids, in ascending id order. */
export function membersOf(portal: Portal, list: SandboxList): string[] {
  const type = LIST_OBJECT_TYPE_IDS[list.objectTypeId];
  if (type === undefined) return [];
  const store = portal.objects[type];
  if (list.processingType !== 'DYNAMIC' || list.filterBranch === undefined) {
    return list.members.filter((id) => store.records.has(id));
  }
  const branch = list.filterBranch;
  const members: string[] = [];
  for (const id of store.order) {
    const record = store.records.get(String(id));
    if (record !== undefined && matches(branch, type, record)) members.push(record.id);
  }
  return members;
}

/** The live (not deleted) list with this name, compared case-insensitively, across the portal. */
export function listNamed(store: ListStore, name: string): SandboxList | undefined {
  const wanted = name.toLowerCase();
  for (const list of store.lists.values()) {
    if (list.deletedAt === undefined && list.name.toLowerCase() === wanted) return list;
  }
  return undefined;
}
