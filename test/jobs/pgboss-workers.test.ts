/**
 * Worker processes on one PostgreSQL (test/jobs/boss-worker.ts: the pg-boss run queue and the
 * schedule, as `righttouch worker` runs them): installations added to the store are shared by
 * every worker, each tick runs once, an uninstall reaches every worker, and a worker killed with
 * SIGKILL mid-run has its run finished by another — once. Beside a `serve --no-worker` process
 * (test/jobs/serve-process.ts, process A): a settings change made through A's admin API reaches
 * worker B's schedule without a restart, and B's failing runs show in A's queue view with their
 * error, retried with back-off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { tickOffset } from '../../src/jobs/index.ts';
import { createPgBossQueue } from '../../src/jobs/pgboss-queue.ts';
import type { Store } from '../../src/store/store.ts';
import { openStoreSpec } from '../store/store-spec.ts';
import { policy, sleep } from './fixtures.ts';

const url = inject('databaseUrl');
const describePg = url === '' ? describe.skip : describe;
const WORKER = fileURLToPath(new URL('./boss-worker.ts', import.meta.url));
const SERVE = fileURLToPath(new URL('./serve-process.ts', import.meta.url));
const ADMIN = 'admin-token-of-process-a';

interface Line {
  readonly holder: string;
  readonly installationId: string;
  readonly reason: string;
  readonly slot?: number;
  readonly status: string;
  readonly runId?: string;
}

class Worker {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  constructor(args: Record<string, unknown>, script = WORKER) {
    this.child = spawn(process.execPath, ['--no-warnings', script, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }
  async waitFor(line: string, timeoutMs = 20_000): Promise<void> {
    await this.waitForStart(line, timeoutMs);
  }
  /** The first line that starts with `start`, once printed. */
  async waitForStart(start: string, timeoutMs = 20_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => line.startsWith(start));
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > until) {
        throw new Error(`process did not print "${start}" (exit ${String(this.child.exitCode)}):\n${this.stderr}`);
      }
      await sleep(50);
    }
  }
  outcomes(): Line[] {
    return this.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Line);
  }
}

const workers: Worker[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  for (const store of stores.splice(0)) await store.close();
});

async function setUp(): Promise<{ store: Store; args: Record<string, unknown> }> {
  const spec = { engine: 'postgres' as const, url, schema: `t_${randomBytes(6).toString('hex')}` };
  const store = openStoreSpec(spec);
  stores.push(store);
  await store.migrate();
  return { store, args: { store: spec, bossSchema: `boss_${randomBytes(6).toString('hex')}`, leaseTtlMs: 3000 } };
}

/** Process A: `serve --no-worker` over the same store (its schema by the URL's search_path) and pg-boss schema. */
async function startServe(args: Record<string, unknown>): Promise<string> {
  const spec = args['store'] as { url: string; schema: string };
  const databaseUrl = new URL(spec.url);
  databaseUrl.searchParams.set('options', `-c search_path=${spec.schema}`);
  const front = new Worker(
    { databaseUrl: databaseUrl.toString(), bossSchema: args['bossSchema'], adminToken: ADMIN },
    SERVE,
  );
  workers.push(front);
  return (await front.waitForStart('ready ', 60_000)).slice('ready '.length);
}

async function admin<T>(url: string, path: string, method = 'GET', body?: unknown): Promise<T> {
  const answer = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`);
  return (await answer.json()) as T;
}

async function install(store: Store, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const installation = await store.upsertInstallation('hubspot', `portal-${randomBytes(3).toString('hex')}`);
    await store.savePolicy(installation.id, policy);
    ids.push(installation.id);
  }
  return ids;
}

describePg('pg-boss workers in several processes', () => {
  test('installations added after the workers started are shared by both; each tick runs once; an uninstall stops both', async () => {
    const { store, args } = await setUp();
    const a = new Worker({ ...args, holder: 'worker-a', everyMinutes: 0.05 });
    const b = new Worker({ ...args, holder: 'worker-b', everyMinutes: 0.05 });
    workers.push(a, b);
    await Promise.all([a.waitFor('ready'), b.waitFor('ready')]);
    // Installed after both started (as if through worker A's serve): nothing tells the workers.
    const ids = await install(store, 6);
    await sleep(10_000);
    const ran = [...a.outcomes(), ...b.outcomes()].filter((line) => line.status === 'ran');
    const ticks = ran.filter((line) => line.reason === 'tick');
    // Every installation synced, by both workers between them.
    expect(new Set(ran.map((line) => line.installationId))).toEqual(new Set(ids));
    expect(a.outcomes().filter((line) => line.status === 'ran').length).toBeGreaterThan(0);
    expect(b.outcomes().filter((line) => line.status === 'ran').length).toBeGreaterThan(0);
    // One run per installation per tick, whichever worker's clock got there first.
    const keys = ticks.map((line) => `${line.installationId}:${String(line.slot)}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Runs of one installation never overlap (stately queue + the lease).
    for (const id of ids) {
      const runs = (await store.listRuns(id, 100)).sort((x, y) => x.startedAt - y.startedAt);
      for (let i = 1; i < runs.length; i++) {
        expect(runs[i]?.startedAt).toBeGreaterThanOrEqual(runs[i - 1]?.endedAt ?? Infinity);
      }
    }

    const [gone = ''] = ids;
    await store.forgetInstallation(gone, Date.now());
    const syncsOf = (installationId: string): number =>
      [...a.outcomes(), ...b.outcomes()].filter((l) => l.installationId === installationId && l.status === 'ran')
        .length;
    await sleep(1500);
    const before = syncsOf(gone);
    const others = syncsOf(ids[1] ?? '');
    await sleep(4000);
    const after = syncsOf(gone);
    expect(syncsOf(ids[1] ?? '')).toBeGreaterThan(others);
    expect(after).toBe(before);
  }, 40_000);

  test('a worker killed mid-run: another finishes the installation’s run once, nothing lost', async () => {
    const { store, args } = await setUp();
    const [id = ''] = await install(store, 1);
    const doomed = new Worker({ ...args, holder: 'doomed', everyMinutes: 60, hang: true });
    workers.push(doomed);
    await doomed.waitFor('ready');
    const producer = await createPgBossQueue({
      connectionString: url,
      schema: String(args['bossSchema']),
      store,
      work: false,
      // The workers' queue settings (boss-worker.ts), as the processes of one release have: each
      // process that starts brings the queue to its own (a 30-second heartbeat would outlast the test).
      retryDelayMs: 1000,
      heartbeatSeconds: 10,
      execute: () => Promise.reject(new Error('not a worker')),
    });
    try {
      await producer.enqueue({ installationId: id, reason: 'now', kind: 'full' });
      await doomed.waitFor('reading');
      const survivor = new Worker({ ...args, holder: 'survivor', everyMinutes: 60 });
      workers.push(survivor);
      await survivor.waitFor('ready');
      expect((await producer.snapshot()).running.map((entry) => entry.installationId)).toEqual([id]);
      doomed.child.kill('SIGKILL');
      const killedAt = Date.now();
      while (!survivor.outcomes().some((line) => line.status === 'ran') && Date.now() - killedAt < 40_000) {
        await sleep(200);
      }
      const ran = survivor.outcomes().filter((line) => line.status === 'ran');
      expect(ran.map((line) => [line.installationId, line.reason])).toEqual([[id, 'now']]);
      await sleep(1500);
      expect(survivor.outcomes().filter((line) => line.status === 'ran')).toHaveLength(1);
      const runs = await store.listRuns(id, 10);
      // The dead worker's run, ended as interrupted when the survivor's began; one run succeeded.
      expect(runs.map((run) => [run.kind, run.status])).toEqual([
        ['full', 'succeeded'],
        ['full', 'failed'],
      ]);
      expect(runs[1]?.errors?.[0]).toMatch(/^interrupted/);
      expect((await producer.snapshot()).running).toEqual([]);
    } finally {
      await producer.stop();
    }
  }, 60_000);

  test('a settings change made through process A’s admin API reaches worker B’s schedule, without a restart', async () => {
    const { store, args } = await setUp();
    const [id = ''] = await install(store, 1);
    // Once a day: no tick of it falls in this test, unless the change reaches B.
    await store.saveSettings(id, { syncEveryMinutes: 1440 });
    const url = await startServe(args);
    const b = new Worker({ ...args, holder: 'worker-b', everyMinutes: 60 });
    workers.push(b);
    await b.waitFor('ready');
    await sleep(1500);
    expect(b.outcomes().filter((line) => line.installationId === id)).toEqual([]);

    const changedAt = Date.now();
    await admin(url, `/api/installations/${id}/settings`, 'PUT', { syncEveryMinutes: 1 });
    // Its next tick at the 1-minute cadence falls within a minute, at its own offset.
    const installation = await store.getInstallation(id);
    const offset = installation === undefined ? -1 : tickOffset(installation, 60_000);
    let tick: Line | undefined;
    while (tick === undefined && Date.now() - changedAt < 75_000) {
      await sleep(250);
      tick = b.outcomes().find((line) => line.installationId === id && line.reason === 'tick');
    }
    expect(tick).toMatchObject({ holder: 'worker-b', status: 'ran' });
    expect(tick?.slot).toBeGreaterThan(changedAt - 60_000);
    expect((tick?.slot ?? 0) % 60_000).toBe(offset);
  }, 120_000);

  test('a run that keeps failing on worker B backs off and shows in process A’s admin API with its error', async () => {
    const { store, args } = await setUp();
    const [id = ''] = await install(store, 1);
    const url = await startServe(args);
    const b = new Worker({ ...args, holder: 'worker-b', everyMinutes: 60, failing: [id] });
    workers.push(b);
    await b.waitFor('ready');
    await admin(url, `/api/installations/${id}/runs`, 'POST', {});

    type Queue = {
      engine: string;
      failing: { installationId: string; state: string; attempts: number; lastError?: string; retryAt?: number }[];
    };
    const seen: Queue['failing'] = [];
    const startedAt = Date.now();
    for (;;) {
      const queue = await admin<Queue>(url, '/api/queue');
      expect(queue.engine).toBe('pg-boss');
      seen.push(...queue.failing.filter((entry) => entry.installationId === id));
      if (seen.at(-1)?.state === 'failed' || Date.now() - startedAt > 60_000) break;
      await sleep(200);
    }
    // Retried (with its next try shown) before it was given up, every time for the CRM's error.
    const retrying = seen.find((entry) => entry.state === 'retrying');
    expect(retrying?.lastError).toBe('HubSpot answered 502 Bad Gateway');
    expect(retrying?.retryAt).toBeTypeOf('number');
    expect(seen.at(-1)).toMatchObject({ state: 'failed', attempts: 4, lastError: 'HubSpot answered 502 Bad Gateway' });
    const attempts = b.outcomes().filter((line) => line.installationId === id);
    expect(attempts.map((line) => [line.reason, line.status])).toEqual(Array(4).fill(['now', 'failed']));
  }, 90_000);
});
