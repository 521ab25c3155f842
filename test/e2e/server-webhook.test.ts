/**
 * The installable app end to end: `serve()` (server, scheduler, webhook queue) with an installed
 * HubSpot portal on the sandbox, which sends signed webhooks like HubSpot. A deal changed in the
 * CRM reaches the company's engagement model within seconds; RightTouch's own writes, echoed back
 * by webhooks, do not start syncs.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox, type Sandbox } from '../../sandbox/hubspot/server.ts';
import {
  deleteAndEmit,
  mergeAndEmit,
  moveContactAndEmit,
  privacyDeleteAndEmit,
} from '../../sandbox/hubspot/crm-actions.ts';
import { winDealAndEmit, type WebhookEmitter } from '../../sandbox/hubspot/webhooks.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { createLogger } from '../../src/server/logger.ts';
import { serve, type RunningServer } from '../../src/server/serve.ts';
import { secretKey } from '../../src/store/secrets.ts';
import type { Installation } from '../../src/store/store.ts';
import { tempDir } from './helpers.ts';

const APP_ID = 777;
const SECRET = 'webhook-client-secret';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

let portal: Portal;
let sandbox: Sandbox;
let crm: RunningSandbox;
let server: RunningServer;
let installation: Installation;
const admin = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };

beforeAll(async () => {
  const port = await freePort();
  portal = generatePortal({ seed: 31, companies: 80, contacts: 240, deals: 120 });
  sandbox = createSandbox({
    portal,
    token: 'AT-sandbox',
    webhooks: {
      targetUrl: `http://127.0.0.1:${port}/webhooks/hubspot`,
      clientSecret: SECRET,
      appId: APP_ID,
      batchMs: 50,
    },
  });
  crm = await sandbox.listen(0);
  const dir = tempDir();
  const env = {
    HUBSPOT_CLIENT_ID: 'cid',
    HUBSPOT_CLIENT_SECRET: SECRET,
    HUBSPOT_APP_ID: String(APP_ID),
    HUBSPOT_API_URL: crm.url,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    RIGHTTOUCH_ADMIN_TOKEN: 'admin-token',
    RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
  };
  server = await serve(
    { data: join(dir, 'righttouch.db'), port, webhookDelayMs: 200, logger: createLogger({ level: 'silent' }) },
    env,
  );
  // As the install flow would leave it: the installation and its (sealed) tokens.
  installation = await server.store.upsertInstallation('hubspot', String(portal.portalId));
  const credentials = new Credentials({ store: server.store, key: secretKey(env, dir), config: server.config });
  await credentials.save(installation.id, {
    crm: 'hubspot',
    accessToken: 'AT-sandbox',
    refreshToken: 'RT-sandbox',
    expiresAt: Date.now() + 3_600_000,
    scopes: [],
  });
});

function emitter(): WebhookEmitter {
  if (sandbox.webhooks === undefined) throw new Error('the sandbox was started without webhooks');
  return sandbox.webhooks;
}

afterAll(async () => {
  await sandbox.webhooks?.close();
  await server.close();
  await crm.close();
});

describe('the server against the sandbox', () => {
  test('run now tiers the portal; a deal change arrives by webhook and re-tiers its company within seconds', async () => {
    const run = await fetch(`${server.url}/api/installations/${installation.id}/runs`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ full: true }),
    });
    expect(run.status).toBe(202);
    await server.idle();
    const companies = [...portal.objects.companies.records.values()];
    expect(companies.every((c) => /_touch$/.test(c.properties['engagement_model'] ?? ''))).toBe(true);
    // Our own writes come back as webhooks (INTEGRATION, our app): they must not start syncs.
    await sandbox.webhooks?.flush();
    await server.idle();
    expect((await server.store.listRuns(installation.id)).map((r) => r.status)).toEqual(['succeeded']);

    // A low-tier company wins a big deal in the CRM.
    const company = companies.find((c) => c.properties['engagement_model'] === 'tech_touch');
    const deal = [...portal.objects.deals.records.values()].find((d) => d.companyId === company?.id);
    if (company === undefined || deal === undefined)
      throw new Error('no tech-touch company with a deal in the seeded portal');
    const started = Date.now();
    winDealAndEmit(emitter(), portal, deal, '450000', started);

    while (company.properties['engagement_model'] === 'tech_touch' && Date.now() - started < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsed = Date.now() - started;
    expect(company.properties['engagement_model']).toBe('high_touch');
    expect(company.properties['engagement_model_reason']).toMatch(/Deal size 450,000/);
    expect(elapsed).toBeLessThan(10_000);
    await server.idle();
    const runs = await server.store.listRuns(installation.id);
    // The webhook named the deal: the run read it by id (deal, its company association), no search.
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['changes', 'succeeded'],
      ['full', 'succeeded'],
    ]);
    expect(runs[0]?.counts?.['deals']).toBe(1);
    expect(runs[0]?.counts?.['apiCalls']).toBeLessThanOrEqual(4);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/righttouch_runs_total\{crm="hubspot",status="succeeded"\} 2/);
    expect(metrics).toMatch(/righttouch_records_written_total\{crm="hubspot"\} \d+/);
    expect(metrics).toMatch(/righttouch_webhook_events_total [1-9]/);
    const lag = Number(/^righttouch_webhook_lag_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(10);
  }, 60_000);

  test('a change that arrives while another run holds the installation is synced once that run ends', async () => {
    const lease = `sync:${installation.id}`;
    expect(await server.store.acquireLease(lease, 'another-worker', 60_000, Date.now())).toBe(true);
    const company = [...portal.objects.companies.records.values()].find(
      (c) =>
        c.properties['engagement_model'] === 'tech_touch' &&
        [...portal.objects.deals.records.values()].some((d) => d.companyId === c.id),
    );
    const deal = [...portal.objects.deals.records.values()].find((d) => d.companyId === company?.id);
    if (company === undefined || deal === undefined) throw new Error('no tech-touch company with a deal left');
    const started = Date.now();
    winDealAndEmit(emitter(), portal, deal, '450000', started);
    // Held: the webhook's run is skipped, and tried again rather than dropped.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(company.properties['engagement_model']).toBe('tech_touch');
    await server.store.releaseLease(lease, 'another-worker');
    while (company.properties['engagement_model'] === 'tech_touch' && Date.now() - started < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(company.properties['engagement_model']).toBe('high_touch');
  }, 30_000);

  test('deletions, a merge, a moved contact and a privacy deletion, as HubSpot sends them (nulls included), all land', async () => {
    const store = server.store;
    const mirrored = async (): Promise<Map<string, { companyId: string | null }>> => {
      const map = new Map<string, { companyId: string | null }>();
      for await (const page of store.records(installation.id)) {
        for (const r of page) map.set(`${r.type}:${r.id}`, { companyId: r.companyId ?? null });
      }
      return map;
    };
    const failuresBefore = emitter().stats.failures;
    const companies = [...portal.objects.companies.records.values()];
    const contacts = [...portal.objects.contacts.records.values()];
    const [gone, primary, loser, target] = companies.slice(-4);
    const forgotten = contacts.find((c) => c.properties['engagement_model'] !== undefined);
    const mover = contacts.find((c) => c !== forgotten && c.companyId !== target?.id && c.companyId !== gone?.id);
    if ([gone, primary, loser, target, forgotten, mover].includes(undefined))
      throw new Error('seeded portal too small');
    if (!gone || !primary || !loser || !target || !forgotten || !mover) return;
    expect(await store.storedTier(installation.id, 'contact', forgotten.id)).toBeDefined();
    expect(await store.history(installation.id, 'company', loser.id)).not.toEqual([]);
    const now = Date.now();
    privacyDeleteAndEmit(emitter(), portal, forgotten.id, now);
    deleteAndEmit(emitter(), portal, 'companies', gone.id, now);
    mergeAndEmit(emitter(), portal, 'companies', primary.id, loser.id, now);
    moveContactAndEmit(emitter(), portal, mover.id, target.id, now);
    await emitter().flush();
    await server.idle();
    // Every delivery was taken (a null or an unknown field never cost a batch).
    expect(emitter().stats.failures).toBe(failuresBefore);

    // The person is forgotten: no mirror row, no tier, no history.
    const mirror = await mirrored();
    expect(mirror.has(`contact:${forgotten.id}`)).toBe(false);
    expect(await store.storedTier(installation.id, 'contact', forgotten.id)).toBeUndefined();
    expect(await store.history(installation.id, 'contact', forgotten.id)).toEqual([]);
    // The deleted company left the mirror (its history stays); the merged one's history moved.
    expect(mirror.has(`company:${gone.id}`)).toBe(false);
    expect(mirror.has(`company:${loser.id}`)).toBe(false);
    expect(await store.history(installation.id, 'company', loser.id)).toEqual([]);
    expect((await store.history(installation.id, 'company', primary.id)).length).toBeGreaterThan(0);
    // The moved contact belongs to its new company.
    expect(mirror.get(`contact:${mover.id}`)?.companyId).toBe(target.id);
  }, 30_000);
});
