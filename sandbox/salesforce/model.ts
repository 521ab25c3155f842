/**
 * The fake org's data model: sObject describe metadata, records (deleted ones kept, with their
 * deletion time and `MasterRecordId` for merges), the custom-field and permission-set metadata
 * behind field-level security, and the org-wide API usage counter.
 *
 * Record values are stored as Salesforce returns them in JSON: datetimes as
 * `2026-11-20T10:00:00.000+0000`, dates as `2026-11-20`, numbers, booleans, strings or null.
 */
import { ChangeEventBus } from './change-events.ts';
import { KEY_PREFIX, makeId } from './ids.ts';

export type FieldType =
  | 'id'
  | 'string'
  | 'email'
  | 'url'
  | 'double'
  | 'currency'
  | 'percent'
  | 'int'
  | 'boolean'
  | 'picklist'
  | 'date'
  | 'datetime'
  | 'reference'
  | 'textarea';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  custom: boolean;
  updateable: boolean;
  createable: boolean;
  nillable: boolean;
  length: number;
  precision: number;
  scale: number;
  picklistValues: PicklistValue[];
  restrictedPicklist: boolean;
  referenceTo: string[];
  inlineHelpText: string | null;
  /** False for fields SOQL cannot filter on (field history's OldValue/NewValue); absent: filterable. */
  filterable?: boolean;
}

export interface ObjectDef {
  readonly name: string;
  readonly label: string;
  readonly labelPlural: string;
  readonly keyPrefix: string;
  /** By lower-case name, in describe order. */
  readonly fields: Map<string, FieldDef>;
}

export type Value = string | number | boolean | null;

export interface SfRecord {
  readonly type: string;
  /** Canonical field name → value; always has Id, IsDeleted, CreatedDate, LastModifiedDate, SystemModstamp. */
  readonly values: Record<string, Value>;
  /** When it was deleted (epoch ms), or null. */
  deletedAt: number | null;
}

/** Metadata API component values, as read from (and written back to) SOAP XML. */
export type MdValue = string | MdObject | MdValue[];
export interface MdObject {
  [key: string]: MdValue;
}

export interface FieldAccess {
  readonly read: boolean;
  readonly edit: boolean;
}

const NO_ACCESS: FieldAccess = { read: false, edit: false };
const FULL_ACCESS: FieldAccess = { read: true, edit: true };

/** `2026-11-20T10:00:00.000+0000`, as Salesforce writes datetimes in REST responses. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `2026-11-20`. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:?\d{2})$/;

/** Epoch ms of a Salesforce/ISO datetime (`…Z`, `…+00:00`, `…+0000`, optional millis); NaN if not one. */
export function parseDateTime(text: string): number {
  const m = DATETIME.exec(text);
  if (m === null) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return base + millis - offset;
}

export class Org {
  readonly organizationId: string;
  readonly name: string;
  readonly integrationUserId: string;
  /** By lower-case object name. */
  readonly objects = new Map<string, ObjectDef>();
  /** By canonical object name, then id, in creation order. */
  readonly records = new Map<string, Map<string, SfRecord>>();
  /** `Object.Field__c` custom fields every user can read and edit (the profile's FLS). */
  readonly profileGrants = new Set<string>();
  /** CustomField metadata by full name (`Account.Engagement_Model__c`). */
  readonly customFields = new Map<string, MdObject>();
  /** RecordType metadata by full name (`Account.Enterprise`): per picklist, the values its records may hold. */
  readonly recordTypes = new Map<string, MdObject>();
  /** PermissionSet metadata by full name (its API name). */
  readonly permissionSets = new Map<string, MdObject>();
  /** ListView metadata by full name (`Account.AllAccounts`), with the view's id (list-views.ts). */
  readonly listViews = new Map<string, { readonly id: string; md: MdObject }>();
  /** Page layouts by full name (`Account-Account Layout`), as last saved whole (layouts.ts). */
  readonly layouts = new Map<string, MdObject>();
  /** Compact layouts by full name (`Account.RightTouch`); the system default is not one of them. */
  readonly compactLayouts = new Map<string, MdObject>();
  /** CustomObject settings of the standard objects (`enableHistory`, `compactLayoutAssignment`, …) by object name. */
  readonly objectSettings = new Map<string, MdObject>();
  /** Multiple currencies: the corporate one and each active currency's rate (units per corporate unit). */
  currencies:
    | {
        readonly corporate: string;
        readonly rates: ReadonlyMap<string, number>;
        /** Advanced currency management's dated rates (used for Opportunities), or none. */
        readonly dated: readonly { readonly code: string; readonly start: string; readonly rate: number }[];
      }
    | undefined;
  /** Users without "View Setup and Configuration" (everyone else has it): `/limits` refuses them. */
  readonly withoutViewSetup = new Set<string>();
  /** API requests used in the current 24-hour window (tests may set it). */
  apiUsage = 0;
  /** Bulk API batches used in the current 24-hour window. */
  bulkBatchesUsed = 0;
  /** The start of the delete log (epoch ms); the deleted endpoint reports nothing earlier. */
  deleteLogStart = 0;
  /** Change Data Capture: selected entities, channels, retained events, delivery allocation. */
  readonly changeEvents = new ChangeEventBus();
  readonly #counters = new Map<string, number>();

  constructor(init: { organizationId: string; name: string; integrationUserId: string }) {
    this.organizationId = init.organizationId;
    this.name = init.name;
    this.integrationUserId = init.integrationUserId;
  }

  objectDef(name: string): ObjectDef | undefined {
    return this.objects.get(name.toLowerCase());
  }

  store(type: string): Map<string, SfRecord> {
    let store = this.records.get(type);
    if (store === undefined) {
      store = new Map();
      this.records.set(type, store);
    }
    return store;
  }

  /** The next id for an object (or any key-prefixed thing, e.g. `BulkJob`). */
  newId(type: string): string {
    const prefix = KEY_PREFIX[type] ?? '000';
    const n = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, n);
    return makeId(prefix, n);
  }

  /** Adds a record; fills Id and the system fields not given. */
  insert(type: string, values: Record<string, Value>, now: number, byUserId?: string): SfRecord {
    const id = typeof values['Id'] === 'string' ? values['Id'] : this.newId(type);
    const stamp = formatDateTime(now);
    const user = byUserId ?? this.integrationUserId;
    const record: SfRecord = {
      type,
      values: {
        Id: id,
        IsDeleted: false,
        CreatedDate: stamp,
        CreatedById: user,
        LastModifiedDate: stamp,
        LastModifiedById: user,
        SystemModstamp: stamp,
        ...values,
      },
      deletedAt: null,
    };
    const def = this.objectDef(type);
    if (def !== undefined) {
      for (const field of def.fields.values()) {
        if (!(field.name in record.values)) record.values[field.name] = field.type === 'boolean' ? false : null;
      }
    }
    this.store(type).set(id, record);
    return record;
  }

  get(type: string, id: string): SfRecord | undefined {
    return this.records.get(type)?.get(id);
  }

  /** Bumps LastModifiedDate and SystemModstamp (and LastModifiedById). */
  touch(record: SfRecord, now: number, byUserId?: string): void {
    const stamp = formatDateTime(now);
    record.values['LastModifiedDate'] = stamp;
    record.values['SystemModstamp'] = stamp;
    record.values['LastModifiedById'] = byUserId ?? this.integrationUserId;
  }

  /** Soft-deletes a record (to the recycle bin): IsDeleted, a deletion time, a new SystemModstamp. */
  deleteRecord(type: string, id: string, now: number): SfRecord {
    const record = this.get(type, id);
    if (record === undefined) throw new Error(`no ${type} ${id}`);
    record.values['IsDeleted'] = true;
    record.deletedAt = now;
    this.touch(record, now);
    return record;
  }

  /**
   * Merges `loserIds` into `masterId` (Account, Contact or Lead): losers are deleted with
   * MasterRecordId set, children (Contacts, Opportunities of a merged Account) are reparented, the
   * master is updated.
   */
  mergeRecords(type: string, masterId: string, loserIds: readonly string[], now: number): void {
    const master = this.get(type, masterId);
    if (master === undefined) throw new Error(`no ${type} ${masterId}`);
    for (const loserId of loserIds) {
      const loser = this.deleteRecord(type, loserId, now);
      loser.values['MasterRecordId'] = masterId;
      if (type === 'Account') {
        for (const childType of ['Contact', 'Opportunity']) {
          for (const child of this.store(childType).values()) {
            if (child.values['AccountId'] === loserId) {
              child.values['AccountId'] = masterId;
              this.touch(child, now);
            }
          }
        }
      }
    }
    this.touch(master, now);
  }

  /** Ids of the permission sets assigned to a user. */
  assignedPermissionSets(userId: string): string[] {
    const out: string[] = [];
    for (const row of this.store('PermissionSetAssignment').values()) {
      if (row.deletedAt === null && row.values['AssigneeId'] === userId) {
        const ps = row.values['PermissionSetId'];
        if (typeof ps === 'string') out.push(ps);
      }
    }
    return out;
  }

  /** Field-level security: standard fields are open; custom ones need the profile or a permission set. */
  fieldAccess(userId: string, objectName: string, field: FieldDef): FieldAccess {
    if (!field.custom) return FULL_ACCESS;
    const key = `${objectName}.${field.name}`;
    if (this.profileGrants.has(key)) return FULL_ACCESS;
    let read = false;
    let edit = false;
    for (const psId of this.assignedPermissionSets(userId)) {
      const name = this.get('PermissionSet', psId)?.values['Name'];
      const md = typeof name === 'string' ? this.permissionSets.get(name) : undefined;
      const perms = md?.['fieldPermissions'];
      const list = perms === undefined ? [] : Array.isArray(perms) ? perms : [perms];
      for (const perm of list) {
        if (typeof perm !== 'object' || Array.isArray(perm)) continue;
        if (perm['field'] !== key) continue;
        if (perm['readable'] === 'true' || perm['editable'] === 'true') read = true;
        if (perm['editable'] === 'true') edit = true;
      }
    }
    return read ? { read, edit } : NO_ACCESS;
  }

  /** The fields a user can see on an object (describe order). */
  visibleFields(userId: string, def: ObjectDef): FieldDef[] {
    return [...def.fields.values()].filter((f) => this.fieldAccess(userId, def.name, f).read);
  }
}
