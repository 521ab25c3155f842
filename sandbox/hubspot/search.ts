/**
 * CRM search (`POST /crm/v3/objects/{type}/search`): request validation, filters (OR between
 * groups, AND within one), the one honoured sort, offset paging and the 10,000-result cap.
 * Sorted matches are cached per query until the object store changes, so paging a big result
 * does not re-sort the store on every page.
 */
import { shown, validationError } from './errors.ts';
import {
  propertyValue,
  type CrmRecord,
  type ObjectStore,
  type ObjectType,
  type PropertyDefinition,
  type Schema,
} from './model.ts';

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_DEFAULT_LIMIT = 10;
export const SEARCH_CAP = 10_000;
const MAX_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 6;
const MAX_FILTERS = 18;

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

/** The text properties `query` looks in. */
const QUERY_PROPERTIES: Readonly<Record<ObjectType, readonly string[]>> = {
  companies: ['name', 'domain'],
  contacts: ['firstname', 'lastname', 'email'],
  deals: ['dealname'],
};

type Kind = 'time' | 'number' | 'exact' | 'text';
type Key = number | string;
type Predicate = (record: CrmRecord) => boolean;

export interface SearchQuery {
  readonly predicate: Predicate;
  readonly sort: { readonly property: string; readonly descending: boolean } | undefined;
  /** Identifies the filters, sort and query (the cache key). */
  readonly key: string;
  /**
   * Set when the whole query is one GTE/GT filter on the ascending sort property (a keyset page):
   * its matches are then a slice of the sorted index, found by binary search.
   */
  readonly from?: { readonly key: Key; readonly inclusive: boolean } | undefined;
  readonly properties: string[] | undefined;
  readonly limit: number;
  readonly offset: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(definition: PropertyDefinition): Kind {
  if (definition.type === 'date' || definition.type === 'datetime') return 'time';
  if (definition.type === 'number') return 'number';
  if (definition.type === 'enumeration') return 'exact';
  return 'text';
}

/** A comparable key for a value of this kind, or undefined when it has none. */
function keyOf(kind: Kind, value: string | undefined): Key | undefined {
  if (value === undefined || value === '') return undefined;
  if (kind === 'time') {
    const ms = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (kind === 'number') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return kind === 'exact' ? value : value.toLowerCase();
}

function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function tokens(value: string): string[] {
  return value
    .toLowerCase()
    .split(/[^a-z0-9*]+/)
    .filter((t) => t !== '');
}

function tokenMatcher(pattern: string): (value: string) => boolean {
  const wanted = pattern.toLowerCase();
  if (!wanted.includes('*')) return (value) => tokens(value).includes(wanted) || value.toLowerCase() === wanted;
  const escaped = wanted.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const regex = new RegExp(`^${escaped}$`);
  return (value) => regex.test(value.toLowerCase()) || tokens(value).some((t) => regex.test(t));
}

interface Accessor {
  readonly kind: Kind;
  readonly get: (record: CrmRecord) => string | undefined;
}

function accessor(type: ObjectType, schema: Schema, propertyName: unknown): Accessor {
  const name = text(propertyName);
  if (name === undefined || name === '') throw validationError('Each filter and sort needs a propertyName.');
  if (/^associations\.(company|companies)$/.test(name) && type !== 'companies') {
    return { kind: 'number', get: (record) => record.companyId ?? undefined };
  }
  const definition = schema.properties.get(name);
  if (definition === undefined || definition.archived) {
    throw validationError(`There was a problem with the request: property ${name} does not exist on ${type}.`, {
      errors: [
        {
          message: `Property "${name}" does not exist`,
          code: 'PROPERTY_DOESNT_EXIST',
          context: { propertyName: [name] },
        },
      ],
    });
  }
  return { kind: kindOf(definition), get: (record) => propertyValue(type, record, name) };
}

function compileFilter(type: ObjectType, schema: Schema, raw: unknown): Predicate {
  if (!isRecord(raw)) throw validationError('Each filter must be an object.');
  const operator = text(raw['operator']) ?? '';
  if (!OPERATORS.has(operator)) throw validationError(`Unsupported filter operator: ${operator || '(none)'}.`);
  const { kind, get } = accessor(type, schema, raw['propertyName']);
  const has = (record: CrmRecord): boolean => {
    const value = get(record);
    return value !== undefined && value !== '';
  };
  if (operator === 'HAS_PROPERTY') return has;
  if (operator === 'NOT_HAS_PROPERTY') return (record) => !has(record);
  if (operator === 'IN' || operator === 'NOT_IN') {
    const values = Array.isArray(raw['values']) ? (raw['values'] as unknown[]) : undefined;
    if (values === undefined) throw validationError(`Operator ${operator} needs "values".`);
    const keys = new Set(values.map((v) => keyOf(kind, text(v))).filter((k) => k !== undefined));
    return operator === 'IN'
      ? (record) => {
          const key = keyOf(kind, get(record));
          return key !== undefined && keys.has(key);
        }
      : (record) => {
          const key = keyOf(kind, get(record));
          return key === undefined || !keys.has(key);
        };
  }
  const rawValue = text(raw['value']);
  if (rawValue === undefined) throw validationError(`Operator ${operator} needs a "value".`);
  if (operator === 'CONTAINS_TOKEN' || operator === 'NOT_CONTAINS_TOKEN') {
    const matches = tokenMatcher(rawValue);
    const contains = (record: CrmRecord): boolean => {
      const value = get(record);
      return value !== undefined && matches(value);
    };
    return operator === 'CONTAINS_TOKEN' ? contains : (record) => !contains(record);
  }
  const wanted = keyOf(kind, rawValue);
  if (wanted === undefined) throw validationError(`Invalid filter value "${rawValue}" for ${operator}.`);
  const high = operator === 'BETWEEN' ? keyOf(kind, text(raw['highValue'])) : undefined;
  if (operator === 'BETWEEN' && high === undefined) throw validationError('Operator BETWEEN needs a "highValue".');
  const test = (c: number, cHigh: number): boolean => {
    switch (operator) {
      case 'EQ':
        return c === 0;
      case 'NEQ':
        return c !== 0;
      case 'LT':
        return c < 0;
      case 'LTE':
        return c <= 0;
      case 'GT':
        return c > 0;
      case 'GTE':
        return c >= 0;
      default: // BETWEEN
        return c >= 0 && cHigh <= 0;
    }
  };
  return (record) => {
    const key = keyOf(kind, get(record));
    if (key === undefined) return operator === 'NEQ';
    return test(compareKeys(key, wanted), high === undefined ? 0 : compareKeys(key, high));
  };
}

function compileGroups(type: ObjectType, schema: Schema, raw: unknown): Predicate {
  if (raw === undefined || raw === null) return () => true;
  if (!Array.isArray(raw)) throw validationError('filterGroups must be a list.');
  if (raw.length > MAX_GROUPS) throw validationError(`Too many filter groups: ${raw.length} (at most ${MAX_GROUPS}).`);
  let total = 0;
  const groups = (raw as unknown[]).map((group) => {
    const filters = isRecord(group) && Array.isArray(group['filters']) ? (group['filters'] as unknown[]) : [];
    if (filters.length > MAX_FILTERS_PER_GROUP) {
      throw validationError(`Too many filters in a group: ${filters.length} (at most ${MAX_FILTERS_PER_GROUP}).`);
    }
    total += filters.length;
    const compiled = filters.map((filter) => compileFilter(type, schema, filter));
    return (record: CrmRecord) => compiled.every((predicate) => predicate(record));
  });
  if (total > MAX_FILTERS) throw validationError(`Too many filters: ${total} (at most ${MAX_FILTERS} in all).`);
  return groups.length === 0 ? () => true : (record) => groups.some((group) => group(record));
}

function parseSort(raw: unknown): { property: string; descending: boolean } | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw validationError('sorts must be a list.');
  const [first] = raw as unknown[]; // HubSpot honours only one sort
  if (first === undefined) return undefined;
  if (typeof first === 'string') {
    return first.startsWith('-')
      ? { property: first.slice(1), descending: true }
      : { property: first, descending: false };
  }
  if (!isRecord(first)) throw validationError('Each sort must be a property name or {propertyName, direction}.');
  const property = text(first['propertyName']) ?? '';
  const direction = text(first['direction']) ?? 'ASCENDING';
  if (direction !== 'ASCENDING' && direction !== 'DESCENDING')
    throw validationError(`Invalid sort direction ${direction}.`);
  return { property, descending: direction === 'DESCENDING' };
}

function queryPredicate(type: ObjectType, raw: unknown): Predicate {
  const query = text(raw)?.trim().toLowerCase() ?? '';
  if (query === '') return () => true;
  if (query.length > 3000) throw validationError('query is longer than 3000 characters.');
  const words = query.split(/\s+/);
  return (record) => {
    const haystack = QUERY_PROPERTIES[type]
      .map((name) => record.properties[name] ?? '')
      .join(' ')
      .toLowerCase();
    return words.every((word) => haystack.includes(word.replace(/\*/g, '')));
  };
}

function integer(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw validationError(`Invalid ${name}: ${shown(raw)}.`);
  return n;
}

export function parseSearch(type: ObjectType, schema: Schema, body: unknown, cap: number): SearchQuery {
  const request = body === undefined || body === null ? {} : body;
  if (!isRecord(request)) throw validationError('The search request must be a JSON object.');
  const limit = integer(request['limit'], 'limit', SEARCH_DEFAULT_LIMIT);
  if (limit > SEARCH_MAX_LIMIT) throw validationError(`limit must be at most ${SEARCH_MAX_LIMIT}, was ${limit}.`);
  const offset = integer(request['after'], 'after', 0);
  if (offset >= cap) {
    throw validationError(
      `Paging past ${cap} results is not supported (after=${offset}). A search returns at most ${cap} results; narrow the filters.`,
    );
  }
  const sort = parseSort(request['sorts']);
  if (sort !== undefined) accessor(type, schema, sort.property);
  const groups = compileGroups(type, schema, request['filterGroups']);
  const query = queryPredicate(type, request['query']);
  const properties = Array.isArray(request['properties'])
    ? (request['properties'] as unknown[]).filter((p): p is string => typeof p === 'string' && p !== '')
    : undefined;
  return {
    predicate: (record) => groups(record) && query(record),
    from: request['query'] === undefined ? keysetBound(type, schema, request['filterGroups'], sort) : undefined,
    sort,
    key: JSON.stringify([type, request['filterGroups'] ?? null, sort ?? null, request['query'] ?? null]),
    properties,
    limit,
    offset,
  };
}

/** The lower bound of a query that is a single GTE/GT filter on its ascending sort property. */
function keysetBound(
  type: ObjectType,
  schema: Schema,
  filterGroups: unknown,
  sort: SearchQuery['sort'],
): SearchQuery['from'] {
  if (sort === undefined || sort.descending || !Array.isArray(filterGroups) || filterGroups.length !== 1) return;
  const [group] = filterGroups as unknown[];
  const filters = isRecord(group) && Array.isArray(group['filters']) ? (group['filters'] as unknown[]) : [];
  const [filter] = filters;
  if (filters.length !== 1 || !isRecord(filter) || filter['propertyName'] !== sort.property) return;
  const operator = filter['operator'];
  if (operator !== 'GTE' && operator !== 'GT') return;
  const key = keyOf(accessor(type, schema, sort.property).kind, text(filter['value']));
  return key === undefined ? undefined : { key, inclusive: operator === 'GTE' };
}

interface CacheEntry {
  readonly version: number;
  readonly matches: CrmRecord[];
  /** For the sorted index: each record's sort key (undefined: no value, sorted last). */
  readonly keys?: readonly (Key | undefined)[];
}

/**
 * Runs searches, keeping the last few sorted results (keyed by query) until the store changes,
 * and every record of a type sorted by each sort asked for (an index, as HubSpot's search has):
 * a query filters that order instead of sorting its matches, so keyset paging — a new filter
 * value on every page — costs one pass over the records, not a sort of them.
 */
export class SearchEngine {
  readonly #cache = new Map<string, CacheEntry>();
  readonly #sorted = new Map<string, CacheEntry>();
  readonly #size: number;

  constructor(size = 16) {
    this.#size = size;
  }

  matches(type: ObjectType, schema: Schema, store: ObjectStore, query: SearchQuery): CrmRecord[] {
    const cached = this.#cache.get(query.key);
    if (cached?.version === store.version) return cached.matches;
    const ordered = this.#ordered(type, schema, store, query.sort);
    const matches =
      query.from === undefined || ordered.keys === undefined
        ? ordered.matches.filter((record) => query.predicate(record))
        : slice(ordered.matches, ordered.keys, query.from);
    remember(this.#cache, query.key, { version: store.version, matches }, this.#size);
    return matches;
  }

  /** Every record of the store in the order of `sort` (default: creation, oldest first). */
  #ordered(type: ObjectType, schema: Schema, store: ObjectStore, sort: SearchQuery['sort']): CacheEntry {
    const key = JSON.stringify([type, sort ?? null]);
    const cached = this.#sorted.get(key);
    if (cached?.version === store.version) return cached;
    const records = [...store.records.values()];
    const byId = (a: CrmRecord, b: CrmRecord): number => Number(a.id) - Number(b.id);
    let ordered: CrmRecord[];
    let keys: (Key | undefined)[] | undefined;
    if (sort === undefined) {
      ordered = records.sort((a, b) => a.createdAt - b.createdAt || byId(a, b));
    } else {
      const { kind, get } = accessor(type, schema, sort.property);
      const direction = sort.descending ? -1 : 1;
      const keyed = records.map((record) => ({ record, key: keyOf(kind, get(record)) }));
      keyed.sort((a, b) => {
        if (a.key === undefined || b.key === undefined) {
          // Records without a value come last either way.
          return a.key === b.key ? byId(a.record, b.record) : a.key === undefined ? 1 : -1;
        }
        return direction * compareKeys(a.key, b.key) || byId(a.record, b.record);
      });
      ordered = keyed.map((entry) => entry.record);
      keys = keyed.map((entry) => entry.key);
    }
    const entry: CacheEntry =
      keys === undefined
        ? { version: store.version, matches: ordered }
        : { version: store.version, matches: ordered, keys };
    remember(this.#sorted, key, entry, this.#size);
    return entry;
  }
}

/** The records of an ascending index from a lower bound up to the first without a value. */
function slice(
  ordered: readonly CrmRecord[],
  keys: readonly (Key | undefined)[],
  from: NonNullable<SearchQuery['from']>,
): CrmRecord[] {
  const before = (key: Key | undefined): boolean => {
    if (key === undefined) return false;
    const c = compareKeys(key, from.key);
    return from.inclusive ? c < 0 : c <= 0;
  };
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (before(keys[mid])) low = mid + 1;
    else high = mid;
  }
  let end = low;
  let top = keys.length;
  while (end < top) {
    const mid = (end + top) >>> 1;
    if (keys[mid] !== undefined) end = mid + 1;
    else top = mid;
  }
  return ordered.slice(low, end);
}

function remember(cache: Map<string, CacheEntry>, key: string, entry: CacheEntry, size: number): void {
  cache.delete(key);
  cache.set(key, entry);
  if (cache.size > size) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}
