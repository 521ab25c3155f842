/**
 * The sandbox's webhook deliveries: what HubSpot would POST to an app subscribed to property
 * changes, signed with the v3 signature (signature.ts: the sandbox's own reading of HubSpot's page, not the
 * product's verifier), so the receiver (`src/server/routes/webhooks-hubspot.ts`) can be run
 * against something that behaves like HubSpot.
 *
 * Turn it on with the `webhooks` option of `createSandbox`:
 *
 * ```ts
 * const sandbox = createSandbox({
 *   webhooks: { targetUrl: 'http://127.0.0.1:3000/webhooks/hubspot', clientSecret: 'secret', appId: 4242, batchMs: 50 },
 * });
 * mutateAndEmit(sandbox.portal, { seed: 7, deals: 5, contacts: 5 }, sandbox.webhooks!); // or emitMutations(…)
 * await sandbox.webhooks!.flush();
 * ```
 *
 * What is emitted:
 * - `deal.propertyChange` (amount, dealstage, closedate) for deals `mutate()` changed, and
 *   `company.propertyChange` (annualrevenue, numberofemployees, support_plan: properties the
 *   app's webhooks-hsmeta.json subscribes to) for companies it edited — call
 *   `emitMutations` with its result (and, for exactness, a `snapshotWatched` taken before), or
 *   `mutateAndEmit`. These are user edits: `changeSource: "CRM_UI"`, `sourceId: "userId:1"`.
 *   The lead scores `mutate()` recalculates send nothing: a score property is the portal's own
 *   (its name comes from the score's configuration), and an app's subscriptions are app-wide and
 *   name fixed properties, so no app can subscribe to it (`hubspotscore`, which one could name, is
 *   frozen). Such changes reach RightTouch through the scheduled incremental run.
 * - `company.propertyChange` / `contact.propertyChange` / `deal.propertyChange` for every value
 *   a batch update (`POST /crm/v3/objects/{type}/batch/update`) or single update (`PATCH
 *   /crm/v3/objects/{type}/{id}`) actually changed — our own `engagement_model*` writes
 *   included. These are integration writes: `changeSource: "INTEGRATION"` and `sourceId` the
 *   writing app's id (`writerAppId`, default `appId`: the connector writes as our app), which
 *   is what the receiver's own-change filter looks at. Writing a value a record already has
 *   emits nothing, as in HubSpot.
 *
 * Every event carries `appId` (the subscribing app, ours), `portalId`, a unique increasing
 * `eventId`, a `subscriptionId` stable per type and property, `occurredAt` (the sandbox clock),
 * and `attemptNumber`. Events are batched for `batchMs` (default 100 ms), at most 100 per POST
 * (HubSpot's limit). A delivery answered with a non-2xx status, or not answered within 5 s, is
 * retried `retries` times (default 2) after `retryDelayMs`, with `attemptNumber` + 1, like
 * HubSpot's retries (which it spreads over a day). Headers: `X-HubSpot-Signature-v3`,
 * `X-HubSpot-Request-Timestamp` (the real clock by default, since the receiver checks it against
 * its own), and the v1 `X-HubSpot-Signature` / `X-HubSpot-Signature-Version: v1` HubSpot also sends.
 */
import { createHash, randomInt } from 'node:crypto';
import { mutate, type MutateOptions, type MutateResult } from './generate.ts';
import type { CrmRecord, ObjectType, Portal } from './model.ts';
import { hubspotSignatureV1, hubspotSignatureV3 } from './signature.ts';

export interface WebhookEmitterOptions {
  /** Where deliveries go (the receiver's public URL: it is part of what is signed). */
  readonly targetUrl: string;
  readonly clientSecret: string;
  /** The subscribing app (every event's `appId`). */
  readonly appId: number;
  /** Default: the sandbox portal's id. */
  readonly portalId?: number;
  /** How long events are collected before a POST (default 100 ms). */
  readonly batchMs?: number;
  /** The app a write through the API is attributed to (default `appId`); given the bearer token. */
  readonly writerAppId?: number | ((token: string | undefined) => number | undefined);
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /** Signature timestamps (epoch ms). Default `Date.now`. */
  readonly clock?: () => number;
  readonly fetch?: typeof fetch;
  /** A delivery that failed for good. Default: console.error. */
  readonly onError?: (err: unknown) => void;
}

/**
 * One event as the sandbox builds it; the emitter adds the ids, the portal and the attempt.
 * Property changes name the property and value; deletions, merges and association changes carry
 * their own fields (crm-actions.ts), and — as HubSpot sends them — some of those may be `null`.
 */
export interface EmittedChange {
  readonly subscriptionType: string;
  readonly objectId: string;
  readonly occurredAt: number;
  readonly propertyName?: string;
  readonly propertyValue?: string | null;
  readonly changeSource: string;
  readonly sourceId: string | null;
  readonly [field: string]: unknown;
}

export interface WebhookEvent extends Omit<EmittedChange, 'objectId'> {
  readonly eventId: number;
  readonly subscriptionId: number;
  readonly portalId: number;
  readonly appId: number;
  readonly attemptNumber: number;
  readonly objectId: number;
}

export interface WebhookEmitterStats {
  events: number;
  deliveries: number;
  failures: number;
}

export interface WebhookEmitter {
  readonly options: WebhookEmitterOptions;
  readonly stats: WebhookEmitterStats;
  emit(change: EmittedChange): void;
  /** Sends everything collected now and resolves when every delivery (and retry) has ended. */
  flush(): Promise<void>;
  /** Flushes, then ignores further events. */
  close(): Promise<void>;
  /** The writing app of a request with this bearer token. */
  writerOf(token: string | undefined): number | undefined;
}

const BATCH_MAX = 100;
const DELIVERY_TIMEOUT_MS = 5000;

export function singular(type: ObjectType): string {
  return type === 'companies' ? 'company' : type === 'contacts' ? 'contact' : 'deal';
}

/** A stable subscription id per type and property (HubSpot's are per subscription). */
function subscriptionIdOf(subscriptionType: string, propertyName: string): number {
  return createHash('sha256').update(`${subscriptionType}:${propertyName}`).digest().readUInt32BE(0) % 10_000_000;
}

export function createWebhookEmitter(options: WebhookEmitterOptions & { readonly portalId: number }): WebhookEmitter {
  const batchMs = options.batchMs ?? 100;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const clock = options.clock ?? Date.now;
  const fetchFn = options.fetch ?? fetch;
  const onError =
    options.onError ??
    ((err: unknown) => {
      console.error('sandbox webhook delivery failed:', err);
    });
  const stats: WebhookEmitterStats = { events: 0, deliveries: 0, failures: 0 };
  let nextEventId = randomInt(1, 2 ** 40);
  let queue: WebhookEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const inFlight = new Set<Promise<void>>();

  async function deliver(batch: readonly WebhookEvent[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const events = batch.map((event) => ({ ...event, attemptNumber: event.attemptNumber + attempt }));
      const body = JSON.stringify(events);
      const timestamp = String(clock());
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) (righttouch sandbox)',
        'x-hubspot-signature-v3': hubspotSignatureV3({
          clientSecret: options.clientSecret,
          method: 'POST',
          uri: options.targetUrl,
          body,
          timestamp,
        }),
        'x-hubspot-request-timestamp': timestamp,
        'x-hubspot-signature': hubspotSignatureV1(options.clientSecret, body),
        'x-hubspot-signature-version': 'v1',
      };
      let problem: unknown;
      try {
        stats.deliveries++;
        const res = await fetchFn(options.targetUrl, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        if (res.ok) return;
        problem = new Error(`webhook delivery to ${options.targetUrl} answered ${res.status}`);
      } catch (err) {
        problem = err;
      }
      stats.failures++;
      if (attempt >= retries) {
        onError(problem);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
  }

  function send(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const batch = queue.slice(0, BATCH_MAX);
      queue = queue.slice(BATCH_MAX);
      const delivery = deliver(batch).finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    }
  }

  const writerAppId = options.writerAppId ?? options.appId;

  return {
    options,
    stats,
    emit(change) {
      if (closed) return;
      stats.events++;
      queue.push({
        ...change,
        eventId: nextEventId++,
        subscriptionId: subscriptionIdOf(change.subscriptionType, change.propertyName ?? ''),
        portalId: options.portalId,
        appId: options.appId,
        attemptNumber: 0,
        objectId: Number(change.objectId),
      });
      if (queue.length >= BATCH_MAX) send();
      else if (timer === undefined) {
        timer = setTimeout(send, batchMs);
        timer.unref();
      }
    },
    async flush() {
      send();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      await this.flush();
      closed = true;
    },
    writerOf(token) {
      return typeof writerAppId === 'function' ? writerAppId(token) : writerAppId;
    },
  };
}

/** The properties whose `mutate()` changes are emitted. */
export const WATCHED: Readonly<Partial<Record<ObjectType, readonly string[]>>> = {
  deals: ['amount', 'dealstage', 'closedate'],
  contacts: [], // lead scores: no subscription can name them (see the top of this file)
  companies: ['annualrevenue', 'numberofemployees', 'support_plan'],
};

/** The watched values of every deal, contact and company (id → property → value), taken before a mutate. */
export type WatchedSnapshot = Partial<Record<ObjectType, Map<string, Readonly<Record<string, string>>>>>;

export function snapshotWatched(portal: Portal): WatchedSnapshot {
  const snapshot: WatchedSnapshot = {};
  for (const type of Object.keys(WATCHED) as ObjectType[]) {
    const values = new Map<string, Readonly<Record<string, string>>>();
    for (const record of portal.objects[type].records.values()) values.set(record.id, watchedValues(type, record));
    snapshot[type] = values;
  }
  return snapshot;
}

function watchedValues(type: ObjectType, record: CrmRecord): Readonly<Record<string, string>> {
  const picked: Record<string, string> = {};
  for (const name of WATCHED[type] ?? []) picked[name] = record.properties[name] ?? '';
  return picked;
}

/**
 * Emits the property changes of the records `mutate()` changed: the watched properties whose
 * value differs from `before`, or, without a snapshot, every watched property of each record.
 */
export function emitMutations(
  emitter: WebhookEmitter,
  portal: Portal,
  changed: MutateResult,
  before?: WatchedSnapshot,
): number {
  let count = 0;
  const changedIds: Readonly<Record<ObjectType, readonly string[]>> = changed;
  for (const type of ['deals', 'contacts', 'companies'] as const) {
    for (const id of changedIds[type]) {
      const record = portal.objects[type].records.get(id);
      if (record === undefined) continue;
      const previous = before?.[type]?.get(id);
      for (const name of WATCHED[type] ?? []) {
        const value = record.properties[name] ?? '';
        if (previous !== undefined && previous[name] === value) continue;
        emitter.emit({
          subscriptionType: `${singular(type)}.propertyChange`,
          objectId: id,
          occurredAt: record.updatedAt,
          propertyName: name,
          propertyValue: value,
          changeSource: 'CRM_UI',
          sourceId: 'userId:1',
        });
        count++;
      }
    }
  }
  return count;
}

/** `mutate()`, then the webhook events of exactly what it changed. */
export function mutateAndEmit(portal: Portal, options: MutateOptions, emitter: WebhookEmitter): MutateResult {
  const before = snapshotWatched(portal);
  const changed = mutate(portal, options);
  emitMutations(emitter, portal, changed, before);
  return changed;
}

/**
 * A salesperson closes a deal as won for `amount` at `now` (epoch ms) in the CRM: the deal
 * changes, and the webhook events of what changed go out.
 */
export function winDealAndEmit(
  emitter: WebhookEmitter,
  portal: Portal,
  deal: CrmRecord,
  amount: string,
  now: number,
): void {
  const before: WatchedSnapshot = { deals: new Map([[deal.id, watchedValues('deals', deal)]]) };
  Object.assign(deal.properties, {
    amount,
    dealstage: 'closedwon',
    hs_is_closed: 'true',
    hs_is_closed_won: 'true',
    closedate: new Date(now).toISOString(),
  });
  deal.updatedAt = now;
  portal.objects.deals.version++;
  emitMutations(emitter, portal, { deals: [deal.id], contacts: [], companies: [] }, before);
}
