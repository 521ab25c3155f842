/**
 * HubSpot webhook payloads, read leniently (the shape and fields are described in
 * events.ts). What real deliveries contain that a strict schema refuses: `null` in
 * optional fields (`newObjectId` and `sourceId` on merges, `propertyValue` when a value is
 * cleared), fields added since, and subscription types this app never asked for. HubSpot
 * retries a batch that got a 4xx or 5xx for up to 24 hours and then drops it with every good
 * event in it (HubSpot's webhooks guide, "Retries"), so an event that cannot be read is skipped
 * and reported, never the batch.
 */
import { z } from 'zod';

/** HubSpot sends ids as JSON numbers; strings of digits are accepted too. Kept as strings. */
const id = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'expected a numeric id')])
  .transform((value) => String(value));

const event = z.looseObject({
  eventId: id,
  subscriptionId: id.optional(),
  portalId: id,
  appId: id.optional(),
  occurredAt: z.number().int().nonnegative(),
  subscriptionType: z.string().min(1),
  attemptNumber: z.number().int().nonnegative().optional(),
  objectId: id.optional(),
  objectTypeId: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.unknown().optional(),
  changeSource: z.string().optional(),
  sourceId: z
    .union([z.string(), z.number()])
    .transform((value) => String(value))
    .optional(),
  changeFlag: z.string().optional(),
  primaryObjectId: id.optional(),
  mergedObjectIds: z.array(id).optional(),
  newObjectId: id.optional(),
  associationType: z.string().optional(),
  fromObjectId: id.optional(),
  toObjectId: id.optional(),
  associationRemoved: z.boolean().optional(),
  isPrimaryAssociation: z.boolean().optional(),
});

/** Older payloads name the type `eventType`; it is read as `subscriptionType`. */
const eventWithLegacyName = z.preprocess((raw) => {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const fields = raw as Record<string, unknown>;
    if (fields['subscriptionType'] === undefined && typeof fields['eventType'] === 'string') {
      return { ...fields, subscriptionType: fields['eventType'] };
    }
  }
  return raw;
}, event);

export type HubSpotEvent = z.infer<typeof event>;

/** The fields an event cannot do without: one lacking or garbling any of these is skipped. */
const REQUIRED = new Set(['eventId', 'portalId', 'occurredAt', 'subscriptionType']);

/** An event left out of a batch, and why (no values: they may be personal data). */
export interface SkippedEvent {
  /** Its place in the batch, when it could not be read at all. */
  readonly index?: number;
  readonly subscriptionType: string | undefined;
  readonly reason: string;
}

export type ParsedEvents = { ok: true; events: HubSpotEvent[]; skipped: SkippedEvent[] } | { ok: false; error: string };

function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
}

/**
 * One event, leniently: `null` in an optional field is no value (HubSpot sends `newObjectId:
 * null`, `sourceId: null`, `propertyValue: null`…), an optional field of an unexpected shape is
 * dropped, unknown fields are kept. Undefined (with the reason) when a required field is missing
 * or unreadable.
 */
function parseEvent(raw: unknown): { event: HubSpotEvent } | { reason: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { reason: 'not a JSON object' };
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) if (value !== null) fields[name] = value;
  let parsed = eventWithLegacyName.safeParse(fields);
  if (!parsed.success) {
    const bad = new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')));
    if ([...bad].some((name) => name === '' || REQUIRED.has(name))) return { reason: issuesText(parsed.error) };
    for (const name of bad) Reflect.deleteProperty(fields, name);
    parsed = eventWithLegacyName.safeParse(fields);
    if (!parsed.success) return { reason: issuesText(parsed.error) };
  }
  return { event: parsed.data };
}

/**
 * Validates a parsed body: a JSON array of event objects. Every event that can be read is taken;
 * the others are skipped with the reason (HubSpot retries a refused batch for up to a day and then
 * drops it, good events included — so one odd event never costs the batch). Only a body that is
 * not an array, or an array with items and no object among them, is refused.
 */
export function parseHubSpotEvents(body: unknown): ParsedEvents {
  if (!Array.isArray(body)) return { ok: false, error: 'expected a JSON array of events' };
  const items: readonly unknown[] = body;
  if (items.length > 0 && !items.some((item) => typeof item === 'object' && item !== null && !Array.isArray(item))) {
    return { ok: false, error: 'expected a JSON array of event objects' };
  }
  const events: HubSpotEvent[] = [];
  const skipped: SkippedEvent[] = [];
  items.forEach((item, index) => {
    const result = parseEvent(item);
    if ('event' in result) {
      events.push(result.event);
      return;
    }
    const type =
      typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['subscriptionType'] : undefined;
    skipped.push({ index, subscriptionType: typeof type === 'string' ? type : undefined, reason: result.reason });
  });
  return { ok: true, events, skipped };
}

/** Parses and validates a raw body. */
export function parseHubSpotEventsJson(raw: Buffer | string): ParsedEvents {
  let body: unknown;
  try {
    body = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `malformed JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  return parseHubSpotEvents(body);
}
