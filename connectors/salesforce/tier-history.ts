/**
 * Who last set `Engagement_Model__c` on some records, from field history (reference
 * salesforce-api.md §7 "Who changed the tier"), for the sync's hand-edit rule (`manualEdits`); and
 * the setup step that turns that history on.
 *
 * Reading: `AccountHistory` / `ContactHistory` / `LeadHistory` rows of the field for those ids
 * (`AccountId`/`ContactId`/`LeadId` — not `ParentId`, which is custom objects'), newest first by
 * `CreatedDate`; the first row per record is who set it last. `OldValue`/`NewValue` cannot be
 * filtered in SOQL, so the filter is on `Field` and the parent. "By hand" is any user but
 * RightTouch's integration user (the token's user); `CreatedBy.Name` names them. `LastModifiedById`
 * would not do: it changes on any edit of the record. Without history on (an admin turned it
 * off, the 20-field limit), there are no rows: the record is left out and its edit is put back.
 *
 * Setup (`trackTierHistory`): `enableHistory` on Account, Contact and Lead — CustomObject is
 * written back whole after reading it (upsertMetadata replaces the component: a partial one would
 * reset the object's other settings) — then `trackHistory: true` on each object's
 * `Engagement_Model__c`, also read, changed and written back whole. At most 20 tracked fields per
 * object: when Salesforce refuses the field for that (or for anything else), setup goes on and
 * says so as a warning; hand edits on that object are then put back.
 */
import type { RecordType } from '../../src/core/index.ts';
import type { TierSetter } from '../../src/sync/connector.ts';
import type { SalesforceContext } from './context.ts';
import { pages } from './read.ts';
import { FIELDS, TIERED_OBJECTS } from './setup.ts';
import { sobjectFor } from './write.ts';

const PARENT_FIELD: Readonly<Record<string, string>> = { Account: 'AccountId', Contact: 'ContactId', Lead: 'LeadId' };
const SALESFORCE_ID = /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/;
/** Ids per history query: 200 quoted 18-character ids keep the SOQL far under its 100,000 characters. */
const IDS_PER_QUERY = 200;

interface HistoryRow {
  readonly [parent: string]: unknown;
  readonly NewValue?: unknown;
  readonly CreatedById?: unknown;
  readonly CreatedBy?: { readonly Name?: unknown } | null;
  readonly CreatedDate?: unknown;
}

export async function tierSetters(
  context: SalesforceContext,
  type: RecordType,
  ids: readonly string[],
): Promise<ReadonlyMap<string, TierSetter>> {
  const integrationUser = (await context.userInfo()).user_id.slice(0, 15);
  const byObject = new Map<string, string[]>();
  for (const id of new Set(ids)) {
    if (!SALESFORCE_ID.test(id)) continue;
    const object = sobjectFor(type, id);
    byObject.set(object, [...(byObject.get(object) ?? []), id]);
  }
  // Salesforce answers with 18-character ids; the records may be known by either form.
  const asked = new Map<string, string>();
  for (const id of ids) asked.set(id.slice(0, 15), id);
  const setters = new Map<string, TierSetter>();
  for (const [object, objectIds] of byObject) {
    const parent = PARENT_FIELD[object];
    if (parent === undefined) continue;
    for (let start = 0; start < objectIds.length; start += IDS_PER_QUERY) {
      const list = objectIds.slice(start, start + IDS_PER_QUERY).map((id) => `'${id}'`);
      const soql =
        `SELECT ${parent}, NewValue, CreatedById, CreatedBy.Name, CreatedDate FROM ${object}History` +
        ` WHERE Field = '${FIELDS.tier}' AND ${parent} IN (${list.join(', ')}) ORDER BY CreatedDate DESC`;
      for await (const page of pages(context, soql)) {
        for (const row of page as unknown as HistoryRow[]) {
          const recordId = typeof row[parent] === 'string' ? asked.get(row[parent].slice(0, 15)) : undefined;
          if (recordId === undefined || setters.has(recordId)) continue; // newest first: the first row wins
          const userId = typeof row.CreatedById === 'string' ? row.CreatedById : '';
          const name = typeof row.CreatedBy?.Name === 'string' ? row.CreatedBy.Name : userId;
          const value = typeof row.NewValue === 'string' && row.NewValue !== '' ? row.NewValue : null;
          const at = typeof row.CreatedDate === 'string' ? Date.parse(row.CreatedDate.replace(/\+0000$/, 'Z')) : NaN;
          const byPerson = userId !== '' && userId.slice(0, 15) !== integrationUser;
          setters.set(recordId, { value, at, byPerson, by: byPerson ? name : 'RightTouch' });
        }
      }
    }
  }
  return setters;
}

interface UpsertResultLike {
  success: unknown;
  fullName: string;
  errors?: { message?: string } | { message?: string }[];
}

function errorsOf(result: UpsertResultLike): string {
  const errors = result.errors === undefined ? [] : Array.isArray(result.errors) ? result.errors : [result.errors];
  return errors.map((e) => e.message ?? '').join('; ') || 'refused';
}

/** Field history on for the tier field of Account, Contact and Lead (read-modify-write); what changed and what could not. */
export async function trackTierHistory(
  context: SalesforceContext,
): Promise<{ readonly changes: string[]; readonly warnings: string[] }> {
  const changes: string[] = [];
  const warnings: string[] = [];
  const metadata = context.metadata();
  for (const object of TIERED_OBJECTS) {
    const stored = (await context.call(() => metadata.read('CustomObject', object))) as unknown as Record<
      string,
      unknown
    >;
    if (String(stored['enableHistory']) !== 'true') {
      const saved = (await context.call(() =>
        metadata.upsert('CustomObject', { ...stored, fullName: object, enableHistory: true } as never),
      )) as unknown as UpsertResultLike;
      if (String(saved.success) !== 'true') {
        warnings.push(`${object}: could not turn field history on (${errorsOf(saved)}); hand edits there are put back`);
        continue;
      }
      changes.push(`turned field history on for ${object}`);
    }
    const name = `${object}.${FIELDS.tier}`;
    const field = (await context.call(() => metadata.read('CustomField', name))) as unknown as Record<string, unknown>;
    if (String(field['trackHistory']) === 'true' || field['fullName'] !== name) continue;
    const saved = (await context.call(() =>
      metadata.upsert('CustomField', { ...field, trackHistory: true } as never),
    )) as unknown as UpsertResultLike;
    if (String(saved.success) === 'true') changes.push(`tracking the history of ${name}`);
    else {
      warnings.push(
        `${name}: could not track its history (${errorsOf(saved)}); Salesforce tracks at most 20 fields per object — free one in Setup → Object Manager → ${object} → Fields & Relationships → Set History Tracking, then run setup again. Until then, hand edits of the engagement model there are put back`,
      );
    }
  }
  return { changes, warnings };
}
