/**
 * Record types in the fake org. An object with record types has a `RecordTypeId` on its records,
 * and each record type lists, per picklist field, the values records of that type may hold
 * (Metadata API `RecordType.picklistValues[{picklist, values[{fullName, default}]}]`). A value of a
 * restricted picklist that the record's type does not enable is refused like an unknown one:
 * `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST` ("The record type on the target doesn't allow the
 * picklist value", Gearset, "Data deployments and picklist errors").
 *
 * Modelled (assumed, as the Setup UI does): a picklist field created while record types exist
 * enables all its values on every record type; values added to the field later are not enabled
 * on any record type until the RecordType itself is updated (its picklistValues for that picklist
 * are replaced by what is sent).
 */
import type { FieldDef, MdObject, MdValue, Org, SfRecord } from './model.ts';
import { fieldDef } from './schema.ts';

function list(value: MdValue | undefined): MdValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function obj(value: MdValue | undefined): MdObject | undefined {
  return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

/**
 * Adds a record type to an object (with `RecordTypeId` on its records), enabling every value of
 * the object's picklists that exist now. Returns its id.
 */
export function addRecordType(org: Org, object: string, developerName: string, now: number): string {
  const def = org.objectDef(object);
  if (def === undefined) throw new Error(`no object ${object}`);
  if (!def.fields.has('recordtypeid')) {
    def.fields.set(
      'recordtypeid',
      fieldDef('RecordTypeId', 'Record Type ID', 'reference', { referenceTo: ['RecordType'] }),
    );
    for (const record of org.store(def.name).values()) record.values['RecordTypeId'] ??= null;
  }
  const row = org.insert(
    'RecordType',
    {
      Id: org.newId('RecordType'),
      Name: developerName,
      DeveloperName: developerName,
      SobjectType: def.name,
      IsActive: true,
    },
    now,
  );
  const picklistValues: MdObject[] = [...def.fields.values()]
    .filter((field) => field.type === 'picklist' && field.picklistValues.length > 0)
    .map((field) => picklistEntry(field));
  org.recordTypes.set(`${def.name}.${developerName}`, {
    fullName: `${def.name}.${developerName}`,
    label: developerName,
    active: 'true',
    picklistValues,
  });
  return String(row.values['Id']);
}

function picklistEntry(field: FieldDef): MdObject {
  return {
    picklist: field.name,
    values: field.picklistValues.map((v) => ({ fullName: v.value, default: String(v.defaultValue) })),
  };
}

/** A picklist field was just created on an object: every record type of it enables all its values. */
export function enableOnRecordTypes(org: Org, object: string, field: FieldDef): void {
  for (const [fullName, md] of org.recordTypes) {
    if (!fullName.startsWith(`${object}.`)) continue;
    const entries = list(md['picklistValues']).filter((e) => obj(e)?.['picklist'] !== field.name);
    md['picklistValues'] = [...entries, picklistEntry(field)];
  }
}

/** The metadata of the record type a record has, if any. */
function recordTypeOf(org: Org, record: SfRecord): MdObject | undefined {
  const id = record.values['RecordTypeId'];
  if (typeof id !== 'string') return undefined;
  const row = org.get('RecordType', id);
  const name = row?.values['DeveloperName'];
  return typeof name === 'string' ? org.recordTypes.get(`${record.type}.${name}`) : undefined;
}

/** Whether the record's type enables this picklist value (true without a record type, or for fields it does not list). */
export function enabledForRecordType(org: Org, record: SfRecord, field: FieldDef, value: string): boolean {
  const md = recordTypeOf(org, record);
  if (md === undefined) return true;
  const entry = list(md['picklistValues'])
    .map(obj)
    .find((e) => e?.['picklist'] === field.name);
  if (entry === undefined) return true;
  return list(entry['values']).some((v) => obj(v)?.['fullName'] === value);
}

interface SaveOutcome {
  readonly fullName: string;
  readonly created: boolean;
  readonly errors: { statusCode: string; message: string; fields?: string }[];
}

/** Metadata API save of a RecordType: an existing one only (the fake does not create record types this way). */
export function saveRecordType(org: Org, md: MdObject): SaveOutcome {
  const fullName = typeof md['fullName'] === 'string' ? md['fullName'] : '';
  const stored = org.recordTypes.get(fullName);
  if (stored === undefined) {
    return {
      fullName,
      created: false,
      errors: [
        {
          statusCode: 'INVALID_CROSS_REFERENCE_KEY',
          message: `sandbox: only existing record types can be saved; no RecordType named ${fullName} found`,
        },
      ],
    };
  }
  const object = fullName.slice(0, fullName.indexOf('.'));
  const def = org.objectDef(object);
  const sent = list(md['picklistValues']).map(obj);
  for (const entry of sent) {
    const picklist = entry?.['picklist'];
    const field = typeof picklist === 'string' ? def?.fields.get(picklist.toLowerCase()) : undefined;
    if (entry === undefined || field === undefined || field.type !== 'picklist') {
      return {
        fullName,
        created: false,
        errors: [
          {
            statusCode: 'FIELD_INTEGRITY_EXCEPTION',
            message: `Picklist ${typeof picklist === 'string' ? picklist : ''} does not exist`,
            fields: 'picklistValues',
          },
        ],
      };
    }
    for (const value of list(entry['values'])) {
      const name = obj(value)?.['fullName'];
      if (!field.picklistValues.some((p) => p.value === name)) {
        return {
          fullName,
          created: false,
          errors: [
            {
              statusCode: 'FIELD_INTEGRITY_EXCEPTION',
              message: `Picklist value: ${typeof name === 'string' ? name : ''} in picklist: ${field.name} not found`,
              fields: 'picklistValues',
            },
          ],
        };
      }
    }
  }
  const replaced = new Set(sent.map((e) => e?.['picklist']));
  const kept = list(stored['picklistValues']).filter((e) => !replaced.has(obj(e)?.['picklist'] ?? ''));
  const label = typeof md['label'] === 'string' && md['label'] !== '' ? md['label'] : stored['label'];
  org.recordTypes.set(fullName, {
    ...stored,
    ...(label === undefined ? {} : { label }),
    picklistValues: [...kept, ...sent.filter((e): e is MdObject => e !== undefined)],
  });
  return { fullName, created: false, errors: [] };
}
