/**
 * A list view per tier on Account, Contact and Lead, for marketers: `Account.RightTouch_high_touch`
 * labelled "Engagement model: High-touch", filtered `Engagement_Model__c equals high_touch`.
 *
 * Facts it relies on (Metadata API Developer Guide, ListView and SharedTo; reference
 * salesforce-api.md §7):
 * - A filter names a picklist value by its API name, not its label; `equals` takes comma-separated
 *   values. Custom fields are named relative to the object; standard columns by their list-view
 *   column names (`ACCOUNT.NAME`, `FULL_NAME`, `LEAD.COMPANY`), not API names.
 * - `sharedTo` takes groups, roles, territories, queues or `allInternalUsers` — not permission
 *   sets. The views are shared with all internal users; field-level security still hides the tier
 *   from anyone without the read permission set, so they see the view but not the column.
 * - upsertMetadata replaces the whole view. A view that exists keeps its columns and its sharing
 *   (an admin may have added columns, or shared it with a group instead); its label and filter are
 *   put back when they differ, and sharing with all internal users when it has none.
 * - A developer name: letters, digits and single underscores, starting with a letter, not ending
 *   with an underscore; we keep it to 40 characters and labels to 40 (forcedotcom/afv-library,
 *   skills/generating-list-view: "label … must be under 40 characters").
 * - Lightning opens a view at `/lightning/o/{object}/list?filterName={developer name}` (the form
 *   Salesforce Inspector reloaded parses, tprouvot/Salesforce-Inspector-reloaded PR #1010); we
 *   assume the My Domain address (`…my.salesforce.com`) forwards it to Lightning, as it does for
 *   other `/lightning/` paths.
 * Views of tiers the policy no longer has are left (people may use them) and reported.
 */
import type { Tier } from '../../src/core/index.ts';
import type { CrmList } from '../../src/sync/connector.ts';
import { type SalesforceContext, SalesforceBudgetError } from './context.ts';
import { asArray, isMd, listComponents, type Md, readComponents, saveComponents, textOf } from './metadata-calls.ts';
import { FIELDS, TIERED_OBJECTS } from './setup-names.ts';

export const LIST_VIEW_PREFIX = 'RightTouch_';
const NAME_MAX = 40;
const LABEL_MAX = 40;

/** Columns of a new view: the record's name column, then what a marketer filters on. */
const COLUMNS: Readonly<Record<(typeof TIERED_OBJECTS)[number], readonly string[]>> = {
  Account: ['ACCOUNT.NAME', FIELDS.tier, FIELDS.updatedAt, 'ACCOUNT.URL'],
  Contact: ['FULL_NAME', 'ACCOUNT.NAME', 'CONTACT.EMAIL', FIELDS.tier, FIELDS.updatedAt],
  Lead: ['FULL_NAME', 'LEAD.COMPANY', 'LEAD.EMAIL', 'LEAD.STATUS', FIELDS.tier, FIELDS.updatedAt],
};

/** A short stable suffix for names cut to length (FNV-1a, base 36). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (const char of text) {
    h ^= char.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0').slice(0, 6);
}

/** `RightTouch_high_touch`: a valid developer name of at most 40 characters for a tier value. */
export function listViewName(tierValue: string): string {
  const name = `${LIST_VIEW_PREFIX}${tierValue}`.replace(/_+/g, '_').replace(/_$/, '');
  if (name.length <= NAME_MAX) return name;
  return `${name.slice(0, NAME_MAX - 7).replace(/_+$/, '')}_${hash(tierValue)}`;
}

function labelOf(tier: Tier): string {
  const label = `Engagement model: ${tier.label}`;
  return label.length <= LABEL_MAX ? label : `${label.slice(0, LABEL_MAX - 1)}…`;
}

function filtersOf(view: Md): string {
  return JSON.stringify(
    asArray(view['filters'])
      .filter(isMd)
      .map((f) => [textOf(f['field']), textOf(f['operation']), textOf(f['value'])]),
  );
}

/** The view's sharing when it has any (an admin may have set a group instead of all internal users). */
function sharingOf(view: Md | undefined): Md | undefined {
  const sharedTo = view?.['sharedTo'];
  if (!isMd(sharedTo)) return undefined;
  const shared = Object.values(sharedTo).some((value) =>
    Array.isArray(value) ? value.length > 0 : typeof value === 'string',
  );
  return shared ? sharedTo : undefined;
}

export interface ListViewOutcome {
  readonly lists: CrmList[];
  readonly changes: string[];
  readonly warnings: string[];
}

export async function ensureListViews(context: SalesforceContext, tiers: readonly Tier[]): Promise<ListViewOutcome> {
  const wanted = TIERED_OBJECTS.flatMap((object) =>
    tiers.map((tier) => ({ object, tier, fullName: `${object}.${listViewName(tier.value)}` })),
  );
  const existing = await readComponents(
    context,
    'ListView',
    wanted.map((w) => w.fullName),
  );
  const toSave: Md[] = [];
  for (const { object, tier, fullName } of wanted) {
    const have = existing.get(fullName);
    const columns = asArray(have?.['columns']).filter((c): c is string => typeof c === 'string');
    const view: Md = {
      fullName,
      label: labelOf(tier),
      filterScope: 'Everything',
      filters: [{ field: FIELDS.tier, operation: 'equals', value: tier.value }],
      columns: columns.length > 0 ? columns : [...COLUMNS[object]],
      sharedTo: sharingOf(have) ?? { allInternalUsers: '' },
    };
    const same =
      have !== undefined &&
      textOf(have['label']) === view['label'] &&
      textOf(have['filterScope']) === 'Everything' &&
      filtersOf(have) === filtersOf(view) &&
      sharingOf(have) !== undefined;
    if (!same) toSave.push(view);
  }
  const changes: string[] = [];
  const warnings: string[] = [];
  const refused = new Set<string>();
  if (toSave.length > 0) {
    for (const result of await saveComponents(context, 'upsert', 'ListView', toSave)) {
      if (result.success) {
        changes.push(`${result.created ? 'created' : 'updated'} list view ${result.fullName}`);
      } else {
        refused.add(result.fullName);
        warnings.push(`Salesforce refused the list view ${result.fullName}: ${result.error}`);
      }
    }
  }
  // Views of tiers the policy no longer has: left in place, reported.
  const wantedNames = new Set(wanted.map((w) => w.fullName));
  let listed: string[] = [];
  try {
    listed = await listComponents(context, 'ListView');
  } catch (error) {
    // Only the report of leftover views depends on it: say so, keep the views set up.
    if (error instanceof SalesforceBudgetError) throw error;
    warnings.push(
      `could not list the org's list views to find those of dropped tiers: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  for (const fullName of listed) {
    const [object = '', name = ''] = fullName.split('.');
    if ((TIERED_OBJECTS as readonly string[]).includes(object) && name.startsWith(LIST_VIEW_PREFIX)) {
      if (!wantedNames.has(fullName)) {
        warnings.push(
          `list view ${fullName} is for a tier the policy no longer has: left in place (delete it in Setup when nobody uses it)`,
        );
      }
    }
  }
  const base = context.conn.instanceUrl.replace(/\/+$/, '');
  const lists = wanted
    .filter((w) => !refused.has(w.fullName))
    .map(({ object, tier, fullName }) => ({
      object,
      tier: tier.value,
      name: labelOf(tier),
      id: fullName,
      url: `${base}/lightning/o/${object}/list?filterName=${encodeURIComponent(fullName.slice(object.length + 1))}`,
    }));
  return { lists, changes, warnings };
}
