/**
 * Page layouts, compact layouts and the object settings that assign them, in the fake org's
 * Metadata API:
 *
 * - `Layout` (`Account-Account Layout`): create/update/upsert save the **whole** layout as sent —
 *   a client that sends only its own section deletes every other one (upsertMetadata/updateMetadata:
 *   "replaces the component"). Every `layoutItems.field` must be a field of the object, at most
 *   once; each item's `behavior` is `Edit`, `Readonly` or `Required`; each section's `style` one of
 *   `TwoColumnsTopToBottom`, `TwoColumnsLeftToRight`, `OneColumn`, `CustomLinks` (Metadata API
 *   Developer Guide, Layout, LayoutSection, UiBehavior). A layout without an item for each field
 *   the object requires (Account `Name`; Contact `LastName`, which the compound `Name` item
 *   carries; Lead `LastName` (or `Name`) and `Company`; Opportunity `Name`, `StageName`,
 *   `CloseDate`) is refused.
 * - `CompactLayout` (`Account.RightTouch`): `label`, up to 10 `fields`, none of them a text area,
 *   long text area or rich text area (Metadata API, CompactLayout). The system default is not a
 *   component: it "can't be edited or deleted" (Help, "Compact Layouts"), so saving
 *   `Account.SYSTEM` is refused.
 * - `CustomObject` of a standard object (`Account`): read gives its settings; a save replaces them,
 *   so a setting left out is off — an object written back without `enableHistory` stops field
 *   history. `compactLayoutAssignment` names the primary compact layout (`SYSTEM` for the system
 *   default) and must exist.
 *
 * The seeded layouts are each object's standard "<Object> Layout" with a few sections, plus a
 * second Account layout, as in orgs whose admins made one per team.
 * Assumed (Salesforce documents no wording): the error messages.
 */
import {
  integrity,
  type Mode,
  notFound,
  objects,
  refused,
  type SaveOutcome,
  text,
  texts,
  validDeveloperName,
} from './md-values.ts';
import type { MdObject, MdValue, Org } from './model.ts';

const BEHAVIORS = new Set(['Edit', 'Readonly', 'Required']);
const STYLES = new Set(['TwoColumnsTopToBottom', 'TwoColumnsLeftToRight', 'OneColumn', 'CustomLinks']);
/** Fields a page layout must carry, each satisfied by any of the names given. */
const REQUIRED_ON_LAYOUT: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Account: [['Name']],
  Contact: [['LastName', 'Name']],
  Lead: [['LastName', 'Name'], ['Company']],
  Opportunity: [['Name'], ['StageName'], ['CloseDate']],
};
const COMPACT_LAYOUT_FIELDS_MAX = 10;
/** CustomObject elements that are child components, not settings (kept out of `objectSettings`). */
const CHILD_COMPONENTS = new Set([
  'fields',
  'listViews',
  'compactLayouts',
  'recordTypes',
  'validationRules',
  'webLinks',
  'businessProcesses',
  'fieldSets',
  'sharingReasons',
  'indexes',
]);

function layoutObject(fullName: string): string {
  const dash = fullName.indexOf('-');
  return dash < 0 ? '' : fullName.slice(0, dash);
}

/** The fields a layout places, in order (repeats kept). */
export function layoutFields(md: MdObject): string[] {
  return objects(md['layoutSections']).flatMap((section) =>
    objects(section['layoutColumns']).flatMap((column) =>
      objects(column['layoutItems']).flatMap((item) => {
        const field = text(item, 'field');
        return field === undefined ? [] : [field];
      }),
    ),
  );
}

export function saveLayout(org: Org, md: MdObject, mode: Mode): SaveOutcome {
  const fullName = text(md, 'fullName') ?? '';
  const object = layoutObject(fullName);
  const def = org.objectDef(object);
  if (def === undefined || fullName.length <= object.length + 1) {
    return refused(fullName, integrity(`Invalid layout name ${fullName}: expected <Object>-<Layout Name>`, 'fullName'));
  }
  const existing = org.layouts.get(fullName);
  if (mode === 'create' && existing !== undefined) {
    return refused(fullName, {
      statusCode: 'DUPLICATE_DEVELOPER_NAME',
      message: `There is already a layout named ${fullName}`,
    });
  }
  if (mode === 'update' && existing === undefined) return notFound('Layout', fullName);
  for (const section of objects(md['layoutSections'])) {
    const style = text(section, 'style') ?? '';
    if (!STYLES.has(style)) return refused(fullName, integrity(`Invalid section style: ${style}`, 'layoutSections'));
    for (const column of objects(section['layoutColumns'])) {
      for (const item of objects(column['layoutItems'])) {
        const behavior = text(item, 'behavior');
        if (text(item, 'field') !== undefined && (behavior === undefined || !BEHAVIORS.has(behavior))) {
          return refused(fullName, integrity(`Invalid behavior: ${behavior ?? '(none)'}`, 'layoutItems'));
        }
      }
    }
  }
  const placed = layoutFields(md);
  const seen = new Set<string>();
  for (const field of placed) {
    if (!def.fields.has(field.toLowerCase())) {
      return refused(fullName, integrity(`Field ${field} does not exist on ${def.name}`, 'layoutItems'));
    }
    if (seen.has(field.toLowerCase())) {
      return refused(fullName, integrity(`Field ${field} appears more than once in the layout`, 'layoutItems'));
    }
    seen.add(field.toLowerCase());
  }
  for (const anyOf of REQUIRED_ON_LAYOUT[def.name] ?? []) {
    if (!anyOf.some((name) => seen.has(name.toLowerCase()))) {
      return refused(
        fullName,
        integrity(`Layout must contain an item for required field ${anyOf[0] ?? ''}`, 'layoutSections'),
      );
    }
  }
  org.layouts.set(fullName, md);
  return { fullName, created: existing === undefined, errors: [] };
}

export function saveCompactLayout(org: Org, md: MdObject, mode: Mode): SaveOutcome {
  const fullName = text(md, 'fullName') ?? '';
  const dot = fullName.indexOf('.');
  const def = org.objectDef(dot < 0 ? '' : fullName.slice(0, dot));
  const name = fullName.slice(dot + 1);
  if (def === undefined) return refused(fullName, integrity(`Invalid compact layout name ${fullName}`, 'fullName'));
  if (name === 'SYSTEM') {
    return refused(fullName, {
      statusCode: 'CANNOT_MODIFY_MANAGED_OBJECT',
      message: 'The system default compact layout cannot be edited: create a compact layout and assign it',
    });
  }
  if (!validDeveloperName(name, 40))
    return refused(fullName, integrity(`Invalid compact layout name ${name}`, 'fullName'));
  const existing = org.compactLayouts.get(`${def.name}.${name}`);
  if (mode === 'update' && existing === undefined) return notFound('CompactLayout', fullName);
  if (mode === 'create' && existing !== undefined) {
    return refused(fullName, {
      statusCode: 'DUPLICATE_DEVELOPER_NAME',
      message: `There is already a compact layout named ${name}`,
    });
  }
  const label = text(md, 'label');
  if (label === undefined || label === '') return refused(fullName, integrity('Must specify a label', 'label'));
  const fields = texts(md['fields']);
  if (fields.length > COMPACT_LAYOUT_FIELDS_MAX) {
    return refused(
      fullName,
      integrity(`A compact layout takes at most ${String(COMPACT_LAYOUT_FIELDS_MAX)} fields`, 'fields'),
    );
  }
  for (const field of fields) {
    const found = def.fields.get(field.toLowerCase());
    if (found === undefined)
      return refused(fullName, integrity(`Field ${field} does not exist on ${def.name}`, 'fields'));
    if (found.type === 'textarea') {
      return refused(
        fullName,
        integrity(`Field ${field} is a text area, which compact layouts do not support`, 'fields'),
      );
    }
  }
  org.compactLayouts.set(`${def.name}.${name}`, { ...md, fullName: `${def.name}.${name}` });
  return { fullName, created: existing === undefined, errors: [] };
}

/** A standard object's settings: update/upsert replace them; objects are not created here. */
export function saveCustomObject(org: Org, md: MdObject, mode: Mode): SaveOutcome {
  const fullName = text(md, 'fullName') ?? '';
  const def = org.objectDef(fullName);
  const existing = def === undefined ? undefined : org.objectSettings.get(def.name);
  if (def === undefined || existing === undefined) {
    return mode === 'update'
      ? notFound('CustomObject', fullName)
      : refused(fullName, integrity(`sandbox: only the standard objects' settings can be saved, not ${fullName}`));
  }
  if (mode === 'create') {
    return refused(fullName, { statusCode: 'DUPLICATE_DEVELOPER_NAME', message: `${def.name} already exists` });
  }
  const assignment = text(md, 'compactLayoutAssignment') ?? 'SYSTEM';
  if (assignment !== 'SYSTEM' && !org.compactLayouts.has(`${def.name}.${assignment}`)) {
    return refused(
      fullName,
      integrity(`In field: compactLayoutAssignment - no CompactLayout named ${def.name}.${assignment} found`),
    );
  }
  const settings: MdObject = {};
  for (const [key, value] of Object.entries(md)) if (!CHILD_COMPONENTS.has(key)) settings[key] = value;
  org.objectSettings.set(def.name, { ...settings, fullName: def.name, compactLayoutAssignment: assignment });
  return { fullName, created: false, errors: [] };
}

function section(label: string, left: [string, string][], right: [string, string][]): MdObject {
  const column = (items: [string, string][]): MdValue =>
    items.length === 0 ? '' : { layoutItems: items.map(([field, behavior]) => ({ behavior, field })) };
  return {
    customLabel: 'false',
    detailHeading: 'true',
    editHeading: 'true',
    label,
    layoutColumns: [column(left), column(right)],
    style: 'TwoColumnsTopToBottom',
  };
}

const SYSTEM_SECTION = section('System Information', [['CreatedById', 'Readonly']], [['LastModifiedById', 'Readonly']]);

/** Each tiered object's standard layout, Account's second one, and the objects' settings. */
export function seedLayouts(org: Org): void {
  const layout = (fullName: string, sections: MdObject[], relatedList: string): void => {
    org.layouts.set(fullName, {
      fullName,
      layoutSections: sections,
      relatedLists: { fields: 'FULL_NAME', relatedList },
      showHighlightsPanel: 'false',
    });
  };
  layout(
    'Account-Account Layout',
    [
      section(
        'Account Information',
        [
          ['Name', 'Required'],
          ['Website', 'Edit'],
          ['OwnerId', 'Edit'],
        ],
        [
          ['AnnualRevenue', 'Edit'],
          ['NumberOfEmployees', 'Edit'],
          ['Support_Plan__c', 'Edit'],
        ],
      ),
      SYSTEM_SECTION,
    ],
    'RelatedContactList',
  );
  layout(
    'Account-Account Key Account Layout',
    [section('Key Account', [['Name', 'Required']], [['Support_Plan__c', 'Edit']])],
    'RelatedOpportunityList',
  );
  layout(
    'Contact-Contact Layout',
    [
      section(
        'Contact Information',
        [
          ['Name', 'Required'],
          ['AccountId', 'Edit'],
        ],
        [
          ['Email', 'Edit'],
          ['Lead_Score__c', 'Edit'],
        ],
      ),
      SYSTEM_SECTION,
    ],
    'RelatedActivityList',
  );
  layout(
    'Lead-Lead Layout',
    [
      section(
        'Lead Information',
        [
          ['Name', 'Required'],
          ['Company', 'Required'],
        ],
        [
          ['Email', 'Edit'],
          ['Status', 'Required'],
          ['Lead_Score__c', 'Edit'],
        ],
      ),
      SYSTEM_SECTION,
    ],
    'RelatedActivityList',
  );
  for (const object of ['Account', 'Contact', 'Lead', 'Opportunity']) {
    org.objectSettings.set(object, {
      fullName: object,
      compactLayoutAssignment: 'SYSTEM',
      enableFeeds: 'true',
      enableHistory: 'false', // field history starts off (field-history.ts): setup turns it on
      externalSharingModel: 'Private',
      sharingModel: 'ReadWrite',
    });
  }
}
