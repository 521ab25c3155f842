/**
 * Field history tracking in the fake org: who changed a field, for Accounts, Contacts and Leads.
 *
 * From Salesforce's object reference (AccountHistory, ContactHistory, LeadHistory — "StandardObject
 * NameHistory"), Help "Field History Tracking" and the Metadata API's CustomObject/CustomField
 * (reference salesforce-api.md §7 "Who changed the tier"):
 * - a row per change of a tracked field: the parent (`AccountId` / `ContactId` / `LeadId` — not
 *   `ParentId`, which is custom objects' history), `Field` (the field's API name), `OldValue`,
 *   `NewValue`, `CreatedById` (who changed it, `CreatedBy.Name` by relationship), `CreatedDate`;
 *   `OldValue`/`NewValue` cannot be filtered in SOQL ("field 'NewValue' can not be filtered in a
 *   query call", INVALID_FIELD);
 * - only for a field with `trackHistory: true` on an object with `enableHistory: true`. A field
 *   asking to be tracked on an object without history is refused ("The entity: Opportunity does
 *   not have history tracking enabled", as deployments report it: salesforcedx-vscode issue #501);
 *   at most 20 tracked fields per object ("exceeded the allowed number of fields to track on a
 *   given entity", forcedotcom/cli issue #1922; Field Audit Trail raises it, not modelled);
 * - `CustomObject` metadata is written whole (upsertMetadata replaces the component; saved by
 *   layouts.ts `saveCustomObject`, the one home of the objects' settings): an object written back
 *   without `enableHistory` has history turned off, and its fields stop being tracked.
 *
 * The fake org's standard objects start with history off and no tracked custom fields. What its
 * API users write creates rows by that user (the integration user, for RightTouch); `editByHand`
 * (tests, demos) is a person's edit in the UI, by another user.
 */
import type { FieldDef, MdObject, ObjectDef, Org, SfRecord, Value } from './model.ts';
import { formatDateTime } from './model.ts';
import { fieldDef, objectDef } from './schema.ts';

/** The history object of each object whose field history the fake org keeps, and its parent field. */
export const HISTORY_OBJECTS: Readonly<Record<string, { readonly object: string; readonly parent: string }>> = {
  Account: { object: 'AccountHistory', parent: 'AccountId' },
  Contact: { object: 'ContactHistory', parent: 'ContactId' },
  Lead: { object: 'LeadHistory', parent: 'LeadId' },
};

export const MAX_TRACKED_FIELDS = 20;

interface ComponentError {
  readonly statusCode: string;
  readonly message: string;
  readonly fields?: string;
}

/** The describe of AccountHistory, ContactHistory and LeadHistory (read-only, not filterable on values). */
export function historyObjectDefs(): ObjectDef[] {
  const readOnly = { updateable: false, createable: false } as const;
  return Object.entries(HISTORY_OBJECTS).map(([parentObject, { object, parent }]) =>
    objectDef(object, `${parentObject} History`, `${parentObject} History`, [
      fieldDef('Id', 'Record ID', 'id'),
      fieldDef('IsDeleted', 'Deleted', 'boolean', readOnly),
      fieldDef(parent, `${parentObject} ID`, 'reference', { ...readOnly, referenceTo: [parentObject] }),
      fieldDef('Field', 'Changed Field', 'picklist', readOnly),
      fieldDef('OldValue', 'Old Value', 'string', { ...readOnly, filterable: false }),
      fieldDef('NewValue', 'New Value', 'string', { ...readOnly, filterable: false }),
      fieldDef('CreatedById', 'Created By ID', 'reference', { ...readOnly, referenceTo: ['User'] }),
      fieldDef('CreatedDate', 'Created Date', 'datetime', { ...readOnly, nillable: false }),
    ]),
  );
}

/** An object's CustomObject metadata: what was saved, else history off (the fake org's start). */
export function customObjectMetadata(org: Org, name: string): MdObject | undefined {
  const def = org.objectDef(name);
  if (def === undefined) return undefined;
  return org.objectSettings.get(def.name) ?? { fullName: def.name, enableHistory: 'false' };
}

function historyEnabled(org: Org, objectName: string): boolean {
  return org.objectSettings.get(objectName)?.['enableHistory'] === 'true';
}

function trackHistoryOf(md: MdObject | undefined): boolean {
  return md?.['trackHistory'] === 'true';
}

/** Whether changes of this field make history rows: tracked, on an object with history on. */
export function isTracked(org: Org, objectName: string, fieldName: string): boolean {
  return (
    HISTORY_OBJECTS[objectName] !== undefined &&
    historyEnabled(org, objectName) &&
    trackHistoryOf(org.customFields.get(`${objectName}.${fieldName}`))
  );
}

/** What refuses a CustomField's `trackHistory: true` (object history off, or 20 fields tracked already). */
export function trackHistoryProblem(
  org: Org,
  objectName: string,
  fieldName: string,
  md: MdObject,
): ComponentError | undefined {
  if (!trackHistoryOf(md)) return undefined;
  if (!historyEnabled(org, objectName)) {
    return {
      statusCode: 'FIELD_INTEGRITY_EXCEPTION',
      message: `The entity: ${objectName} does not have history tracking enabled`,
      fields: 'trackHistory',
    };
  }
  let tracked = 0;
  for (const [name, other] of org.customFields) {
    if (name.startsWith(`${objectName}.`) && name !== `${objectName}.${fieldName}` && trackHistoryOf(other)) tracked++;
  }
  if (tracked >= MAX_TRACKED_FIELDS) {
    return {
      statusCode: 'FIELD_INTEGRITY_EXCEPTION',
      message: 'exceeded the allowed number of fields to track on a given entity',
      fields: 'trackHistory',
    };
  }
  return undefined;
}

/** History rows for the tracked fields whose value `changes` changed (call before applying them). */
export function noteFieldHistory(
  org: Org,
  record: SfRecord,
  changes: Readonly<Record<string, Value>>,
  userId: string,
  now: number,
): void {
  const history = HISTORY_OBJECTS[record.type];
  if (history === undefined) return;
  for (const [field, value] of Object.entries(changes)) {
    const old = record.values[field] ?? null;
    if (old === value || !isTracked(org, record.type, field)) continue;
    org.insert(
      history.object,
      {
        [history.parent]: String(record.values['Id']),
        Field: field,
        OldValue: old === null ? null : String(old),
        NewValue: value === null ? null : String(value),
        CreatedById: userId,
        CreatedDate: formatDateTime(now),
      },
      now,
      userId,
    );
  }
}

/**
 * A user edits one field of a record in Salesforce's UI (tests and demos): the value changes, the
 * record's modification stamps name the user, and a tracked field gets its history row by them.
 */
export function editByHand(
  org: Org,
  type: string,
  id: string,
  edit: { readonly field: string; readonly value: Value; readonly userId: string; readonly at: number },
): void {
  const record = org.get(type, id);
  if (record === undefined || record.deletedAt !== null) throw new Error(`no ${type} ${id} in the fake org`);
  const field: FieldDef | undefined = org.objectDef(type)?.fields.get(edit.field.toLowerCase());
  if (field === undefined) throw new Error(`no field ${type}.${edit.field}`);
  if (org.get('User', edit.userId) === undefined) throw new Error(`no user ${edit.userId}`);
  noteFieldHistory(org, record, { [field.name]: edit.value }, edit.userId, edit.at);
  record.values[field.name] = edit.value;
  org.touch(record, edit.at, edit.userId);
}
