/**
 * `npm run bench:webhook`: webhook → tier on the record. The server (`serve()`: webhook receiver,
 * debounced queue, jobs) runs against the sandbox with HubSpot's public-app rate limits; 200 deal
 * changes arrive as signed webhooks at random intervals (50–600 ms), each making its company's
 * tier change. Latency per change = from the change in the CRM to the moment the sandbox shows the
 * company's new engagement model. Reports p50/p95/max (target p95 ≤ 10 s). Always exits 0.
 * Options: --changes N (default 200).
 */
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generatePortal } from '../sandbox/hubspot/generate.ts';
import { createRng } from '../sandbox/shared/prng.ts';
import { createSandbox } from '../sandbox/hubspot/server.ts';
import { winDealAndEmit } from '../sandbox/hubspot/webhooks.ts';
import { Credentials } from '../src/app/connectors.ts';
import { createLogger } from '../src/server/logger.ts';
import { serve } from '../src/server/serve.ts';
import { secretKey } from '../src/store/secrets.ts';

const { values } = parseArgs({ options: { changes: { type: 'string' } } });
const CHANGES = Number(values.changes ?? 200);
const TARGET_P95_MS = 10_000;
const log = (text: string): void => void process.stderr.write(`${text}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const port = await freePort();
const portal = generatePortal({ seed: 42, companies: 2000, contacts: 8000, deals: 3000 });
const sandbox = createSandbox({
  portal,
  token: 'AT',
  webhooks: {
    targetUrl: `http://127.0.0.1:${port}/webhooks/hubspot`,
    clientSecret: 'bench-secret',
    appId: 1,
    batchMs: 100,
  },
});
const crm = await sandbox.listen(0);
const emitter = sandbox.webhooks;
if (emitter === undefined) throw new Error('the sandbox was started without webhooks');
const dir = await mkdtemp(join(tmpdir(), 'righttouch-webhook-bench-'));
const env = {
  HUBSPOT_CLIENT_ID: 'cid',
  HUBSPOT_CLIENT_SECRET: 'bench-secret',
  HUBSPOT_APP_ID: '1',
  HUBSPOT_API_URL: crm.url,
  PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 2).toString('base64'),
};
// The server's defaults: webhook runs after 1 s of quiet (a change waits at most 4 s), schedule every 15 minutes.
const server = await serve({ data: join(dir, 'r.db'), port, logger: createLogger({ level: 'silent' }) }, env);
try {
  const installation = await server.store.upsertInstallation('hubspot', String(portal.portalId));
  await new Credentials({ store: server.store, key: secretKey(env, dir), config: server.config }).save(
    installation.id,
    {
      crm: 'hubspot',
      accessToken: 'AT',
      refreshToken: 'RT',
      expiresAt: Date.now() + 6 * 3_600_000,
      scopes: [],
    },
  );
  log('first full sync of the 2,000-company portal (HubSpot limits) …');
  const { runInstallationSync } = await import('../src/jobs/index.ts');
  await runInstallationSync(
    {
      store: server.store,
      holder: 'bench',
      connectorFor: (i) =>
        new Credentials({ store: server.store, key: secretKey(env, dir), config: server.config }).connectorFor(i),
    },
    installation.id,
    'full',
  );

  // Tech-touch companies with a deal, each moved to Mid-touch by a 30,000 won deal (Mid-touch has
  // no capacity, so every change moves its company), each company once.
  const byCompany = new Map<string, typeof portal.objects.deals.records extends Map<string, infer D> ? D : never>();
  for (const d of portal.objects.deals.records.values()) {
    const owner = d.companyId === null ? undefined : portal.objects.companies.records.get(d.companyId);
    if (owner?.properties['engagement_model'] === 'tech_touch' && !byCompany.has(owner.id)) byCompany.set(owner.id, d);
  }
  const deals = [...byCompany.values()];
  const rng = createRng(7);
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  log(`${CHANGES} deal changes by webhook …`);
  for (let i = 0; i < Math.min(CHANGES, deals.length); i++) {
    const deal = deals[i];
    const company =
      deal?.companyId === null || deal === undefined ? undefined : portal.objects.companies.records.get(deal.companyId);
    if (deal === undefined || company === undefined) continue;
    const started = Date.now();
    const beforeTier = company.properties['engagement_model'];
    winDealAndEmit(emitter, portal, deal, '30000', started);
    pending.push(
      (async () => {
        while (company.properties['engagement_model'] === beforeTier && Date.now() - started < 120_000) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        latencies.push(Date.now() - started);
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, rng.int(50, 600)));
  }
  await Promise.all(pending);
  await server.idle();
  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const runs = (await server.store.listRuns(installation.id, 1000)).filter((run) => run.kind !== 'full');
  const kinds = new Map<string, number>();
  for (const run of runs) kinds.set(run.kind, (kinds.get(run.kind) ?? 0) + 1);
  const calls = runs.map((run) => run.counts?.['apiCalls'] ?? 0).sort((a, b) => a - b);
  process.stdout.write(
    [
      '',
      `webhook → tier on the record, ${sorted.length} changes (server defaults: 1 s of quiet, at most 4 s; HubSpot limits on the sandbox)`,
      `  p50 ${(p50 / 1000).toFixed(2)} s   p95 ${(p95 / 1000).toFixed(2)} s   max ${((sorted.at(-1) ?? 0) / 1000).toFixed(2)} s`,
      `  runs after the full sync: ${[...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ')}; API calls per run: median ${percentile(calls, 50)}, max ${calls.at(-1) ?? 0}`,
      `  p95 ≤ ${TARGET_P95_MS / 1000} s: ${p95 <= TARGET_P95_MS ? 'PASS' : 'FAIL'}`,
      '',
    ].join('\n'),
  );
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await sandbox.webhooks?.close();
  await server.close();
  await crm.close();
  await rm(dir, { recursive: true, force: true });
}
