/** The sandbox's signed webhook deliveries, received by a plain test server and by the real receiver. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@hubspot/api-client';
import express from 'express';
import { afterEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import type { Policy } from '../../src/core/index.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox, type RunningSandbox, type Sandbox } from '../../sandbox/hubspot/server.ts';
import { mutateAndEmit, type WebhookEmitterOptions } from '../../sandbox/hubspot/webhooks.ts';
import type { Affected } from '../../connectors/hubspot/webhooks/events.ts';
import { hubspotWebhookRouter } from '../../src/server/routes/webhooks-hubspot.ts';
import { verifyHubSpotSignatureV3 } from '../../connectors/hubspot/webhooks/signature.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { updates } from './helpers.ts';

const SECRET = 'sandbox-client-secret';
const APP_ID = 4242;
const TOKEN = 'sandbox-token';

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface Receiver {
  readonly url: string;
  readonly deliveries: Delivery[];
  /** Status codes to answer, in order; 204 once they run out. */
  readonly answers: number[];
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function closing(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(closing(server));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function receiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = answers.shift() ?? 204;
      res.end();
    });
  });
  const base = await listen(server);
  return { url: `${base}/webhooks/hubspot?via=sandbox%3A1`, deliveries, answers };
}

async function sandboxWith(
  webhooks: Omit<WebhookEmitterOptions, 'clientSecret' | 'appId'> & Partial<WebhookEmitterOptions>,
): Promise<{ sandbox: Sandbox; running: RunningSandbox; client: Client }> {
  const sandbox = createSandbox({
    portal: generatePortal({ seed: 5, companies: 20, contacts: 60, deals: 40 }),
    limits: false,
    webhooks: { clientSecret: SECRET, appId: APP_ID, batchMs: 5, ...webhooks },
  });
  const running = await sandbox.listen(0);
  cleanups.push(async () => {
    await sandbox.webhooks?.close();
    await running.close();
  });
  return { sandbox, running, client: new Client({ accessToken: TOKEN, basePath: running.url }) };
}

function eventsOf(delivery: Delivery | undefined): Record<string, unknown>[] {
  return JSON.parse(delivery?.body.toString('utf8') ?? '[]') as Record<string, unknown>[];
}

function verifies(delivery: Delivery, uri: string): boolean {
  return verifyHubSpotSignatureV3({
    clientSecret: SECRET,
    method: 'POST',
    uri,
    rawBody: delivery.body,
    signature: delivery.headers['x-hubspot-signature-v3'] as string | undefined,
    timestamp: delivery.headers['x-hubspot-request-timestamp'] as string | undefined,
    now: Date.now(),
  }).ok;
}

describe('sandbox webhooks', () => {
  test('mutate → a signed POST with the changed deal properties; recalculated lead scores send nothing', async () => {
    const target = await receiver();
    const { sandbox } = await sandboxWith({ targetUrl: target.url });
    const emitter = sandbox.webhooks;
    if (emitter === undefined) throw new Error('no emitter');
    const changed = mutateAndEmit(sandbox.portal, { seed: 11, deals: 6, contacts: 4 }, emitter);
    await emitter.flush();

    expect(target.deliveries).toHaveLength(1);
    const [delivery] = target.deliveries;
    if (delivery === undefined) throw new Error('no delivery');
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(verifies(delivery, target.url)).toBe(true);
    expect(verifies({ ...delivery, body: Buffer.from(delivery.body.toString().replace('"', ' "')) }, target.url)).toBe(
      false,
    );

    const events = eventsOf(delivery);
    const dealEvents = events.filter((e) => e['subscriptionType'] === 'deal.propertyChange');
    const contactEvents = events.filter((e) => e['subscriptionType'] === 'contact.propertyChange');
    expect(dealEvents.length + contactEvents.length).toBe(events.length);
    expect(new Set(dealEvents.map((e) => String(e['objectId'])))).toEqual(new Set(changed.deals));
    // The portal's own score property cannot be subscribed (subscriptions are app-wide): the
    // scores mutate() changed reach RightTouch only through the scheduled incremental run.
    expect(changed.contacts).toHaveLength(4);
    expect(contactEvents).toEqual([]);
    for (const e of dealEvents) {
      expect(['amount', 'dealstage', 'closedate']).toContain(e['propertyName']);
      const deal = sandbox.portal.objects.deals.records.get(String(e['objectId']));
      expect(e['propertyValue']).toBe(deal?.properties[String(e['propertyName'])]);
    }
    for (const e of events) {
      expect(e).toMatchObject({
        portalId: sandbox.portal.portalId,
        appId: APP_ID,
        attemptNumber: 0,
        changeSource: 'CRM_UI',
      });
      expect(typeof e['eventId']).toBe('number');
      expect(typeof e['objectId']).toBe('number');
      expect(typeof e['occurredAt']).toBe('number');
    }
    expect(new Set(events.map((e) => e['eventId'])).size).toBe(events.length);
  });

  test('batch updates through the API are delivered as INTEGRATION changes by the writing app; no-op writes are not', async () => {
    const target = await receiver();
    const { sandbox, client } = await sandboxWith({ targetUrl: target.url });
    const [a = '', b = ''] = [...sandbox.portal.objects.companies.records.keys()];
    const oldName = sandbox.portal.objects.companies.records.get(b)?.properties['name'] ?? '';
    await client.crm.objects.batchApi.update(
      'companies',
      updates([
        [a, { name: 'Renamed Co', annualrevenue: '123456' }],
        [b, { name: oldName }],
      ]),
    );
    await sandbox.webhooks?.flush();
    const events = target.deliveries.flatMap(eventsOf);
    expect(
      events.map((e) => [e['subscriptionType'], String(e['objectId']), e['propertyName'], e['propertyValue']]),
    ).toEqual([
      ['company.propertyChange', a, 'name', 'Renamed Co'],
      ['company.propertyChange', a, 'annualrevenue', '123456'],
    ]);
    for (const e of events) expect(e).toMatchObject({ changeSource: 'INTEGRATION', sourceId: String(APP_ID) });
  });

  test('a failed delivery is retried with the next attemptNumber', async () => {
    const target = await receiver();
    target.answers.push(500);
    const { sandbox } = await sandboxWith({ targetUrl: target.url, retryDelayMs: 1 });
    const emitter = sandbox.webhooks;
    if (emitter === undefined) throw new Error('no emitter');
    emitter.emit({
      subscriptionType: 'company.propertyChange',
      objectId: String(sandbox.portal.objects.companies.order[0] ?? 0),
      occurredAt: Date.now(),
      propertyName: 'support_plan',
      propertyValue: 'premier',
      changeSource: 'CRM_UI',
      sourceId: 'userId:1',
    });
    await emitter.flush();
    expect(target.deliveries.map((d) => eventsOf(d)[0]?.['attemptNumber'])).toEqual([0, 1]);
    expect(eventsOf(target.deliveries[0])[0]?.['eventId']).toBe(eventsOf(target.deliveries[1])[0]?.['eventId']);
    expect(target.deliveries.every((d) => verifies(d, target.url))).toBe(true);
    expect(emitter.stats).toEqual({ events: 1, deliveries: 2, failures: 1 });
  });

  test('end to end: the receiver acts on user changes and skips its own writes', async () => {
    // The real receiver, reached directly (its public base URL is its own address here).
    const store = new SqliteStore(':memory:');
    await store.migrate();
    cleanups.push(() => store.close());
    const calls: { installationId: string; affected: Affected }[] = [];
    let notify: () => void = () => undefined;
    const app = express();
    const server = createServer(app);
    const base = await listen(server);
    app.use(
      hubspotWebhookRouter({
        store,
        clientSecret: SECRET,
        publicBaseUrl: base,
        appId: APP_ID,
        onChange: (installationId, affected) => {
          calls.push({ installationId, affected });
          notify();
        },
      }),
    );
    const { sandbox, running, client } = await sandboxWith({
      targetUrl: `${base}/webhooks/hubspot`,
      // Everything goes in the one delivery flush() sends.
      batchMs: 60_000,
      // Writes with another token come from another app (an admin tool editing the override).
      writerAppId: (token) => (token === 'other-app-token' ? 9999 : APP_ID),
    });
    const installation = await store.upsertInstallation('hubspot', String(sandbox.portal.portalId));
    const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
    await createHubSpotConnector({
      accessToken: TOKEN,
      baseUrl: running.url,
      limits: { requestsPerWindow: 1000, windowMs: 10_000 },
    }).setup(policy.tiers);
    const tier = policy.tiers[0]?.value ?? '';
    const [a = '', b = '', c = ''] = [...sandbox.portal.objects.companies.records.keys()];

    const nextCall = (): Promise<void> =>
      new Promise((resolve) => {
        notify = resolve;
      });

    // Our own writes: the tier properties, and anything else written with our app's token.
    let called = nextCall();
    await client.crm.objects.batchApi.update(
      'companies',
      updates([
        [a, { engagement_model: tier, engagement_model_reason: 'policy' }],
        [b, { name: 'Written by RightTouch' }],
      ]),
    );
    // Another app sets the override (an input) on c.
    const other = new Client({ accessToken: 'other-app-token', basePath: running.url });
    await other.crm.objects.batchApi.update('companies', updates([[c, { engagement_model_override: tier }]]));
    const emitter = sandbox.webhooks;
    if (emitter === undefined) throw new Error('no emitter');
    // And a user changes deals and lead scores.
    const changed = mutateAndEmit(sandbox.portal, { seed: 9, deals: 3, contacts: 2 }, emitter);
    await emitter.flush();
    await called;

    expect(emitter.stats.failures).toBe(0);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.installationId).toBe(installation.id);
    expect([...(call?.affected.companies ?? [])]).toEqual([c]);
    expect([...(call?.affected.deals ?? [])].sort()).toEqual([...changed.deals].sort());
    // Lead scores changed too, but send no events (see above): no contact is named.
    expect(changed.contacts).toHaveLength(2);
    expect([...(call?.affected.contacts ?? [])]).toEqual([]);

    // A later user change is acted on in its own delivery.
    called = nextCall();
    emitter.emit({
      subscriptionType: 'company.propertyChange',
      objectId: b,
      occurredAt: Date.now(),
      propertyName: 'annualrevenue',
      propertyValue: '1',
      changeSource: 'CRM_UI',
      sourceId: 'userId:1',
    });
    await emitter.flush();
    await called;
    expect([...(calls[1]?.affected.companies ?? [])]).toEqual([b]);
  });
});
