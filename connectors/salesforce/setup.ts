/**
 * `setup` for Salesforce: through the Metadata API, on Account, Contact and Lead, the restricted
 * picklists `Engagement_Model__c` and `Engagement_Model_Override__c` (values = the policy's tiers,
 * labels as in the policy), `Engagement_Model_Reason__c` and `Engagement_Model_Next__c` (long text:
 * the reason, and the next-tier hint sentence of spec §8) and `Engagement_Model_Updated__c` (date/time); then the field-level security without which those fields do not exist for the API or
 * for people: a permission set granting edit (assigned to the integration user) and one granting
 * read (for sales managers and marketers; an admin assigns it). Idempotent: it reads first and
 * changes only what differs; picklist values no longer in the policy are kept (records may hold
 * them); on objects with record types the values are enabled on each record type too. Metadata
 * calls report failures in their results instead of throwing: those become errors. Unless the
 * installation's options turn them off, it then keeps a list view per tier (list-views.ts) and the
 * fields on the page and compact layouts (layouts.ts); what Salesforce refuses there becomes a
 * warning in the report, not an error.
 */
import type { Tier } from '../../src/core/index.ts';
import type { CrmList, SetupOptions, SetupReport } from '../../src/sync/connector.ts';
import type { SalesforceContext } from './context.ts';
import { ensureLayouts } from './layouts.ts';
import { ensureListViews } from './list-views.ts';
import { asArray, chunks, METADATA_CHUNK } from './metadata-calls.ts';
import { enableOnRecordTypes } from './record-types.ts';
import { EDIT_PERMISSION_SET, FIELDS, READ_PERMISSION_SET, TIERED_OBJECTS } from './setup-names.ts';
import { trackTierHistory } from './tier-history.ts';

export { EDIT_PERMISSION_SET, FIELDS, READ_PERMISSION_SET, TIERED_OBJECTS } from './setup-names.ts';

export class SalesforceSetupError extends Error {
  override name = 'SalesforceSetupError';
}

interface PicklistValue {
  fullName: string;
  label: string;
  default: boolean;
}

interface FieldMetadata {
  fullName: string;
  label: string;
  type: string;
  description?: string;
  inlineHelpText?: string;
  length?: number;
  visibleLines?: number;
  valueSet?: { restricted: boolean; valueSetDefinition: { sorted: boolean; value: PicklistValue[] } };
}

interface FieldPermission {
  field: string;
  readable: boolean;
  editable: boolean;
}

interface PermissionSetMetadata {
  fullName: string;
  label: string;
  description: string;
  fieldPermissions: FieldPermission[];
}

interface UpsertResultLike {
  success: boolean;
  fullName: string;
  created?: boolean;
  errors?: { statusCode?: string; message?: string } | { statusCode?: string; message?: string }[];
}

const SALESFORCE_ID = /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/;

/** The ids a small query returns (one page). */
async function queryIds(context: SalesforceContext, query: string): Promise<string[]> {
  const result = await context.call(async () => await context.conn.query<{ Id: string }>(query));
  return result.records.map((record) => record.Id);
}

export function desiredFields(
  object: string,
  tiers: readonly Tier[],
  existing: Map<string, FieldMetadata>,
): FieldMetadata[] {
  const picklist = (name: string, label: string, help: string): FieldMetadata => {
    const values: PicklistValue[] = tiers.map((tier) => ({ fullName: tier.value, label: tier.label, default: false }));
    // Keep values a previous policy had: records may still hold them.
    const current = existing.get(`${object}.${name}`)?.valueSet?.valueSetDefinition.value ?? [];
    for (const value of asArray(current)) {
      if (!values.some((v) => v.fullName === value.fullName)) {
        values.push({ fullName: value.fullName, label: value.label, default: false });
      }
    }
    return {
      fullName: `${object}.${name}`,
      label,
      type: 'Picklist',
      description: 'Managed by RightTouch',
      inlineHelpText: help,
      valueSet: { restricted: true, valueSetDefinition: { sorted: false, value: values } },
    };
  };
  return [
    picklist(
      FIELDS.tier,
      'Engagement Model',
      'How customer success serves this record, set by RightTouch from its policy',
    ),
    picklist(
      FIELDS.override,
      'Engagement Model Override',
      'Set to pin the engagement model by hand; RightTouch then keeps it',
    ),
    {
      fullName: `${object}.${FIELDS.reason}`,
      label: 'Engagement Model Reason',
      type: 'LongTextArea',
      length: 32768,
      visibleLines: 3,
      description: 'Why RightTouch chose the engagement model',
    },
    {
      // Long text like the reason: the sentence names a field and a tier label of any length.
      fullName: `${object}.${FIELDS.next}`,
      label: 'Engagement Model Next',
      type: 'LongTextArea',
      length: 32768,
      visibleLines: 2,
      description: 'What would move the record to the next engagement model up (RightTouch)',
    },
    {
      fullName: `${object}.${FIELDS.updatedAt}`,
      label: 'Engagement Model Updated',
      type: 'DateTime',
      description: 'When RightTouch last wrote the engagement model',
    },
  ];
}

/** Whether a stored field already is what we want (compared on what we set). */
function sameField(want: FieldMetadata, have: FieldMetadata | undefined): boolean {
  if (have === undefined || have.fullName !== want.fullName || have.type !== want.type || have.label !== want.label) {
    return false;
  }
  if (want.valueSet === undefined) return true;
  const wantValues = want.valueSet.valueSetDefinition.value.map((v) => `${v.fullName}\u0000${v.label}`);
  const haveValues = asArray(have.valueSet?.valueSetDefinition.value).map((v) => `${v.fullName}\u0000${v.label}`);
  return String(have.valueSet?.restricted) === 'true' && JSON.stringify(wantValues) === JSON.stringify(haveValues);
}

function check(results: readonly UpsertResultLike[], what: string): void {
  const failures = results.filter((result) => String(result.success) !== 'true');
  if (failures.length === 0) return;
  const lines = failures.map((failure) => {
    const errors = asArray(failure.errors).map((e) => `${e.statusCode ?? 'ERROR'}: ${e.message ?? ''}`);
    return `${failure.fullName || what}: ${errors.join('; ') || 'failed'}`;
  });
  throw new SalesforceSetupError(`Salesforce refused the ${what}:\n  ${lines.join('\n  ')}`);
}

async function readFields(context: SalesforceContext, names: readonly string[]): Promise<Map<string, FieldMetadata>> {
  const found = new Map<string, FieldMetadata>();
  for (const chunk of chunks(names, METADATA_CHUNK)) {
    const read = await context.call(() => context.metadata().read('CustomField', chunk));
    for (const item of asArray(read as unknown as FieldMetadata | FieldMetadata[])) {
      // An unknown name reads back as an empty record, not an error.
      if (typeof item.fullName === 'string' && item.fullName !== '') found.set(item.fullName, item);
    }
  }
  return found;
}

async function upsertFields(context: SalesforceContext, fields: readonly FieldMetadata[]): Promise<UpsertResultLike[]> {
  const results: UpsertResultLike[] = [];
  for (const chunk of chunks(fields, METADATA_CHUNK)) {
    const upserted = await context.call(() => context.metadata().upsert('CustomField', chunk));
    results.push(...asArray(upserted as unknown as UpsertResultLike | UpsertResultLike[]));
  }
  return results;
}

function permissionSet(name: string, label: string, description: string, editable: boolean): PermissionSetMetadata {
  const fieldPermissions: FieldPermission[] = [];
  for (const object of TIERED_OBJECTS) {
    for (const field of Object.values(FIELDS)) {
      fieldPermissions.push({ field: `${object}.${field}`, readable: true, editable });
    }
  }
  return { fullName: name, label, description, fieldPermissions };
}

function samePermissions(want: PermissionSetMetadata, have: PermissionSetMetadata | undefined): boolean {
  if (have === undefined || have.fullName !== want.fullName) return false;
  const granted = new Map(asArray(have.fieldPermissions).map((p) => [p.field, p]));
  return want.fieldPermissions.every((p) => {
    const g = granted.get(p.field);
    return g !== undefined && String(g.readable) === 'true' && String(g.editable) === String(p.editable);
  });
}

async function assign(context: SalesforceContext, permissionSetName: string, userId: string): Promise<boolean> {
  const [setId] = await queryIds(context, `SELECT Id FROM PermissionSet WHERE Name = '${permissionSetName}'`);
  if (setId === undefined)
    throw new SalesforceSetupError(`permission set ${permissionSetName} was not found after it was saved`);
  if (!SALESFORCE_ID.test(setId) || !SALESFORCE_ID.test(userId)) {
    throw new SalesforceSetupError(`unexpected ids from Salesforce: ${setId}, ${userId}`);
  }
  const existing = await queryIds(
    context,
    `SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = '${setId}' AND AssigneeId = '${userId}'`,
  );
  if (existing.length > 0) return false;
  const created = await context.call(() =>
    context.conn.sobject('PermissionSetAssignment').create({ AssigneeId: userId, PermissionSetId: setId }),
  );
  if (!created.success) {
    throw new SalesforceSetupError(
      `could not assign ${permissionSetName} to the integration user: ${JSON.stringify(created.errors)}`,
    );
  }
  return true;
}

export async function setup(
  context: SalesforceContext,
  tiers: readonly Tier[],
  userId: string,
  options: SetupOptions = {},
): Promise<SetupReport> {
  const changes: string[] = [];
  const names = TIERED_OBJECTS.flatMap((object) => Object.values(FIELDS).map((field) => `${object}.${field}`));
  const existing = await readFields(context, names);
  const wanted = TIERED_OBJECTS.flatMap((object) => desiredFields(object, tiers, existing));
  const toSave = wanted.filter((field) => !sameField(field, existing.get(field.fullName)));
  if (toSave.length > 0) {
    const results = await upsertFields(context, toSave);
    check(results, 'fields');
    for (const result of results) {
      changes.push(`${String(result.created) === 'true' ? 'created' : 'updated'} field ${result.fullName}`);
    }
  }
  // Objects with record types: each record type must enable the values too (record-types.ts).
  const picklists = new Map(
    wanted.flatMap((field) =>
      field.valueSet === undefined
        ? []
        : [[field.fullName, field.valueSet.valueSetDefinition.value.map((v) => v.fullName)]],
    ),
  );
  const recordTypes = await enableOnRecordTypes(context, picklists);
  changes.push(...recordTypes.changes);
  if (recordTypes.failures.length > 0) {
    throw new SalesforceSetupError(`Salesforce refused the record types:\n  ${recordTypes.failures.join('\n  ')}`);
  }

  const sets = [
    permissionSet(
      EDIT_PERMISSION_SET,
      'RightTouch Engagement Model (edit)',
      'For the RightTouch integration user: read and write the engagement model fields',
      true,
    ),
    permissionSet(
      READ_PERMISSION_SET,
      'RightTouch Engagement Model (read)',
      'For sales managers and marketers: see the engagement model and its reason',
      false,
    ),
  ];
  const stored = await context.call(() =>
    context.metadata().read(
      'PermissionSet',
      sets.map((s) => s.fullName),
    ),
  );
  const storedByName = new Map(
    asArray(stored as unknown as PermissionSetMetadata | PermissionSetMetadata[])
      .filter((s) => typeof s.fullName === 'string' && s.fullName !== '')
      .map((s) => [s.fullName, s]),
  );
  const setsToSave = sets.filter((set) => !samePermissions(set, storedByName.get(set.fullName)));
  if (setsToSave.length > 0) {
    const results = asArray(
      (await context.call(() => context.metadata().upsert('PermissionSet', setsToSave))) as unknown as
        UpsertResultLike | UpsertResultLike[],
    );
    check(results, 'permission sets');
    for (const result of results) {
      changes.push(`${String(result.created) === 'true' ? 'created' : 'updated'} permission set ${result.fullName}`);
    }
  }
  if (await assign(context, EDIT_PERMISSION_SET, userId)) {
    changes.push(`assigned permission set ${EDIT_PERMISSION_SET} to the integration user`);
  }
  // Field history of the tier, so a hand edit can be told from ours (tier-history.ts).
  const history = await trackTierHistory(context);
  changes.push(...history.changes);
  context.forgetFields();
  // Beyond the fields, unless the installation turned them off (list-views.ts, layouts.ts).
  const warnings: string[] = [...history.warnings];
  let lists: CrmList[] | undefined;
  if (options.lists !== false) {
    const views = await ensureListViews(context, tiers);
    changes.push(...views.changes);
    warnings.push(...views.warnings);
    lists = views.lists;
  }
  if (options.layouts !== false) {
    const layouts = await ensureLayouts(context);
    changes.push(...layouts.changes);
    warnings.push(...layouts.warnings);
  }
  return {
    changes,
    ...(lists === undefined ? {} : { lists }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}
