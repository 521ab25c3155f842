/**
 * Describe metadata of the fake org's objects: the standard fields the connector reads, the
 * seeded custom fields (Support_Plan__c, Prefers_Digital__c, Lead_Score__c) and the system fields
 * every record has.
 */
import { historyObjectDefs } from './field-history.ts';
import { KEY_PREFIX } from './ids.ts';
import { seedLayouts } from './layouts.ts';
import { seedListViews } from './list-views.ts';
import type { FieldDef, FieldType, MdObject, ObjectDef, Org, PicklistValue } from './model.ts';

export const SUPPORT_PLANS = ['Basic', 'Standard', 'Premier'] as const;
export const OPPORTUNITY_STAGES = [
  'Prospecting',
  'Qualification',
  'Proposal/Price Quote',
  'Negotiation/Review',
  'Closed Won',
  'Closed Lost',
] as const;
export const LEAD_STATUSES = [
  'Open - Not Contacted',
  'Working - Contacted',
  'Closed - Converted',
  'Closed - Not Converted',
];

type FieldOptions = Partial<Omit<FieldDef, 'name' | 'label' | 'type' | 'picklistValues'>> & {
  readonly picklist?: readonly string[];
};

const DEFAULT_LENGTH: Partial<Record<FieldType, number>> = {
  id: 18,
  reference: 18,
  string: 255,
  email: 80,
  url: 255,
  picklist: 255,
  textarea: 32768,
};

export function picklistValues(values: readonly string[]): PicklistValue[] {
  return values.map((value) => ({ value, label: value, active: true, defaultValue: false }));
}

export function fieldDef(name: string, label: string, type: FieldType, options: FieldOptions = {}): FieldDef {
  const { picklist, ...rest } = options;
  const system = type === 'id';
  return {
    name,
    label,
    type,
    custom: name.endsWith('__c'),
    updateable: !system,
    createable: !system,
    nillable: type !== 'boolean' && !system,
    length: DEFAULT_LENGTH[type] ?? 0,
    precision: type === 'currency' || type === 'double' ? 18 : 0,
    scale: type === 'currency' ? 2 : 0,
    picklistValues: picklist === undefined ? [] : picklistValues(picklist),
    restrictedPicklist: false,
    referenceTo: [],
    inlineHelpText: null,
    ...rest,
  };
}

const READ_ONLY = { updateable: false, createable: false } as const;

function ref(name: string, label: string, target: string, options: FieldOptions = {}): FieldDef {
  return fieldDef(name, label, 'reference', { referenceTo: [target], ...options });
}

/** Id, IsDeleted and the audit fields, in Salesforce's describe order around the object's own. */
export function withSystemFields(own: FieldDef[], options: { mergeable?: boolean } = {}): FieldDef[] {
  return [
    fieldDef('Id', 'Record ID', 'id'),
    fieldDef('IsDeleted', 'Deleted', 'boolean', READ_ONLY),
    ...(options.mergeable === true ? [ref('MasterRecordId', 'Master Record ID', 'self', READ_ONLY)] : []),
    ...own,
    fieldDef('CreatedDate', 'Created Date', 'datetime', { ...READ_ONLY, nillable: false }),
    ref('CreatedById', 'Created By ID', 'User', READ_ONLY),
    fieldDef('LastModifiedDate', 'Last Modified Date', 'datetime', { ...READ_ONLY, nillable: false }),
    ref('LastModifiedById', 'Last Modified By ID', 'User', READ_ONLY),
    fieldDef('SystemModstamp', 'System Modstamp', 'datetime', { ...READ_ONLY, nillable: false }),
  ];
}

export function objectDef(name: string, label: string, labelPlural: string, fields: FieldDef[]): ObjectDef {
  const map = new Map<string, FieldDef>();
  for (const field of fields) {
    if (field.name === 'MasterRecordId') field.referenceTo = [name];
    map.set(field.name.toLowerCase(), field);
  }
  return { name, label, labelPlural, keyPrefix: KEY_PREFIX[name] ?? '000', fields: map };
}

function seededObjects(): ObjectDef[] {
  const leadScore = (): FieldDef => fieldDef('Lead_Score__c', 'Lead Score', 'double', { precision: 5, scale: 0 });
  const prefersDigital = (): FieldDef =>
    fieldDef('Prefers_Digital__c', 'Prefers Digital', 'boolean', { nillable: false });
  return [
    objectDef('Organization', 'Organization', 'Organizations', [
      ...withSystemFields([
        fieldDef('Name', 'Name', 'string', READ_ONLY),
        fieldDef('OrganizationType', 'Edition', 'string', READ_ONLY),
        fieldDef('IsSandbox', 'Is Sandbox', 'boolean', READ_ONLY),
      ]),
    ]),
    objectDef('User', 'User', 'Users', [
      ...withSystemFields([
        fieldDef('Username', 'Username', 'string'),
        fieldDef('FirstName', 'First Name', 'string'),
        fieldDef('LastName', 'Last Name', 'string'),
        fieldDef('Name', 'Full Name', 'string', READ_ONLY),
        fieldDef('Email', 'Email', 'email'),
        fieldDef('IsActive', 'Active', 'boolean'),
      ]),
    ]),
    objectDef('Account', 'Account', 'Accounts', [
      ...withSystemFields(
        [
          fieldDef('Name', 'Account Name', 'string', { nillable: false }),
          // A URL field, free text as people type it (`https://www.acme.com/about`, `acme.com`):
          // Object Reference, Account: "Website — Type url". Not a domain.
          fieldDef('Website', 'Website', 'url'),
          fieldDef('AnnualRevenue', 'Annual Revenue', 'currency'),
          fieldDef('NumberOfEmployees', 'Employees', 'int', { precision: 8 }),
          ref('OwnerId', 'Owner ID', 'User'),
          fieldDef('Support_Plan__c', 'Support Plan', 'picklist', {
            picklist: SUPPORT_PLANS,
            restrictedPicklist: true,
          }),
          prefersDigital(),
        ],
        { mergeable: true },
      ),
    ]),
    objectDef('Contact', 'Contact', 'Contacts', [
      ...withSystemFields(
        [
          ref('AccountId', 'Account ID', 'Account'),
          fieldDef('LastName', 'Last Name', 'string', { nillable: false }),
          fieldDef('FirstName', 'First Name', 'string'),
          fieldDef('Name', 'Full Name', 'string', READ_ONLY),
          fieldDef('Email', 'Email', 'email'),
          ref('OwnerId', 'Owner ID', 'User'),
          leadScore(),
          prefersDigital(),
        ],
        { mergeable: true },
      ),
    ]),
    objectDef('Lead', 'Lead', 'Leads', [
      ...withSystemFields(
        [
          fieldDef('LastName', 'Last Name', 'string', { nillable: false }),
          fieldDef('FirstName', 'First Name', 'string'),
          fieldDef('Name', 'Full Name', 'string', READ_ONLY),
          fieldDef('Company', 'Company', 'string', { nillable: false }),
          fieldDef('Email', 'Email', 'email'),
          fieldDef('Status', 'Status', 'picklist', { picklist: LEAD_STATUSES, nillable: false }),
          fieldDef('IsConverted', 'Converted', 'boolean', READ_ONLY),
          fieldDef('ConvertedDate', 'Converted Date', 'date', READ_ONLY),
          ref('ConvertedAccountId', 'Converted Account ID', 'Account', READ_ONLY),
          ref('ConvertedContactId', 'Converted Contact ID', 'Contact', READ_ONLY),
          ref('OwnerId', 'Owner ID', 'User'),
          leadScore(),
          prefersDigital(),
        ],
        { mergeable: true },
      ),
    ]),
    objectDef('Opportunity', 'Opportunity', 'Opportunities', [
      ...withSystemFields([
        ref('AccountId', 'Account ID', 'Account'),
        fieldDef('Name', 'Name', 'string', { length: 120, nillable: false }),
        fieldDef('Amount', 'Amount', 'currency'),
        fieldDef('StageName', 'Stage', 'picklist', { picklist: OPPORTUNITY_STAGES, nillable: false }),
        fieldDef('IsClosed', 'Closed', 'boolean', READ_ONLY),
        fieldDef('IsWon', 'Won', 'boolean', READ_ONLY),
        fieldDef('CloseDate', 'Close Date', 'date', { nillable: false }),
        ref('OwnerId', 'Owner ID', 'User'),
      ]),
    ]),
    // Always there; an object has record types when rows name it (record-types.ts).
    objectDef('RecordType', 'Record Type', 'Record Types', [
      ...withSystemFields([
        fieldDef('Name', 'Record Type Name', 'string', { length: 80 }),
        fieldDef('DeveloperName', 'Record Type Name', 'string', { length: 80 }),
        fieldDef('NamespacePrefix', 'Namespace Prefix', 'string', { length: 15 }),
        fieldDef('SobjectType', 'SObject Type Name', 'string', { length: 40 }),
        fieldDef('IsActive', 'Active', 'boolean'),
      ]),
    ]),
    objectDef('PermissionSet', 'Permission Set', 'Permission Sets', [
      ...withSystemFields([
        fieldDef('Name', 'Name', 'string', { length: 80 }),
        fieldDef('Label', 'Label', 'string', { length: 80 }),
        fieldDef('Description', 'Description', 'textarea', { length: 255 }),
        fieldDef('IsOwnedByProfile', 'Is Owned By Profile', 'boolean', READ_ONLY),
        // Change event subscribers need View All Data, or View All on the object (ObjectPermissions).
        fieldDef('PermissionsViewAllData', 'View All Data', 'boolean', READ_ONLY),
      ]),
    ]),
    objectDef('ObjectPermissions', 'Object Permissions', 'Object Permissions', [
      ...withSystemFields([
        ref('ParentId', 'Parent ID', 'PermissionSet', READ_ONLY),
        fieldDef('SobjectType', 'Sobject Type', 'string', { ...READ_ONLY, length: 40 }),
        fieldDef('PermissionsRead', 'Read', 'boolean', READ_ONLY),
        fieldDef('PermissionsViewAllRecords', 'View All', 'boolean', READ_ONLY),
      ]),
    ]),
    objectDef('PermissionSetAssignment', 'Permission Set Assignment', 'Permission Set Assignments', [
      ...withSystemFields([
        ref('AssigneeId', 'Assignee ID', 'User', { updateable: false }),
        ref('PermissionSetId', 'Permission Set ID', 'PermissionSet', { updateable: false }),
      ]),
    ]),
  ];
}

/** The Metadata API form of a seeded custom field (what readMetadata returns for it). */
function customFieldMetadata(objectName: string, field: FieldDef): MdObject {
  const base = { fullName: `${objectName}.${field.name}`, label: field.label };
  if (field.type === 'picklist') {
    return {
      ...base,
      type: 'Picklist',
      valueSet: {
        restricted: String(field.restrictedPicklist),
        valueSetDefinition: {
          sorted: 'false',
          value: field.picklistValues.map((v) => ({ fullName: v.value, default: 'false', label: v.label })),
        },
      },
    };
  }
  if (field.type === 'boolean') return { ...base, type: 'Checkbox', defaultValue: 'false' };
  return { ...base, type: 'Number', precision: String(field.precision), scale: String(field.scale) };
}

/**
 * Installs the objects, profile-level FLS plus metadata for the seeded custom fields, and the
 * standard page layouts, object settings and "All …" list views.
 */
export function seedSchema(org: Org): void {
  for (const def of [...seededObjects(), ...historyObjectDefs()]) {
    org.objects.set(def.name.toLowerCase(), def);
    org.store(def.name);
    for (const field of def.fields.values()) {
      if (!field.custom) continue;
      const fullName = `${def.name}.${field.name}`;
      org.profileGrants.add(fullName);
      org.customFields.set(fullName, customFieldMetadata(def.name, field));
    }
  }
  seedLayouts(org);
  seedListViews(org);
}
