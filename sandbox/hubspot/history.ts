/**
 * Property history: who set each value, as `propertiesWithHistory` answers it, and the people who
 * can set one by hand.
 *
 * From HubSpot's API (reference hubspot-api.md §9b; the SDK's `ValueWithTimestamp` model:
 * `value`, `timestamp`, `sourceType`, optional `sourceId`, `sourceLabel`, `updatedByUserId`):
 * - get one, list and batch read take `propertiesWithHistory`; each named property that exists
 *   comes back under `propertiesWithHistory` with its entries **newest first** (the captured
 *   responses in hubspot-api-nodejs issue #154). Search cannot return history
 *   (hubspot-api-python issue #244): it ignores the key.
 * - with history asked for, a batch read takes at most 50 inputs and a list page at most 50
 *   records: 400 "The maximum number of inputs supported in a batch request for property
 *   histories is 50" (quoted in activepieces PR #9359; the list's 400 in hubspot-api-python #143).
 * - a person's edit in the UI: `sourceType: "CRM_UI"`, `sourceId: "userId:<id>"`,
 *   `updatedByUserId: <id>` (issue #154's capture); an app's write through the API:
 *   `sourceType: "INTEGRATION"`, `sourceId` the app's id, no user.
 *
 * The sandbox records history for every value written through the API or by `editByHand`, the
 * newest `KEPT` per property (HubSpot keeps all; a demo portal would only grow). A value with no
 * recorded history (generated, or in a snapshot older than history) answers one entry, from the
 * record's creation by import (`IMPORT`), as a value HubSpot always has some history for.
 */
import { validationError } from './errors.ts';
import { propertyValue, type CrmRecord, type ObjectType, type Portal } from './model.ts';

/** One entry of a property's history, as HubSpot sends it. */
export interface HistoryEntry {
  readonly value: string;
  readonly timestamp: string;
  readonly sourceType: string;
  readonly sourceId?: string | undefined;
  readonly sourceLabel?: string | undefined;
  readonly updatedByUserId?: number | undefined;
}

/** Who made a change: everything of a history entry but the value and time. */
export type ChangeSource = Omit<HistoryEntry, 'value' | 'timestamp'>;

/** The app the sandbox's tokens belong to (the token info's `app_id`). */
export const SANDBOX_APP_ID = 1;

/** A write through the API with the app's token. */
export const INTEGRATION_SOURCE: ChangeSource = { sourceType: 'INTEGRATION', sourceId: String(SANDBOX_APP_ID) };

/** History entries kept per property, newest first. */
const KEPT = 20;

/** Most records one batch read (or list page) returns with history (HubSpot's words). */
export const HISTORY_BATCH_MAX = 50;
export const HISTORY_LIMIT_MESSAGE = `The maximum number of inputs supported in a batch request for property histories is ${HISTORY_BATCH_MAX}`;

/** The portal's users (people who can edit records in the UI), each also an owner. */
export interface SandboxUser {
  readonly userId: number;
  readonly ownerId: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}

export const SANDBOX_USERS: readonly SandboxUser[] = [
  { userId: 28604240, ownerId: '71000001', firstName: 'Dana', lastName: 'Whitfield', email: 'dana@example.com' },
  { userId: 28604241, ownerId: '71000002', firstName: 'Luis', lastName: 'Ortega', email: 'luis@example.com' },
  { userId: 28604242, ownerId: '71000003', firstName: 'Priya', lastName: 'Natarajan', email: 'priya@example.com' },
];

/** Notes the values just written to a record (newest first), by `source`. */
export function noteHistory(
  record: CrmRecord,
  values: Readonly<Record<string, string>>,
  at: number,
  source: ChangeSource,
): void {
  const history = (record.history ??= {});
  for (const [name, value] of Object.entries(values)) {
    const entries = history[name] ?? [];
    history[name] = [{ value, timestamp: new Date(at).toISOString(), ...source }, ...entries].slice(0, KEPT);
  }
}

/** The `propertiesWithHistory` of a response, for the properties named that exist. */
export function historyOf(
  type: ObjectType,
  record: CrmRecord,
  names: readonly string[],
): Record<string, readonly HistoryEntry[]> {
  const out: Record<string, readonly HistoryEntry[]> = {};
  for (const name of names) {
    const recorded = record.history?.[name];
    if (recorded !== undefined && recorded.length > 0) {
      out[name] = recorded;
      continue;
    }
    const value = propertyValue(type, record, name);
    out[name] =
      value === undefined || value === ''
        ? []
        : [{ value, timestamp: new Date(record.createdAt).toISOString(), sourceType: 'IMPORT' }];
  }
  return out;
}

/** Refuses a request for history over more than 50 records, as HubSpot does. */
export function checkHistoryCount(count: number): void {
  if (count > HISTORY_BATCH_MAX) throw validationError(HISTORY_LIMIT_MESSAGE);
}

/**
 * A user edits one property of a record in HubSpot's UI (sandbox only: tests and demos): the value
 * changes, the record's last-modified time moves, and the history names the user (`CRM_UI`).
 */
export function editByHand(
  portal: Portal,
  type: ObjectType,
  id: string,
  edit: { readonly property: string; readonly value: string; readonly userId: number; readonly at: number },
): void {
  const record = portal.objects[type].records.get(id);
  if (record === undefined) throw new Error(`no ${type} record ${id} in the sandbox portal`);
  if (!portal.schema[type].properties.has(edit.property)) throw new Error(`no ${type} property ${edit.property}`);
  if (!SANDBOX_USERS.some((user) => user.userId === edit.userId)) throw new Error(`no sandbox user ${edit.userId}`);
  record.properties[edit.property] = edit.value;
  record.updatedAt = Math.max(edit.at, record.updatedAt);
  noteHistory(record, { [edit.property]: edit.value }, edit.at, {
    sourceType: 'CRM_UI',
    sourceId: `userId:${edit.userId}`,
    updatedByUserId: edit.userId,
  });
  portal.objects[type].version++;
}
