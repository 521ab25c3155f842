/**
 * `serve` on a SQLite file runs its syncs on a thread of their own (src/server/run-thread.ts): a
 * run asked for through the admin API runs on another thread than the HTTP server's (its log
 * lines, written by the server's logger, carry that thread's id), its metrics reach the server's
 * `/metrics`, and `GET /api/queue` lists it failing with its error. A crashed runs thread is logged
 * and started again, and runs on; after one that died mid-run, the next thread runs the installation
 * once the dead run's lease expires, each record written once. A `:memory:` store keeps the runs on the server's thread.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { serverConfig } from '../../src/app/config.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { parseEnv } from '../../src/app/env.ts';
import { LEASE_HELD } from '../../src/jobs/index.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { startRunThread, type RunThread } from '../../src/server/run-thread.ts';
import { serve, type RunningServer } from '../../src/server/serve.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from '../e2e/helpers.ts';
import { policy, sleep } from '../jobs/fixtures.ts';

const ADMIN = 'admin-token-for-run-thread';
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const KEY = Buffer.alloc(32, 6);
const env = { RIGHTTOUCH_SECRET_KEY: KEY.toString('base64'), RIGHTTOUCH_ADMIN_TOKEN: ADMIN };

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly thread?: number;
  readonly installation?: string;
  readonly error?: string;
}

/** A logger whose JSON lines the test reads. */
function capture(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine);
        done();
      },
    }),
  });
  return { logger, lines };
}

/** The value of one sample line of /metrics, e.g. `righttouch_queue_depth{state="running"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

let server: RunningServer | undefined;
let thread: RunThread | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await thread?.stop();
  thread = undefined;
});

async function runNow(running: RunningServer, installationId: string): Promise<void> {
  const answer = await fetch(`${running.url}/api/installations/${installationId}/runs`, {
    method: 'POST',
    headers: admin,
    body: '{}',
  });
  expect(answer.status).toBe(202);
  await running.idle();
}

describe('serve on a SQLite file: the runs thread', () => {
  test('a run asked for through the admin API runs off the HTTP thread; its metrics and its failure show on the server', async () => {
    const { logger, lines } = capture();
    server = await serve({ data: join(tempDir(), 'righttouch.db'), port: 0, logger }, env);
    // No tokens: the run fails with needs_reconnect (not retried), as a real run of the server's executor.
    const installation = await server.store.upsertInstallation('hubspot', '7001', 'No tokens');
    await runNow(server, installation.id);

    const failed = lines.find((line) => line.msg === 'sync failed' && line.installation === installation.id);
    expect(failed).toMatchObject({ level: 40, error: `no HubSpot tokens for installation ${installation.id}` });
    // Written by the server's logger, from another thread than the one serving HTTP (this one).
    expect(typeof failed?.thread).toBe('number');
    expect(failed?.thread).not.toBe(threadId);
    // What the thread wrote to the shared file is the server's to read.
    expect(await server.store.getInstallation(installation.id)).toMatchObject({ status: 'needs_reconnect' });

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(text, 'righttouch_runs_total{crm="hubspot",status="failed"}')).toBe(1);
    expect(sample(text, 'righttouch_run_failures_total{reason="now",code="needs_reconnect"}')).toBe(1);
    expect(sample(text, 'righttouch_run_duration_seconds_count{reason="now",status="failed"}')).toBe(1);
    expect(sample(text, 'righttouch_queue_wait_seconds_count{reason="now"}')).toBe(1);
    // The depth gauge reads the thread's queue.
    expect(sample(text, 'righttouch_queue_depth{state="running"}')).toBe(0);
    expect(sample(text, 'righttouch_queue_depth{state="queued"}')).toBe(0);

    const queue = (await (await fetch(`${server.url}/api/queue`, { headers: admin })).json()) as {
      engine: string;
      failing: { installationId: string; state: string; reason: string; attempts: number; lastError?: string }[];
    };
    expect(queue.engine).toBe('embedded');
    expect(queue.failing).toEqual([
      expect.objectContaining({
        installationId: installation.id,
        state: 'failed',
        reason: 'now',
        attempts: 1,
        lastError: `no HubSpot tokens for installation ${installation.id}`,
      }),
    ]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 60_000);

  test('while the runs thread waits in a synchronous SQLite call, /healthz answers; the queue view waits for the thread', async () => {
    const dataFile = join(tempDir(), 'righttouch.db');
    server = await serve({ data: dataFile, port: 0, logger: capture().logger }, env);
    const installation = await server.store.upsertInstallation('hubspot', '7003');
    // Another connection holds the file's write lock: the run's lease write waits in node:sqlite's
    // busy timeout (a synchronous call), holding up its thread's event loop.
    const lock = new DatabaseSync(dataFile);
    lock.exec('BEGIN IMMEDIATE');
    let queueAnswered = false;
    let queueView: Promise<Response> | undefined;
    try {
      const asked = await fetch(`${server.url}/api/installations/${installation.id}/runs`, {
        method: 'POST',
        headers: admin,
        body: '{}',
      });
      expect(asked.status).toBe(202);
      // The thread takes its messages in order: the run (now stuck), then this call.
      queueView = fetch(`${server.url}/api/queue`, { headers: admin }).then((answer) => {
        queueAnswered = true;
        return answer;
      });
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(queueAnswered).toBe(false);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect((await queueView).status).toBe(200);
    await server.idle();
    // Once the lock was let go, the run went on (and failed for want of tokens).
    expect(await server.store.getInstallation(installation.id)).toMatchObject({ status: 'needs_reconnect' });
  }, 60_000);

  test('a :memory: store keeps the runs on the server’s thread', async () => {
    const { logger, lines } = capture();
    server = await serve({ data: ':memory:', port: 0, logger }, env);
    const installation = await server.store.upsertInstallation('hubspot', '7002');
    await runNow(server, installation.id);
    const failed = lines.find((line) => line.msg === 'sync failed' && line.installation === installation.id);
    expect(failed).toBeDefined();
    expect(failed?.thread).toBeUndefined();
  }, 30_000);
});

describe('the runs thread', () => {
  test('a crash is logged, the thread starts again and runs on; the metrics count on across it', async () => {
    const dataFile = join(tempDir(), 'righttouch.db');
    const store = new SqliteStore(dataFile);
    await store.migrate();
    const first = await store.upsertInstallation('hubspot', '7101');
    const second = await store.upsertInstallation('hubspot', '7102');
    const { logger, lines } = capture();
    const metrics = createMetrics();
    try {
      thread = await startRunThread({ env, dataFile, key: KEY, logger, metrics, restartDelayMs: 100 });
      const before = thread.threadId;
      expect(before).toBeDefined();
      expect(before).not.toBe(threadId);
      await thread.queue.enqueue({ installationId: first.id, reason: 'now', kind: 'incremental' });
      await thread.queue.idle();
      const ran = lines.find((line) => line.msg === 'sync failed' && line.installation === first.id);
      expect(ran?.thread).toBe(before);

      await thread.crash();
      const stoppedLine = lines.find((line) => line.msg.startsWith('the runs thread stopped'));
      expect(stoppedLine).toMatchObject({ level: 50, thread: before });
      for (let i = 0; i < 300 && thread.threadId === undefined; i++) await sleep(50);
      const after = thread.threadId;
      expect(after).toBeDefined();
      expect(after).not.toBe(before);

      await thread.queue.enqueue({ installationId: second.id, reason: 'now', kind: 'incremental' });
      await thread.queue.idle();
      expect(lines.find((line) => line.msg === 'sync failed' && line.installation === second.id)?.thread).toBe(after);
      expect(await store.getInstallation(second.id)).toMatchObject({ status: 'needs_reconnect' });
      const text = await metrics.registry.metrics();
      expect(sample(text, 'righttouch_run_failures_total{reason="now",code="needs_reconnect"}')).toBe(2);
    } finally {
      await thread?.stop();
      thread = undefined;
      await store.close();
    }
  }, 60_000);

  test('a thread that dies mid-run: the next one runs the installation once the lease expires, writing each record once', async () => {
    const portal = generatePortal({ seed: 19, companies: 12, contacts: 20, deals: 15 });
    const crm: RunningSandbox = await createSandbox({ portal, token: 'AT-sandbox' }).listen(0);
    // In front of the sandbox: holds every request while `hold` is on (the run hangs at its first
    // call, holding the installation's lease); forwards them after, noting the tier writes.
    let hold = true;
    let reached = (): void => undefined;
    const reachedCrm = new Promise<void>((done) => (reached = done));
    const written: string[] = [];
    const proxy = createServer((req, res) => {
      if (hold) {
        reached();
        return;
      }
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        if (req.method === 'POST' && req.url?.startsWith('/crm/v3/objects/companies/batch/update') === true) {
          for (const input of (JSON.parse(body.toString()) as { inputs: { id: string }[] }).inputs)
            written.push(input.id);
        }
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            (entry): entry is [string, string] =>
              typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0]),
          ),
        );
        const answer = await fetch(`${crm.url}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers,
          ...(body.length === 0 ? {} : { body }),
        });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      })();
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    const crmEnv = { ...env, HUBSPOT_API_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };

    const dataFile = join(tempDir(), 'righttouch.db');
    const store = new SqliteStore(dataFile);
    await store.migrate();
    const installation = await store.upsertInstallation('hubspot', String(portal.portalId));
    await store.savePolicy(installation.id, policy);
    await new Credentials({ store, key: KEY, config: serverConfig(parseEnv(crmEnv)) }).save(installation.id, {
      crm: 'hubspot',
      accessToken: 'AT-sandbox',
      refreshToken: 'RT-sandbox',
      expiresAt: Date.now() + 3_600_000,
      scopes: [],
    });
    const { logger, lines } = capture();
    try {
      thread = await startRunThread({
        env: crmEnv,
        dataFile,
        key: KEY,
        logger,
        metrics: createMetrics(),
        restartDelayMs: 100,
        leaseTtlMs: 15_000,
      });
      await thread.queue.enqueue({ installationId: installation.id, reason: 'now', kind: 'full' });
      await reachedCrm;
      const before = thread.threadId;
      await thread.crash();
      for (let i = 0; i < 300 && (thread.threadId === undefined || thread.threadId === before); i++) await sleep(50);
      hold = false;
      // The dead thread's "sync now" went with it: asked again, it waits for the dead run's lease.
      await thread.queue.enqueue({ installationId: installation.id, reason: 'now', kind: 'full' });
      let runs = await store.listRuns(installation.id);
      for (let i = 0; i < 600 && !runs.some((run) => run.status === 'succeeded'); i++) {
        await sleep(100);
        runs = await store.listRuns(installation.id);
      }
      // Held at its first call, the dead run had recorded nothing; its lease held the next one off
      // until it expired (no renewal from a dead thread), then that one ran, once.
      expect(runs.map((run) => [run.kind, run.status])).toEqual([['full', 'succeeded']]);
      const after = thread.threadId;
      expect(lines.some((line) => line.thread === after && line.msg.endsWith(`skipped: ${LEASE_HELD}`))).toBe(true);
      expect(written.length).toBeGreaterThan(0);
      expect(new Set(written).size).toBe(written.length);
    } finally {
      await thread?.stop();
      thread = undefined;
      await store.close();
      proxy.closeAllConnections();
      await new Promise((done) => proxy.close(done));
      await crm.close();
    }
  }, 90_000);

  test('a thread that cannot start fails the start, with its reason', async () => {
    const { logger } = capture();
    // A folder where the file should be: the thread's store cannot open it.
    await expect(
      startRunThread({ env, dataFile: tempDir(), key: KEY, logger, metrics: createMetrics() }),
    ).rejects.toThrow(/the runs thread ended before it was ready/);
  }, 30_000);
});
