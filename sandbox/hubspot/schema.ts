/**
 * The property definitions and groups a fresh sandbox portal starts with: the standard HubSpot
 * properties the default mapping (mappings/hubspot.json) reads, plus the ones HubSpot computes.
 */
import type { ObjectType, PropertyDefinition, PropertyGroup, PropertyOption, PropertyType, Schema } from './model.ts';

export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;

export const SUPPORT_PLANS = ['basic', 'standard', 'premier'] as const;

/** The currencies a sandbox portal can hold deals in (the home currency is USD). */
export const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY'] as const;

export const DEAL_STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
] as const;

function options(values: readonly string[]): PropertyOption[] {
  return values.map((value, displayOrder) => ({
    label: value.charAt(0).toUpperCase() + value.slice(1),
    value,
    displayOrder,
    hidden: false,
  }));
}

const BOOLEAN_OPTIONS: PropertyOption[] = [
  { label: 'True', value: 'true', displayOrder: 0, hidden: false },
  { label: 'False', value: 'false', displayOrder: 1, hidden: false },
];

interface Spec {
  readonly name: string;
  readonly label: string;
  readonly type: PropertyType;
  readonly fieldType: string;
  readonly options?: PropertyOption[];
  /** Computed by HubSpot: read-only. */
  readonly computed?: boolean;
  /** Not a HubSpot default property (a portal admin created it). */
  readonly custom?: boolean;
}

function text(name: string, label: string): Spec {
  return { name, label, type: 'string', fieldType: 'text' };
}

function number(name: string, label: string): Spec {
  return { name, label, type: 'number', fieldType: 'number' };
}

function computed(name: string, label: string, type: PropertyType, fieldType: string): Spec {
  return { name, label, type, fieldType, computed: true };
}

const SHARED: readonly Spec[] = [
  computed('hs_object_id', 'Record ID', 'number', 'number'),
  computed('createdate', 'Create Date', 'datetime', 'date'),
];

const SPECS: Readonly<Record<ObjectType, readonly Spec[]>> = {
  companies: [
    ...SHARED,
    computed('hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date'),
    text('name', 'Company name'),
    text('domain', 'Company Domain Name'),
    number('annualrevenue', 'Annual Revenue'),
    number('numberofemployees', 'Number of Employees'),
    {
      ...text('lifecyclestage', 'Lifecycle Stage'),
      type: 'enumeration',
      fieldType: 'radio',
      options: options(LIFECYCLE_STAGES),
    },
    {
      ...text('support_plan', 'Support plan'),
      type: 'enumeration',
      fieldType: 'select',
      options: options(SUPPORT_PLANS),
      custom: true,
    },
    {
      ...text('prefers_digital', 'Prefers digital'),
      type: 'enumeration',
      fieldType: 'booleancheckbox',
      options: BOOLEAN_OPTIONS,
      custom: true,
    },
  ],
  contacts: [
    ...SHARED,
    computed('lastmodifieddate', 'Last Modified Date', 'datetime', 'date'),
    text('email', 'Email'),
    text('firstname', 'First Name'),
    text('lastname', 'Last Name'),
    // Frozen since 2025-08-31 and read-only (scoring.ts); `calculation_score` as real portals list it.
    computed('hubspotscore', 'HubSpot Score', 'number', 'calculation_score'),
    number('associatedcompanyid', 'Primary Associated Company ID'),
    {
      ...text('lifecyclestage', 'Lifecycle Stage'),
      type: 'enumeration',
      fieldType: 'radio',
      options: options(LIFECYCLE_STAGES),
    },
    {
      ...text('prefers_digital', 'Prefers digital'),
      type: 'enumeration',
      fieldType: 'booleancheckbox',
      options: BOOLEAN_OPTIONS,
      custom: true,
    },
  ],
  deals: [
    ...SHARED,
    computed('hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date'),
    text('dealname', 'Deal Name'),
    number('amount', 'Amount'),
    // Multi-currency portals: `amount` is in the deal's currency; HubSpot calculates the amount in
    // the portal's home currency (read-only, like every calculated property).
    {
      ...text('deal_currency_code', 'Currency'),
      type: 'enumeration',
      fieldType: 'select',
      options: CURRENCIES.map((code, displayOrder) => ({ label: code, value: code, displayOrder, hidden: false })),
    },
    computed('amount_in_home_currency', 'Amount in company currency', 'number', 'calculation_equation'),
    { name: 'closedate', label: 'Close Date', type: 'datetime', fieldType: 'date' },
    { ...text('dealstage', 'Deal Stage'), type: 'enumeration', fieldType: 'radio', options: options(DEAL_STAGES) },
    {
      ...text('pipeline', 'Pipeline'),
      type: 'enumeration',
      fieldType: 'select',
      options: [{ label: 'Sales Pipeline', value: 'default', displayOrder: 0, hidden: false }],
    },
    computed('hs_is_closed', 'Is Deal Closed?', 'bool', 'calculation_equation'),
    computed('hs_is_closed_won', 'Is Closed Won', 'bool', 'calculation_equation'),
  ],
};

const GROUPS: Readonly<Record<ObjectType, PropertyGroup>> = {
  companies: { name: 'companyinformation', label: 'Company information', displayOrder: -1, archived: false },
  contacts: { name: 'contactinformation', label: 'Contact information', displayOrder: -1, archived: false },
  deals: { name: 'dealinformation', label: 'Deal information', displayOrder: -1, archived: false },
};

export function seedSchema(type: ObjectType, now: number): Schema {
  const group = GROUPS[type];
  const properties = new Map<string, PropertyDefinition>();
  SPECS[type].forEach((spec, displayOrder) => {
    properties.set(spec.name, {
      name: spec.name,
      label: spec.label,
      type: spec.type,
      fieldType: spec.fieldType,
      description: '',
      groupName: group.name,
      options: spec.options?.map((option) => ({ ...option })) ?? [],
      displayOrder,
      calculated: spec.computed === true,
      externalOptions: false,
      hasUniqueValue: false,
      hidden: false,
      hubspotDefined: spec.custom !== true,
      formField: spec.computed !== true,
      readOnlyValue: spec.computed === true,
      archived: false,
      createdAt: now,
      updatedAt: now,
    });
  });
  return { properties, groups: new Map([[group.name, { ...group }]]) };
}
