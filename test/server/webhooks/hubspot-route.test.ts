/** POST /webhooks/hubspot, served by a real Express app on a free port and called with fetch. */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import type { Installation } from '../../../src/store/store.ts';
import type { Affected } from '../../../connectors/hubspot/webhooks/events.ts';
import { hubspotWebhookRouter, type HubSpotWebhookRouterOptions } from '../../../src/server/routes/webhooks-hubspot.ts';

const SECRET = 'client-secret';
const APP_ID = 4242;
const PORTAL = 62515;
const PUBLIC = 'https://righttouch.example.com';
const NOW = 1_800_000_000_000;

interface Call {
  readonly installationId: string;
  readonly affected: Affected;
}

let store: SqliteStore;
let installation: Installation;
let server: Server | undefined;
let base = '';
let calls: Call[];
let waiters: { count: number; resolve: () => void }[];
let recorded: boolean[];

function onChange(installationId: string, affected: Affected): void {
  calls.push({ installationId, affected });
  for (const waiter of waiters.filter((w) => calls.length >= w.count)) waiter.resolve();
}

/** Resolves once onChange has been called `count` times in all. */
function callsReached(count: number): Promise<void> {
  if (calls.length >= count) return Promise.resolve();
  return new Promise((resolve) => waiters.push({ count, resolve }));
}

async function start(overrides: Partial<HubSpotWebhookRouterOptions> = {}): Promise<void> {
  const app = express();
  app.use(
    hubspotWebhookRouter({
      store: {
        listInstallations: () => store.listInstallations(),
        recordWebhookEvent: async (id, at) => {
          const fresh = await store.recordWebhookEvent(id, at);
          recorded.push(fresh);
          return fresh;
        },
        eraseRecord: (installationId, type, id) => store.eraseRecord(installationId, type, id),
      },
      clientSecret: SECRET,
      publicBaseUrl: PUBLIC,
      appId: String(APP_ID),
      onChange,
      now: () => NOW,
      ...overrides,
    }),
  );
  server = createServer(app);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate();
  installation = await store.upsertInstallation('hubspot', String(PORTAL), 'Acme');
  // A Salesforce org whose id happens to equal another portal's: never matched to HubSpot events.
  await store.upsertInstallation('salesforce', '777');
  calls = [];
  waiters = [];
  recorded = [];
});

afterEach(async () => {
  await new Promise<void>((resolve) => {
    if (server === undefined) resolve();
    else {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    }
  });
  server = undefined;
  await store.close();
});

let nextEventId = 1000;

function event(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    eventId: nextEventId++,
    subscriptionId: 11,
    portalId: PORTAL,
    appId: APP_ID,
    occurredAt: NOW - 5000,
    attemptNumber: 0,
    changeSource: 'CRM_UI',
    sourceId: 'userId:7',
    ...fields,
  };
}

function sign(body: string, timestamp: number, uri = `${PUBLIC}/webhooks/hubspot`, secret = SECRET): string {
  return createHmac('sha256', secret).update(`POST${uri}${body}${timestamp}`).digest('base64');
}

interface PostOptions {
  readonly path?: string;
  readonly timestamp?: number;
  readonly signature?: string | null;
  readonly signedUri?: string;
  readonly secret?: string;
}

async function post(body: unknown, options: PostOptions = {}): Promise<{ status: number; body: unknown }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const path = options.path ?? '/webhooks/hubspot';
  const timestamp = options.timestamp ?? NOW;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-hubspot-request-timestamp': String(timestamp),
  };
  const signature =
    options.signature === undefined
      ? sign(raw, timestamp, options.signedUri ?? `${PUBLIC}${path}`, options.secret)
      : options.signature;
  if (signature !== null) headers['x-hubspot-signature-v3'] = signature;
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: raw });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function ids(set: ReadonlySet<string>): string[] {
  return [...set].sort();
}

/** A request that surely calls onChange: waiting for it proves nothing earlier called it again. */
async function sentinel(expectedCalls: number): Promise<void> {
  const res = await post([event({ subscriptionType: 'company.propertyChange', objectId: 999, propertyName: 'name' })]);
  expect(res.status).toBe(204);
  await callsReached(expectedCalls);
  expect(calls.length).toBe(expectedCalls);
  expect(ids(calls.at(-1)?.affected.companies ?? new Set())).toEqual(['999']);
}

describe('POST /webhooks/hubspot', () => {
  test('a valid batch → 204, and onChange gets the installation and the records to re-read', async () => {
    await start();
    const res = await post([
      event({ subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'annualrevenue' }),
      event({ subscriptionType: 'contact.creation', objectId: 2 }),
      event({ subscriptionType: 'deal.propertyChange', objectId: 3, propertyName: 'amount', propertyValue: '5000' }),
      event({ subscriptionType: 'company.deletion', objectId: 4 }),
      event({ subscriptionType: 'contact.propertyChange', objectId: 5, propertyName: 'engagement_model_override' }),
    ]);
    expect(res).toEqual({ status: 204, body: undefined });
    await callsReached(1);
    const [call] = calls;
    expect(call?.installationId).toBe(installation.id);
    expect(ids(call?.affected.companies ?? new Set())).toEqual(['1']);
    expect(ids(call?.affected.contacts ?? new Set())).toEqual(['2', '5']);
    expect(ids(call?.affected.deals ?? new Set())).toEqual(['3']);
    expect(ids(call?.affected.removals.companies ?? new Set())).toEqual(['4']);
  });

  test('our own property changes and our own app writes are ignored', async () => {
    await start();
    const res = await post([
      event({ subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'engagement_model' }),
      event({ subscriptionType: 'company.propertyChange', objectId: 2, propertyName: 'engagement_model_reason' }),
      event({ subscriptionType: 'contact.propertyChange', objectId: 3, propertyName: 'engagement_model_updated_at' }),
      event({
        subscriptionType: 'contact.propertyChange',
        objectId: 4,
        propertyName: 'lifecyclestage',
        changeSource: 'INTEGRATION',
        sourceId: String(APP_ID),
      }),
    ]);
    expect(res.status).toBe(204);
    await sentinel(1);
    // Irrelevant events are not even recorded.
    expect(recorded).toEqual([true]);
  });

  test('events of unknown portals (and of a Salesforce org with the same id) are ignored', async () => {
    await start();
    const res = await post([
      event({ portalId: 123, subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'name' }),
      event({ portalId: 777, subscriptionType: 'company.propertyChange', objectId: 2, propertyName: 'name' }),
    ]);
    expect(res.status).toBe(204);
    await sentinel(1);
  });

  test('a redelivered event is acted on once, within a request and across requests', async () => {
    await start();
    const first = event({ subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'name' });
    const retry = { ...first, attemptNumber: 1 };
    expect((await post([first, retry])).status).toBe(204);
    await callsReached(1);
    expect(recorded).toEqual([true, false]);

    const other = event({ subscriptionType: 'company.propertyChange', objectId: 2, propertyName: 'name' });
    expect((await post([retry, other])).status).toBe(204);
    await callsReached(2);
    expect(ids(calls[1]?.affected.companies ?? new Set())).toEqual(['2']);

    // Only redeliveries: nothing to do.
    expect((await post([{ ...first, attemptNumber: 2 }])).status).toBe(204);
    await sentinel(3);
  });

  test('malformed JSON, or a body that is not an array of objects → 400 with the reason', async () => {
    await start();
    const bad = await post('[{"eventId": 1,');
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toMatch(/malformed JSON/);
    const shape = await post({ eventId: 1 });
    expect(shape).toEqual({
      status: 400,
      body: { error: 'invalid webhook payload: expected a JSON array of events' },
    });
    const scalars = await post([1, 'two', null]);
    expect(scalars.status).toBe(400);
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect(calls).toEqual([]);
  });

  test('events as HubSpot really sends them: nulls, unknown fields and types, an unreadable event — the rest are taken, 204', async () => {
    const skipped: unknown[] = [];
    await start({ onSkipped: (s) => skipped.push(...s) });
    const res = await post([
      // A merge: newObjectId and sourceId come as null.
      event({
        subscriptionType: 'company.merge',
        objectId: 10,
        primaryObjectId: 10,
        mergedObjectIds: [11],
        newObjectId: null,
        sourceId: null,
        numberOfPropertiesMoved: 3,
      }),
      // A cleared value: propertyValue null; and a field HubSpot added since.
      event({
        subscriptionType: 'deal.propertyChange',
        objectId: 20,
        propertyName: 'amount',
        propertyValue: null,
        sourceLabel: null,
        isSensitive: false,
      }),
      // An optional field of an unexpected shape is dropped, not the event.
      event({ subscriptionType: 'contact.creation', objectId: 30, attemptNumber: 'first' }),
      // A type this app never subscribed to.
      event({ subscriptionType: 'conversation.newMessage', objectId: 40 }),
      // Unreadable: no portal id.
      { eventId: 1, subscriptionType: 'contact.creation', objectId: 50, occurredAt: NOW },
      'not an event',
    ]);
    expect(res).toEqual({ status: 204, body: undefined });
    await callsReached(1);
    const [call] = calls;
    expect(ids(call?.affected.companies ?? new Set())).toEqual(['10']);
    expect([...(call?.affected.merges.companies ?? new Map())]).toEqual([['11', '10']]);
    expect(ids(call?.affected.deals ?? new Set())).toEqual(['20']);
    expect(ids(call?.affected.contacts ?? new Set())).toEqual(['30']);
    expect(skipped).toEqual([
      { index: 4, subscriptionType: 'contact.creation', reason: expect.stringContaining('portalId') as unknown },
      { index: 5, subscriptionType: undefined, reason: 'not a JSON object' },
      { subscriptionType: 'conversation.newMessage', reason: 'unknown subscriptionType' },
    ]);
  });

  test('a privacy deletion erases the contact before the answer, on every delivery', async () => {
    const erased: unknown[] = [];
    await start({ onErased: (e) => erased.push(e) });
    await store.upsertRecords(installation.id, [{ type: 'contact', id: '77', companyId: null, fields: {} }], 1);
    await store.applyTierChanges(
      installation.id,
      'run-1',
      [{ type: 'contact', id: '77', tier: 'low_touch', reasons: ['r'] }],
      1,
    );
    const deletion = event({ subscriptionType: 'contact.privacyDeletion', objectId: 77, changeSource: null });
    expect((await post([deletion])).status).toBe(204);
    expect(await store.storedTier(installation.id, 'contact', '77')).toBeUndefined();
    expect(await store.history(installation.id, 'contact', '77')).toEqual([]);
    expect(erased).toEqual([{ installationId: installation.id, eventId: String(deletion['eventId']), rows: 3 }]);
    await callsReached(1);
    expect(ids(calls[0]?.affected.removals.contacts ?? new Set())).toEqual(['77']);
    expect(ids(calls[0]?.affected.erasures ?? new Set())).toEqual(['77']);
    // A redelivery erases again (nothing left) and queues nothing new.
    expect((await post([{ ...deletion, attemptNumber: 1 }])).status).toBe(204);
    expect(erased).toHaveLength(2);
    await sentinel(2);
  });

  test('a body over the limit → 413 (default 1 MB)', async () => {
    await start();
    const events = [];
    for (let i = 0; events.length * 200 < 1.1 * 1024 * 1024; i++) {
      events.push(event({ subscriptionType: 'contact.propertyChange', objectId: i, propertyName: 'x'.repeat(100) }));
    }
    const res = await post(events);
    expect(res.status).toBe(413);
    expect((res.body as { error: string }).error).toContain('1048576');
  });

  test('a smaller configured limit', async () => {
    await start({ maxBodyBytes: 512 });
    const small = [event({ subscriptionType: 'contact.creation', objectId: 1 })];
    expect((await post(small)).status).toBe(204);
    const big = Array.from({ length: 5 }, (_, i) => event({ subscriptionType: 'contact.creation', objectId: i }));
    expect((await post(big)).status).toBe(413);
  });

  test('a bad signature → 401 {error}', async () => {
    await start();
    const body = [event({ subscriptionType: 'contact.creation', objectId: 1 })];
    const missing = await post(body, { signature: null });
    expect(missing.status).toBe(401);
    expect((missing.body as { error: string }).error).toMatch(/^invalid signature: missing/);
    expect((await post(body, { signature: 'bm9wZQ==' })).status).toBe(401);
    expect((await post(body, { secret: 'wrong' })).status).toBe(401);
    // Signed for the address the app sees, not the public one HubSpot called.
    expect((await post(body, { signedUri: `${base}/webhooks/hubspot` })).status).toBe(401);
    const stale = await post(body, { timestamp: NOW - 5 * 60 * 1000 - 1 });
    expect(stale.status).toBe(401);
    expect((stale.body as { error: string }).error).toContain('5 minutes');
    expect((await post(body, { timestamp: NOW + 5 * 60 * 1000 + 1 })).status).toBe(401);
    expect(calls).toEqual([]);
  });

  test('the signed URI includes the query string, with the documented escapes decoded', async () => {
    await start();
    const body = [event({ subscriptionType: 'contact.creation', objectId: 1 })];
    const res = await post(body, {
      path: '/webhooks/hubspot?source=hub%3Aspot&next=%2Fa%20b',
      signedUri: `${PUBLIC}/webhooks/hubspot?source=hub:spot&next=/a%20b`,
    });
    expect(res.status).toBe(204);
    await callsReached(1);
  });

  test('answers before onChange has done its work', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    let finished = false;
    await start({
      onChange: async () => {
        started = true;
        await gate;
        finished = true;
      },
    });
    const res = await post([event({ subscriptionType: 'contact.creation', objectId: 1 })]);
    expect(res.status).toBe(204);
    expect(finished).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(true);
    expect(finished).toBe(false);
    release();
    await gate;
  });

  test('an onChange that throws goes to onError and does not affect the answer', async () => {
    const errors: unknown[] = [];
    let reported: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      reported = resolve;
    });
    await start({
      onChange: () => {
        throw new Error('sync failed');
      },
      onError: (err) => {
        errors.push(err);
        reported();
      },
    });
    expect((await post([event({ subscriptionType: 'contact.creation', objectId: 1 })])).status).toBe(204);
    await done;
    expect(String(errors[0])).toContain('sync failed');
  });

  test('a JSON body parser mounted in front is reported, not silently mis-verified', async () => {
    const app = express();
    app.use(express.json());
    app.use(hubspotWebhookRouter({ store, clientSecret: SECRET, publicBaseUrl: PUBLIC, onChange, now: () => NOW }));
    server = createServer(app);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await post([event({ subscriptionType: 'contact.creation', objectId: 1 })]);
    expect(res.status).toBe(500);
    expect((res.body as { error: string }).error).toContain('before any body parser');
  });

  test('a store failure answers 500 "internal error": its message (which may name hosts or files) goes to onError, not to HubSpot', async () => {
    const errors: unknown[] = [];
    await start({
      store: {
        listInstallations: () => Promise.reject(new Error('connect ECONNREFUSED db.internal.example:5432')),
        recordWebhookEvent: (id, at) => store.recordWebhookEvent(id, at),
        eraseRecord: (installationId, type, id) => store.eraseRecord(installationId, type, id),
      },
      onError: (error) => errors.push(error),
    });
    const res = await post([event({ subscriptionType: 'contact.creation', objectId: 1 })]);
    expect(res).toEqual({ status: 500, body: { error: 'internal error' } });
    expect(String(errors[0])).toContain('ECONNREFUSED db.internal.example');
  });
});
