/**
 * HubSpot webhook payloads (reference §6.1–6.2, HubSpot's webhooks guide): a JSON array of up to
 * 100 events, each like
 *
 *   { "eventId": 4101286121, "subscriptionId": 7562680, "portalId": 247187887, "appId": 50780459,
 *     "occurredAt": 1787843156000, "subscriptionType": "contact.propertyChange", "attemptNumber": 1,
 *     "objectId": 541935488729, "propertyName": "email", "propertyValue": "…",
 *     "changeSource": "INTEGRATION", "sourceId": "50780459" }
 *
 * plus, by type: merges `primaryObjectId, mergedObjectIds, newObjectId, numberOfPropertiesMoved`;
 * association changes `associationType ("CONTACT_TO_COMPANY"), fromObjectId, toObjectId,
 * associationRemoved, isPrimaryAssociation`; generic `object.*` subscriptions `objectTypeId`
 * ("0-1" contact, "0-2" company, "0-3" deal). Unknown fields are kept; order is not guaranteed
 * (occurredAt orders them) and an event may arrive more than once.
 *
 * Own changes: `appId` is the app the subscription belongs to — ours, on every event we receive.
 * Who made a change is `changeSource` ("INTEGRATION" for an app's API write, "CRM_UI", "IMPORT",
 * "CALCULATED", …) with `sourceId`, which for an integration is the writing app's id. So an event
 * is ours when `changeSource` is INTEGRATION (or API) and `sourceId` is our app id.
 */
import type { HubSpotEvent } from './payload.ts';

export type HubSpotObjectKind = 'companies' | 'contacts' | 'deals';
export const OBJECT_KINDS: readonly HubSpotObjectKind[] = ['companies', 'contacts', 'deals'];

/** The properties RightTouch writes: changes to them are its own echo. The override is an input. */
export const OWN_OUTPUT_PROPERTIES: readonly string[] = [
  'engagement_model',
  'engagement_model_reason',
  'engagement_model_next',
  'engagement_model_updated_at',
];

export {
  parseHubSpotEvents,
  parseHubSpotEventsJson,
  type HubSpotEvent,
  type ParsedEvents,
  type SkippedEvent,
} from './payload.ts';

/** Subscription types RightTouch acts on; others are taken (answered 2xx) and skipped with a log line. */
export function isKnownSubscriptionType(e: HubSpotEvent): boolean {
  const { kind, action } = eventKind(e);
  if (action === 'associationChange') return true;
  return kind !== undefined && KNOWN_ACTIONS.has(action);
}

const KNOWN_ACTIONS = new Set([
  'creation',
  'deletion',
  'propertyChange',
  'merge',
  'restore',
  'privacyDeletion',
  'associationChange',
]);

/** The key an event is de-duplicated by: its id, qualified (HubSpot says eventId alone "is not guaranteed to be unique"). */
export function eventKey(e: HubSpotEvent): string {
  return `hubspot:${e.portalId}:${e.eventId}:${e.subscriptionType}:${e.objectId ?? ''}:${e.occurredAt}`;
}

export type KindSets = Record<HubSpotObjectKind, Set<string>>;
export type KindMerges = Record<HubSpotObjectKind, Map<string, string>>;

/** What a set of events asks to re-read, per object kind. */
export interface Affected {
  /** Created, changed, restored, associated, or the survivor of a merge: re-read these. */
  readonly companies: Set<string>;
  readonly contacts: Set<string>;
  readonly deals: Set<string>;
  /** Deleted (deletion, privacy deletion): drop these. */
  readonly removals: KindSets;
  /** Merged away: loser id → surviving id (carry the loser's history over, then drop it). */
  readonly merges: KindMerges;
  /** Contacts whose privacy deletion arrived: everything held about them is erased (also in removals). */
  readonly erasures: Set<string>;
}

export interface PortalAffected extends Affected {
  readonly portalId: string;
}

export function emptyAffected(): Affected {
  return {
    companies: new Set(),
    contacts: new Set(),
    deals: new Set(),
    removals: { companies: new Set(), contacts: new Set(), deals: new Set() },
    merges: { companies: new Map(), contacts: new Map(), deals: new Map() },
    erasures: new Set(),
  };
}

export function isAffectedEmpty(a: Affected): boolean {
  return (
    a.erasures.size === 0 &&
    OBJECT_KINDS.every((k) => a[k].size === 0 && a.removals[k].size === 0 && a.merges[k].size === 0)
  );
}

/** Adds `from` into `into` (mutating it); `from` is the later change, so it wins a conflict. */
export function mergeAffected(into: Affected, from: Affected): Affected {
  for (const kind of OBJECT_KINDS) {
    for (const changed of from[kind]) {
      into[kind].add(changed);
      into.removals[kind].delete(changed);
    }
    for (const removed of from.removals[kind]) {
      into.removals[kind].add(removed);
      into[kind].delete(removed);
    }
    for (const [loser, survivor] of from.merges[kind]) into.merges[kind].set(loser, survivor);
  }
  for (const erased of from.erasures) into.erasures.add(erased);
  return into;
}

/** At most this many records are read by id in one webhook run; more make an incremental run. */
export const MAX_BY_ID = 1000;

/**
 * The records to read by id for these changes, or undefined when an incremental run should handle
 * them instead: nothing named (a nudge), a removal or merge (the incremental run reads removals
 * and carries history over), or more than `MAX_BY_ID` records (searching is cheaper then).
 */
export function changedRecords(a: Affected): { companies: string[]; contacts: string[]; deals: string[] } | undefined {
  if (OBJECT_KINDS.some((k) => a.removals[k].size > 0 || a.merges[k].size > 0)) return undefined;
  const total = a.companies.size + a.contacts.size + a.deals.size;
  if (total === 0 || total > MAX_BY_ID) return undefined;
  return { companies: [...a.companies], contacts: [...a.contacts], deals: [...a.deals] };
}

export function copyAffected(a: Affected): Affected {
  return mergeAffected(emptyAffected(), a);
}

const BY_PREFIX: Readonly<Record<string, HubSpotObjectKind>> = {
  company: 'companies',
  contact: 'contacts',
  deal: 'deals',
};

const BY_TYPE_ID: Readonly<Record<string, HubSpotObjectKind>> = {
  '0-1': 'contacts',
  '0-2': 'companies',
  '0-3': 'deals',
};

const BY_ASSOCIATION_NAME: Readonly<Record<string, HubSpotObjectKind>> = {
  COMPANY: 'companies',
  CONTACT: 'contacts',
  DEAL: 'deals',
};

function lookup<T>(table: Readonly<Record<string, T>>, key: string | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The object kind and the action of an event (`contact.propertyChange` → contacts, propertyChange). */
export function eventKind(e: HubSpotEvent): { kind: HubSpotObjectKind | undefined; action: string } {
  const dot = e.subscriptionType.indexOf('.');
  const prefix = dot < 0 ? e.subscriptionType : e.subscriptionType.slice(0, dot);
  const action = dot < 0 ? '' : e.subscriptionType.slice(dot + 1);
  const kind = prefix === 'object' ? lookup(BY_TYPE_ID, e.objectTypeId) : lookup(BY_PREFIX, prefix);
  return { kind, action };
}

export interface RelevanceOptions {
  /** Properties whose changes are our own echo (default OWN_OUTPUT_PROPERTIES). */
  readonly ourProperties?: readonly string[] | undefined;
  /** Our HubSpot app id: integration changes made by this app are ignored. */
  readonly appId?: string | number | undefined;
}

const INTEGRATION_SOURCES = new Set(['INTEGRATION', 'API']);

/** True when the event came from our own app's API writes. */
export function isOwnChange(e: HubSpotEvent, appId: string | number | undefined): boolean {
  if (appId === undefined || String(appId) === '') return false;
  return e.changeSource !== undefined && INTEGRATION_SOURCES.has(e.changeSource) && e.sourceId === String(appId);
}

function associationKinds(
  e: HubSpotEvent,
): { from: HubSpotObjectKind | undefined; to: HubSpotObjectKind | undefined } | undefined {
  const match = /^([A-Z]+)_TO_([A-Z]+)$/.exec(e.associationType ?? '');
  if (match !== null) {
    return { from: lookup(BY_ASSOCIATION_NAME, match[1]), to: lookup(BY_ASSOCIATION_NAME, match[2]) };
  }
  // Generic object.associationChange events may carry type ids instead.
  const fields = e as Record<string, unknown>;
  const fromTypeId = typeof fields['fromObjectTypeId'] === 'string' ? fields['fromObjectTypeId'] : undefined;
  const toTypeId = typeof fields['toObjectTypeId'] === 'string' ? fields['toObjectTypeId'] : undefined;
  if (fromTypeId === undefined && toTypeId === undefined) return undefined;
  return { from: lookup(BY_TYPE_ID, fromTypeId), to: lookup(BY_TYPE_ID, toTypeId) };
}

/**
 * True when the event can change a tier: a company, contact or deal event that is not a change
 * to one of our own output properties and not our own app's write.
 */
export function isRelevant(e: HubSpotEvent, options: RelevanceOptions = {}): boolean {
  const ours = options.ourProperties ?? OWN_OUTPUT_PROPERTIES;
  const { kind, action } = eventKind(e);
  if (action === 'associationChange') {
    const kinds = associationKinds(e);
    if (kinds === undefined || (kinds.from === undefined && kinds.to === undefined)) return false;
    return !isOwnChange(e, options.appId);
  }
  if (kind === undefined) return false;
  if (action === 'propertyChange' && e.propertyName !== undefined && ours.includes(e.propertyName)) return false;
  return !isOwnChange(e, options.appId);
}

interface Mark {
  /** Latest occurredAt that asked for a re-read, and the latest that said deleted. */
  changedAt: number;
  removedAt: number;
}

/**
 * Groups the relevant events by portal into the records to re-read, drop and carry over.
 * Within a portal, a record both deleted and changed ends in whichever set its latest event says.
 */
export function affectedBy(
  events: readonly HubSpotEvent[],
  ourProperties: readonly string[] = OWN_OUTPUT_PROPERTIES,
  options: { readonly appId?: string | number | undefined } = {},
): PortalAffected[] {
  const portals = new Map<string, { affected: Affected; marks: Map<string, Mark> }>();
  const relevance: RelevanceOptions = { ourProperties, appId: options.appId };

  for (const e of events) {
    if (!isRelevant(e, relevance)) continue;
    let portal = portals.get(e.portalId);
    if (portal === undefined) {
      portal = { affected: emptyAffected(), marks: new Map() };
      portals.set(e.portalId, portal);
    }
    const mark = (kind: HubSpotObjectKind | undefined, objectId: string | undefined, removed: boolean): void => {
      if (kind === undefined || objectId === undefined) return;
      const key = `${kind}:${objectId}`;
      const seen = portal.marks.get(key) ?? { changedAt: -1, removedAt: -1 };
      if (removed) seen.removedAt = Math.max(seen.removedAt, e.occurredAt);
      else seen.changedAt = Math.max(seen.changedAt, e.occurredAt);
      portal.marks.set(key, seen);
    };

    const { kind, action } = eventKind(e);
    switch (action) {
      case 'privacyDeletion':
        if (kind === 'contacts' && e.objectId !== undefined) portal.affected.erasures.add(e.objectId);
        mark(kind, e.objectId, true);
        break;
      case 'deletion':
        mark(kind, e.objectId, true);
        break;
      case 'merge': {
        const survivor = e.newObjectId ?? e.primaryObjectId ?? e.objectId;
        mark(kind, survivor, false);
        if (kind !== undefined && survivor !== undefined) {
          const losers = [...(e.mergedObjectIds ?? [])];
          if (e.primaryObjectId !== undefined && e.primaryObjectId !== survivor) losers.push(e.primaryObjectId);
          for (const loser of losers) if (loser !== survivor) portal.affected.merges[kind].set(loser, survivor);
        }
        break;
      }
      case 'associationChange': {
        const kinds = associationKinds(e);
        mark(kinds?.from, e.fromObjectId, false);
        mark(kinds?.to, e.toObjectId, false);
        break;
      }
      default:
        // creation, propertyChange, restore, and whatever else names one record.
        mark(kind, e.objectId, false);
    }
  }

  return [...portals].map(([portalId, { affected, marks }]) => {
    for (const [key, seen] of marks) {
      const colon = key.indexOf(':');
      const kind = key.slice(0, colon) as HubSpotObjectKind;
      const objectId = key.slice(colon + 1);
      if (seen.removedAt >= 0 && seen.removedAt >= seen.changedAt) affected.removals[kind].add(objectId);
      else affected[kind].add(objectId);
    }
    return { portalId, ...affected };
  });
}
