/**
 * Record updates shared by sObject Collections and Bulk API 2.0: validate one record's update into
 * a plan (or a per-record error with Salesforce's status code; a restricted picklist value must
 * also be enabled on the record's record type), then apply plans, bumping
 * LastModifiedDate/SystemModstamp and publishing the change event (change-events.ts).
 */
import { recordError, type RecordError } from './errors.ts';
import { noteFieldHistory } from './field-history.ts';
import { isWellFormedId, to18 } from './ids.ts';
import { enabledForRecordType } from './record-types.ts';
import {
  formatDateTime,
  parseDateTime,
  type FieldDef,
  type ObjectDef,
  type Org,
  type SfRecord,
  type Value,
} from './model.ts';

export interface WriteContext {
  readonly org: Org;
  readonly userId: string;
  readonly now: number;
  /** Ids whose next write fails once with UNABLE_TO_LOCK_ROW (consumed on use). */
  readonly lockFailures: Set<string>;
  /** The request's `Sforce-Call-Options` (it becomes the change event's `changeOrigin` client). */
  readonly callOptions?: string | undefined;
  readonly api?: 'rest' | 'bulk';
}

export type UpdatePlan =
  | { readonly ok: true; readonly id: string; readonly record: SfRecord; readonly changes: Record<string, Value> }
  | { readonly ok: false; readonly id: string | undefined; readonly error: RecordError };

const NUMERIC = new Set(['double', 'currency', 'percent', 'int']);

/** The first field name that doesn't exist on the object for this user (unknown or FLS-hidden). */
export function unknownField(ctx: WriteContext, def: ObjectDef, names: Iterable<string>): string | undefined {
  for (const name of names) {
    const field = def.fields.get(name.toLowerCase());
    if (field === undefined || !ctx.org.fieldAccess(ctx.userId, def.name, field).read) return name;
  }
  return undefined;
}

/** A value converted to the field's stored form, or an error. */
function convert(field: FieldDef, value: unknown): { value: Value } | { error: RecordError } {
  const bad = (): { error: RecordError } => ({
    error: recordError(
      'INVALID_TYPE_ON_FIELD_IN_RECORD',
      `${field.label}: value not of required type: ${String(value)}`,
      [field.name],
    ),
  });
  if (value === null || value === undefined) {
    if (field.type === 'boolean') return { value: false };
    if (!field.nillable) {
      return {
        error: recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${field.name}]`, [field.name]),
      };
    }
    return { value: null };
  }
  if (NUMERIC.has(field.type)) {
    const n =
      typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(n)) return bad();
    return { value: field.type === 'int' ? Math.trunc(n) : n };
  }
  if (field.type === 'boolean') {
    if (typeof value === 'boolean') return { value };
    if (value === 'true' || value === 'false') return { value: value === 'true' };
    return bad();
  }
  if (typeof value !== 'string' && typeof value !== 'number') return bad();
  const text = String(value);
  switch (field.type) {
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(text) ? { value: text } : bad();
    case 'datetime': {
      const ms = parseDateTime(text);
      return Number.isNaN(ms) ? bad() : { value: formatDateTime(ms) };
    }
    case 'reference':
    case 'id':
      if (!isWellFormedId(text)) {
        return {
          error: recordError('MALFORMED_ID', `${field.label}: id value of incorrect type: ${text}`, [field.name]),
        };
      }
      return { value: to18(text) };
    case 'picklist':
      if (field.restrictedPicklist && !field.picklistValues.some((p) => p.active && p.value === text)) {
        return {
          error: recordError(
            'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            `${field.label}: bad value for restricted picklist field: ${text}`,
            [field.name],
          ),
        };
      }
      return { value: text };
    default:
      // Salesforce keeps no empty text: a text field written "" is blank, and reads back as null
      // (as a field never set), e.g. https://docs.speediful.com/load-operations/NULL%20and%20Blank%20Handling
      // ("Salesforce does not have the concept of NULL. A text field can be blank"; SOAP/REST "" blanks it).
      if (text === '') return convert(field, null);
      if (field.length > 0 && text.length > field.length) {
        return {
          error: recordError(
            'STRING_TOO_LONG',
            `${field.label}: data value too large: ${text.slice(0, 40)} (max length=${field.length})`,
            [field.name],
          ),
        };
      }
      return { value: text };
  }
}

/** Validates one record's update (id, existence, lock, FLS, values). Consumes a lock failure. */
export function planUpdate(
  ctx: WriteContext,
  def: ObjectDef,
  rawId: unknown,
  values: Record<string, unknown>,
): UpdatePlan {
  const shownId = typeof rawId === 'string' ? rawId : undefined;
  if (typeof rawId !== 'string' || !isWellFormedId(rawId) || !rawId.startsWith(def.keyPrefix)) {
    return {
      ok: false,
      id: shownId,
      error: recordError('MALFORMED_ID', `${def.label} ID: id value of incorrect type: ${String(rawId)}`, ['Id']),
    };
  }
  const id = to18(rawId);
  const record = ctx.org.get(def.name, id);
  if (record === undefined) {
    return { ok: false, id, error: recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id') };
  }
  if (record.deletedAt !== null) {
    return { ok: false, id, error: recordError('ENTITY_IS_DELETED', 'entity is deleted') };
  }
  if (ctx.lockFailures.delete(id) || ctx.lockFailures.delete(rawId)) {
    return {
      ok: false,
      id,
      error: recordError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record'),
    };
  }
  const changes: Record<string, Value> = {};
  for (const [name, value] of Object.entries(values)) {
    const field = def.fields.get(name.toLowerCase());
    if (field === undefined || field.name === 'Id') continue;
    if (!field.updateable || !ctx.org.fieldAccess(ctx.userId, def.name, field).edit) {
      return {
        ok: false,
        id,
        error: recordError(
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          [field.name],
        ),
      };
    }
    const converted = convert(field, value);
    if ('error' in converted) return { ok: false, id, error: converted.error };
    const chosen = converted.value;
    if (
      typeof chosen === 'string' &&
      field.restrictedPicklist &&
      !enabledForRecordType(ctx.org, record, field, chosen)
    ) {
      // The field has the value, but the record's record type does not enable it.
      return {
        ok: false,
        id,
        error: recordError(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field.label}: bad value for restricted picklist field: ${chosen}`,
          [field.name],
        ),
      };
    }
    changes[field.name] = converted.value;
  }
  return { ok: true, id, record, changes };
}

/** Writes a plan's changes and bumps the record's modification stamps (and derived fields). */
export function applyPlan(ctx: WriteContext, plan: UpdatePlan & { ok: true }): void {
  const values = plan.record.values;
  noteFieldHistory(ctx.org, plan.record, plan.changes, ctx.userId, ctx.now);
  Object.assign(values, plan.changes);
  if ('FirstName' in plan.changes || 'LastName' in plan.changes) {
    const first = values['FirstName'];
    values['Name'] = [typeof first === 'string' ? first : '', String(values['LastName'] ?? '')].join(' ').trim();
  }
  if (plan.record.type === 'Opportunity' && typeof plan.changes['StageName'] === 'string') {
    const stage = plan.changes['StageName'];
    values['IsClosed'] = stage.startsWith('Closed');
    values['IsWon'] = stage === 'Closed Won';
  }
  ctx.org.touch(plan.record, ctx.now, ctx.userId);
  ctx.org.changeEvents.publish(
    [plan.record],
    'UPDATE',
    { userId: ctx.userId, callOptions: ctx.callOptions, api: ctx.api ?? 'rest' },
    ctx.now,
    [...Object.keys(plan.changes), 'LastModifiedDate'],
  );
}
