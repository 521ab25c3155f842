/**
 * Who last set the tier property of some records, from HubSpot's property history (reference
 * hubspot-api.md §9b), for the sync's hand-edit rule (`manualEdits`).
 *
 * - `POST /crm/v3/objects/{type}/batch/read` with `propertiesWithHistory: [engagement_model]`,
 *   **at most 50 inputs** with history (400 "The maximum number of inputs supported in a batch
 *   request for property histories is 50", quoted in activepieces PR #9359); search cannot
 *   return history (hubspot-api-python #244). Entries are newest first (hubspot-api-nodejs #154's
 *   captures); we take the latest by `timestamp` all the same, so the order does not matter.
 * - "By hand" is a person in HubSpot's own apps: `sourceType` `CRM_UI` (a record page or a table
 *   edit), `BATCH_UPDATE` (a person's bulk edit in an index page), `MOBILE_IOS`/`MOBILE_ANDROID`,
 *   and only with a user named (`updatedByUserId`, or `sourceId` `userId:<id>`: "when the change
 *   was made in the HubSpot app, the source-id … `{userId:123}`", HubSpot developer changelog "CRM
 *   property change source will show user ID instead of owner email"). `CRM_UI` is in every
 *   capture we found; `BATCH_UPDATE` and the mobile names are third parties' lists, not HubSpot's
 *   documentation (assumed). Apps
 *   (`INTEGRATION`, RightTouch among them), workflows, imports, forms and the rest are not: an
 *   import or a workflow is a mass change, not a decision about one record.
 * - The user is named through owners, `GET /crm/v3/owners/{userId}?idProperty=userId` (scope
 *   `crm.objects.owners.read`): `updatedByUserId` is a user id, not an owner id. A user who is no
 *   owner (404), or a token without the scope (403), is named "user <id>". Names are asked once
 *   per call (a sync asks once per record type).
 */
import {
  BatchReadInputSimplePublicObjectId,
  SimplePublicObjectId,
} from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import type { RecordType } from '../../src/core/index.ts';
import type { TierSetter } from '../../src/sync/connector.ts';
import { model, type HubSpotContext } from './client.ts';
import { HubSpotError } from './errors.ts';
import { PROPERTY_NAMES } from './setup.ts';

/** Records one batch read with history takes (HubSpot's limit). */
export const HISTORY_BATCH_SIZE = 50;

/** The `sourceType`s that are a person's own edit in HubSpot (see above). */
export const BY_HAND_SOURCES: ReadonlySet<string> = new Set(['CRM_UI', 'BATCH_UPDATE', 'MOBILE_IOS', 'MOBILE_ANDROID']);

/** One history entry as it arrives, read leniently (every field may be missing or null). */
interface EntryLike {
  readonly value?: unknown;
  readonly timestamp?: unknown;
  readonly sourceType?: unknown;
  readonly sourceId?: unknown;
  readonly updatedByUserId?: unknown;
}

function timeOf(raw: unknown): number {
  if (raw instanceof Date) return raw.getTime();
  return typeof raw === 'string' || typeof raw === 'number' ? new Date(raw).getTime() : Number.NaN;
}

/** The user behind an entry: `updatedByUserId`, else `sourceId` `userId:<id>`. */
function userOf(entry: EntryLike): number | undefined {
  const direct = Number(entry.updatedByUserId);
  if (entry.updatedByUserId !== undefined && entry.updatedByUserId !== null && Number.isSafeInteger(direct)) {
    return direct;
  }
  const match = typeof entry.sourceId === 'string' ? /^userId:(\d+)$/.exec(entry.sourceId) : null;
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The newest entry of a property's history, or undefined. */
export function latestEntry(entries: readonly EntryLike[] | undefined): EntryLike | undefined {
  let latest: EntryLike | undefined;
  for (const entry of entries ?? []) {
    if (!Number.isFinite(timeOf(entry.timestamp))) continue;
    if (latest === undefined || timeOf(entry.timestamp) > timeOf(latest.timestamp)) latest = entry;
  }
  return latest;
}

export async function tierSetters(
  context: HubSpotContext,
  type: RecordType,
  ids: readonly string[],
): Promise<ReadonlyMap<string, TierSetter>> {
  const objectType = type === 'company' ? 'companies' : 'contacts';
  const property = PROPERTY_NAMES.tier;
  const unique = [...new Set(ids)];
  const found = new Map<string, { entry: EntryLike; userId: number | undefined }>();
  for (let start = 0; start < unique.length; start += HISTORY_BATCH_SIZE) {
    const inputs = unique.slice(start, start + HISTORY_BATCH_SIZE).map((id) => model(SimplePublicObjectId, { id }));
    const body = model(BatchReadInputSimplePublicObjectId, {
      inputs,
      properties: [property],
      propertiesWithHistory: [property],
    });
    const response = await context.throttle.run(`history of ${inputs.length} ${objectType}`, () =>
      context.sdk.objects.batchApi.read(objectType, body, false),
    );
    for (const result of response.results) {
      const entry = latestEntry(result.propertiesWithHistory?.[property]);
      if (entry !== undefined) found.set(result.id, { entry, userId: userOf(entry) });
    }
  }
  const names = new Map<number, string>();
  const setters = new Map<string, TierSetter>();
  for (const [id, { entry, userId }] of found) {
    const source = typeof entry.sourceType === 'string' ? entry.sourceType : 'UNKNOWN';
    const byPerson = BY_HAND_SOURCES.has(source) && userId !== undefined;
    const by = byPerson ? await userName(context, userId, names) : source;
    const value = typeof entry.value === 'string' && entry.value !== '' ? entry.value : null;
    setters.set(id, { value, at: timeOf(entry.timestamp), byPerson, by });
  }
  return setters;
}

/** A user's name ("First Last", else the email), asked once per user; "user <id>" when HubSpot will not say. */
async function userName(context: HubSpotContext, userId: number, names: Map<number, string>): Promise<string> {
  const known = names.get(userId);
  if (known !== undefined) return known;
  let name = `user ${userId}`;
  try {
    const owner = await context.throttle.run(`owner of user ${userId}`, () =>
      context.sdk.owners.ownersApi.getById(userId, 'userId', false),
    );
    const full = [owner.firstName, owner.lastName].filter((part) => part !== undefined && part !== '').join(' ');
    name = full !== '' ? full : (owner.email ?? name);
  } catch (error) {
    // Not an owner (404), or the token lacks crm.objects.owners.read (403): the id has to do.
    if (!(error instanceof HubSpotError) || (error.status !== 404 && error.status !== 403)) throw error;
    context.logger.warn(`HubSpot: could not name user ${userId} (${error.message})`);
  }
  names.set(userId, name);
  return name;
}
