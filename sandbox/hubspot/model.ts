/**
 * The sandbox portal's data model: object records, property definitions and groups, all in
 * memory. Record properties are plain objects of strings; the properties HubSpot computes
 * (`hs_object_id`, `createdate`, the last-modified time) are derived from the record's fields when
 * read, not stored, so they cannot drift and cost no memory.
 */
import type { ListStore } from './lists.ts';

import type { HistoryEntry } from './history.ts';

export const OBJECT_TYPES = ['companies', 'contacts', 'deals'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** The names (and object type ids) HubSpot accepts in `/crm/v3/objects/{objectType}`. */
const OBJECT_TYPE_ALIASES: Readonly<Record<string, ObjectType>> = {
  companies: 'companies',
  company: 'companies',
  '0-2': 'companies',
  contacts: 'contacts',
  contact: 'contacts',
  '0-1': 'contacts',
  deals: 'deals',
  deal: 'deals',
  '0-3': 'deals',
};

export function objectTypeOf(name: string): ObjectType | undefined {
  return Object.hasOwn(OBJECT_TYPE_ALIASES, name) ? OBJECT_TYPE_ALIASES[name] : undefined;
}

/** Singular upper-case name used in HubSpot's messages ("Could not get some COMPANY objects"). */
export const OBJECT_LABEL: Readonly<Record<ObjectType, string>> = {
  companies: 'COMPANY',
  contacts: 'CONTACT',
  deals: 'DEAL',
};

/** The last-modified property: contacts differ from every other object (reference §1.5). */
export const LAST_MODIFIED: Readonly<Record<ObjectType, string>> = {
  companies: 'hs_lastmodifieddate',
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
};

/** Properties every response carries, whatever was asked for. */
export function alwaysReturned(type: ObjectType): readonly string[] {
  return ['hs_object_id', 'createdate', LAST_MODIFIED[type]];
}

/** What list/search/read return when no `properties` are asked for (reference §1.4). */
export const DEFAULT_PROPERTIES: Readonly<Record<ObjectType, readonly string[]>> = {
  companies: ['name', 'domain', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  deals: [
    'dealname',
    'amount',
    'closedate',
    'pipeline',
    'dealstage',
    'createdate',
    'hs_lastmodifieddate',
    'hs_object_id',
  ],
};

export interface CrmRecord {
  readonly id: string;
  /** Stored property values (never the computed ones). */
  properties: Record<string, string>;
  readonly createdAt: number;
  updatedAt: number;
  /** The primary company (contacts and deals), or null. */
  companyId: string | null;
  /** Who set each property's values, newest first (history.ts); absent until something is written. */
  history?: Record<string, HistoryEntry[]> | undefined;
}

export interface ObjectStore {
  readonly type: ObjectType;
  readonly records: Map<string, CrmRecord>;
  /** Record ids in ascending numeric order: the list endpoint's paging order. */
  readonly order: number[];
  /** Bumped on every write, so cached search results are dropped. */
  version: number;
}

export type PropertyType = 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool' | 'phone_number';

export interface PropertyOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
  description?: string;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  description: string;
  groupName: string;
  options: PropertyOption[];
  displayOrder: number;
  calculated: boolean;
  externalOptions: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  hubspotDefined: boolean;
  formField: boolean;
  /** HubSpot-computed value: writes are refused (READ_ONLY_VALUE). */
  readOnlyValue: boolean;
  archived: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface PropertyGroup {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

export interface Schema {
  readonly properties: Map<string, PropertyDefinition>;
  readonly groups: Map<string, PropertyGroup>;
}

export interface Portal {
  readonly portalId: number;
  readonly timeZone: string;
  readonly companyCurrency: string;
  readonly uiDomain: string;
  readonly dataHostingLocation: string;
  readonly objects: Readonly<Record<ObjectType, ObjectStore>>;
  readonly schema: Readonly<Record<ObjectType, Schema>>;
  /** The portal's lists (Lists API v3, lists.ts). */
  readonly lists: ListStore;
}

export function emptyStore(type: ObjectType): ObjectStore {
  return { type, records: new Map(), order: [], version: 0 };
}

/**
 * Where the sandbox keeps a deal's exchange rate to the portal's home currency (set with its
 * currency in a multi-currency portal; absent: the home currency). Not a listed property.
 */
export const EXCHANGE_RATE = 'hs_exchange_rate';

/**
 * `amount_in_home_currency`, calculated as HubSpot does: the deal's `amount` (in the deal's
 * currency, `deal_currency_code`) times its exchange rate; the amount itself for a home-currency
 * deal; none without an amount (reference hubspot-api.md §9, fidelity row 6).
 */
function amountInHomeCurrency(record: CrmRecord): string | undefined {
  const amount = record.properties['amount'];
  if (amount === undefined || amount.trim() === '' || !Number.isFinite(Number(amount))) return undefined;
  const rate = record.properties[EXCHANGE_RATE];
  if (rate === undefined) return amount;
  return String(Math.round(Number(amount) * Number(rate) * 100) / 100);
}

/** A record's value of any property, computed ones included; undefined when it has none. */
export function propertyValue(type: ObjectType, record: CrmRecord, name: string): string | undefined {
  if (name === 'hs_object_id') return record.id;
  if (type === 'deals' && name === 'amount_in_home_currency') return amountInHomeCurrency(record);
  if (name === 'createdate') return new Date(record.createdAt).toISOString();
  if (name === LAST_MODIFIED[type]) return new Date(record.updatedAt).toISOString();
  return Object.hasOwn(record.properties, name) ? record.properties[name] : undefined;
}
