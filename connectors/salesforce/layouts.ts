/**
 * The tier on the record page, for sales managers: a "RightTouch" section on every page layout of
 * Account, Contact and Lead that `listMetadata` finds (not only the assigned ones: which layout a
 * profile and record type get is not readable through the Metadata API's CRUD calls, and a layout
 * assigned later should have it too), and the tier in the highlights panel (compact layout).
 *
 * Facts it relies on (Metadata API Developer Guide: Layout, LayoutSection, CompactLayout,
 * CustomObject, upsertMetadata/updateMetadata; reference salesforce-api.md §4.3 and §7):
 * - A save replaces the whole layout: each layout is read, the section added, and the whole layout
 *   written back (`updateMetadata`, so a layout deleted meanwhile is not recreated). Nothing else
 *   of it changes. Fields already on a layout (placed by an admin) are not added again; a layout
 *   that has them all is not written.
 * - The section: tier, reason and next-tier hint read-only in the left column, the override
 *   (editable: that is how a person pins a tier) and the updated time (read-only) in the right.
 * - Compact layouts take no long text areas, so the highlights panel gets the tier, not the
 *   reason. The system default compact layout cannot be edited: setup saves its own
 *   (`Account.RightTouch`: the name, the tier and two useful fields) and assigns it as the
 *   object's primary (`CustomObject.compactLayoutAssignment`) only while the system default is
 *   primary. Where an admin assigned their own, the tier is added to theirs (the last field when
 *   it has room for one more of its 10), and it is otherwise left alone.
 * - The object is written back as read, without its child components (fields, list views, …),
 *   which CRUD calls do not save through the object: a setting left out would be turned off
 *   (`enableHistory`, and with it field history).
 * Refusals become warnings: fields and permission sets are what syncs need; a layout an admin can
 * fix by hand should not stop them.
 */
import type { SalesforceContext } from './context.ts';
import {
  asArray,
  isMd,
  listComponents,
  type Md,
  readComponents,
  saveComponents,
  type SaveResult,
  textOf,
} from './metadata-calls.ts';
import { FIELDS, TIERED_OBJECTS } from './setup-names.ts';

export const SECTION_LABEL = 'RightTouch';
export const COMPACT_LAYOUT = 'RightTouch';
const COMPACT_LAYOUT_MAX_FIELDS = 10;

const SECTION_COLUMNS: readonly (readonly { field: string; behavior: 'Readonly' | 'Edit' }[])[] = [
  [
    { field: FIELDS.tier, behavior: 'Readonly' },
    { field: FIELDS.reason, behavior: 'Readonly' },
    { field: FIELDS.next, behavior: 'Readonly' },
  ],
  [
    { field: FIELDS.override, behavior: 'Edit' },
    { field: FIELDS.updatedAt, behavior: 'Readonly' },
  ],
];

const COMPACT_FIELDS: Readonly<Record<(typeof TIERED_OBJECTS)[number], readonly string[]>> = {
  Account: ['Name', FIELDS.tier, 'OwnerId', 'Website'],
  Contact: ['Name', 'AccountId', FIELDS.tier, 'Email'],
  Lead: ['Name', 'Company', FIELDS.tier, 'Status'],
};

/** CustomObject elements that are child components of their own, not the object's settings. */
const CHILD_COMPONENTS = [
  'fields',
  'listViews',
  'compactLayouts',
  'recordTypes',
  'validationRules',
  'webLinks',
  'businessProcesses',
  'fieldSets',
  'sharingReasons',
  'sharingRecalculations',
  'indexes',
];

export interface LayoutOutcome {
  readonly changes: string[];
  readonly warnings: string[];
}

function sectionsOf(layout: Md): Md[] {
  return asArray(layout['layoutSections']).filter(isMd);
}

function itemsOf(section: Md): Md[] {
  return asArray(section['layoutColumns'])
    .filter(isMd)
    .flatMap((column) => asArray(column['layoutItems']).filter(isMd));
}

/** The layout with our section (or our missing fields in it), or undefined when it has them all. */
export function withSection(layout: Md): Md | undefined {
  const placed = new Set(sectionsOf(layout).flatMap((s) => itemsOf(s).map((item) => textOf(item['field']))));
  const columns = SECTION_COLUMNS.map((column) => column.filter((item) => !placed.has(item.field)));
  if (columns.every((column) => column.length === 0)) return undefined;
  const sections = sectionsOf(layout);
  const ours = sections.findIndex((s) => textOf(s['label']) === SECTION_LABEL);
  if (ours >= 0) {
    const section = sections[ours] ?? {};
    const have = asArray(section['layoutColumns']).filter(isMd);
    const merged = columns.map((column, i) => ({
      ...(have[i] ?? {}),
      layoutItems: [...asArray((have[i] ?? {})['layoutItems']), ...column.map((item) => ({ ...item }))],
    }));
    const updated = { ...section, layoutColumns: [...merged, ...have.slice(merged.length)] };
    return { ...layout, layoutSections: sections.map((s, i) => (i === ours ? updated : s)) };
  }
  const section: Md = {
    customLabel: true,
    detailHeading: true,
    editHeading: true,
    label: SECTION_LABEL,
    layoutColumns: columns.map((column) => ({ layoutItems: column.map((item) => ({ ...item })) })),
    style: 'TwoColumnsTopToBottom',
  };
  // After the first section (the record's main details), before the rest.
  return { ...layout, layoutSections: [...sections.slice(0, 1), section, ...sections.slice(1)] };
}

/** Says what was saved (changes) and refused (warnings); returns how many were refused. */
function report(
  results: readonly SaveResult[],
  outcome: LayoutOutcome,
  done: (name: string) => string,
  what: (name: string) => string,
): number {
  for (const result of results) {
    if (result.success) outcome.changes.push(done(result.fullName));
    else outcome.warnings.push(`Salesforce refused ${what(result.fullName)}: ${result.error}`);
  }
  return results.filter((result) => !result.success).length;
}

async function ensurePageLayouts(context: SalesforceContext, outcome: LayoutOutcome): Promise<void> {
  const names = (await listComponents(context, 'Layout')).filter((name) =>
    TIERED_OBJECTS.some((object) => name.startsWith(`${object}-`)),
  );
  const layouts = await readComponents(context, 'Layout', names);
  const toSave = [...layouts.values()].map(withSection).filter((layout): layout is Md => layout !== undefined);
  if (toSave.length === 0) return;
  report(
    await saveComponents(context, 'update', 'Layout', toSave),
    outcome,
    (name) => `put the ${SECTION_LABEL} section on layout ${name}`,
    (name) => `the ${SECTION_LABEL} section on layout ${name}`,
  );
}

/** The object's settings to write back: as read, without child components, with the assignment. */
function objectSettings(object: Md, assignment: string): Md {
  const settings: Md = {};
  for (const [key, value] of Object.entries(object)) if (!CHILD_COMPONENTS.includes(key)) settings[key] = value;
  return { ...settings, compactLayoutAssignment: assignment };
}

async function ensureCompactLayouts(context: SalesforceContext, outcome: LayoutOutcome): Promise<void> {
  const objects = await readComponents(context, 'CustomObject', [...TIERED_OBJECTS]);
  const assigned = new Map(
    TIERED_OBJECTS.map((object) => {
      const name = textOf(objects.get(object)?.['compactLayoutAssignment']);
      return [object, name === '' ? 'SYSTEM' : name];
    }),
  );
  const names = TIERED_OBJECTS.flatMap((object) => {
    const name = assigned.get(object) ?? 'SYSTEM';
    return [
      `${object}.${COMPACT_LAYOUT}`,
      ...(name === 'SYSTEM' || name === COMPACT_LAYOUT ? [] : [`${object}.${name}`]),
    ];
  });
  const compact = await readComponents(context, 'CompactLayout', names);
  const toSave: Md[] = [];
  const toAssign: Md[] = [];
  for (const object of TIERED_OBJECTS) {
    const name = assigned.get(object) ?? 'SYSTEM';
    if (name === 'SYSTEM' || name === COMPACT_LAYOUT) {
      const ours = compact.get(`${object}.${COMPACT_LAYOUT}`);
      const fields = asArray(ours?.['fields']).map(textOf);
      if (JSON.stringify(fields) !== JSON.stringify(COMPACT_FIELDS[object])) {
        toSave.push({
          fullName: `${object}.${COMPACT_LAYOUT}`,
          label: 'RightTouch',
          fields: [...COMPACT_FIELDS[object]],
        });
      }
      const settings = objects.get(object);
      if (name === 'SYSTEM' && settings !== undefined) toAssign.push(objectSettings(settings, COMPACT_LAYOUT));
      continue;
    }
    // An admin's own primary compact layout: the tier added, nothing else changed.
    const theirs = compact.get(`${object}.${name}`);
    const fields = asArray(theirs?.['fields']).map(textOf);
    if (theirs === undefined || fields.includes(FIELDS.tier)) continue;
    if (fields.length >= COMPACT_LAYOUT_MAX_FIELDS) {
      outcome.warnings.push(
        `the primary compact layout ${object}.${name} has ${String(COMPACT_LAYOUT_MAX_FIELDS)} fields already: add ${FIELDS.tier} in its place by hand to see the tier in the highlights panel`,
      );
      continue;
    }
    toSave.push({ ...theirs, fields: [...fields, FIELDS.tier] });
  }
  const refused =
    toSave.length === 0
      ? 0
      : report(
          await saveComponents(context, 'upsert', 'CompactLayout', toSave),
          outcome,
          (name) => `saved compact layout ${name} (with the tier)`,
          (name) => `the compact layout ${name}`,
        );
  // Assigned only once it saved: assigning a compact layout that does not exist is refused.
  if (toAssign.length > 0 && refused === 0) {
    report(
      await saveComponents(context, 'update', 'CustomObject', toAssign),
      outcome,
      (name) => `assigned compact layout ${name}.${COMPACT_LAYOUT} as the primary one`,
      (name) => `the assignment of compact layout ${name}.${COMPACT_LAYOUT} as primary`,
    );
  }
}

/** The section on every page layout of the tiered objects, and the tier in their highlights panels. */
export async function ensureLayouts(context: SalesforceContext): Promise<LayoutOutcome> {
  const outcome: LayoutOutcome = { changes: [], warnings: [] };
  await ensurePageLayouts(context, outcome);
  await ensureCompactLayouts(context, outcome);
  return outcome;
}
