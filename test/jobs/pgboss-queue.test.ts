/**
 * The run queue on pg-boss (PostgreSQL from test/store/postgres-setup.ts): several workers on one
 * database, one job per tick whichever clock fires first, requests merged per installation,
 * failures retried with back-off and shown, a killed worker's run finished by another.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { createPgBossQueue, tickJobId } from '../../src/jobs/pgboss-queue.ts';
import { emptyAffected } from '../../connectors/hubspot/webhooks/events.ts';
import type { RunOutcome, RunQueue, RunRequest } from '../../src/jobs/index.ts';
import type { RunRecord } from '../../src/store/store.ts';
import { sleep } from './fixtures.ts';

const url = inject('databaseUrl');
const unavailable = inject('postgresUnavailable');
const describePg = url === '' ? describe.skip : describe;
if (url === '') console.warn(`pg-boss queue tests skipped: ${unavailable}`);

const queues: RunQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.stop();
});

const noRuns = { listRuns: () => Promise.resolve([] as RunRecord[]) };
const RAN: RunOutcome = { status: 'skipped', reason: 'test: ran' };

async function worker(
  schema: string,
  execute: (request: RunRequest, signal: AbortSignal) => Promise<RunOutcome>,
  extra: Partial<Parameters<typeof createPgBossQueue>[0]> = {},
): Promise<RunQueue> {
  const queue = await createPgBossQueue({
    connectionString: url,
    schema,
    store: noRuns,
    execute,
    pollingIntervalSeconds: 0.5,
    superviseIntervalSeconds: 1,
    ...extra,
  });
  queues.push(queue);
  return queue;
}

const newSchema = (): string => `boss_${randomBytes(6).toString('hex')}`;

describePg('pg-boss run queue', () => {
  test('one tick never starts two runs, whichever worker sends it first, even after it ran', async () => {
    const schema = newSchema();
    const ran: string[] = [];
    const execute = async (request: RunRequest) => {
      ran.push(`${request.installationId}:${request.slot}`);
      await sleep(50);
      return RAN;
    };
    const a = await worker(schema, execute);
    const b = await worker(schema, execute);
    const tick = { installationId: 'i1', reason: 'tick', kind: 'incremental', slot: 60_000 } as const;
    await Promise.all([a.enqueue(tick), b.enqueue(tick)]);
    await a.idle();
    await sleep(300);
    await b.enqueue(tick); // a late clock, after the run ended
    await sleep(1200);
    await a.idle();
    expect(ran).toEqual(['i1:60000']);
    await a.enqueue({ ...tick, slot: 120_000 });
    await a.idle();
    await sleep(600);
    expect(ran).toEqual(['i1:60000', 'i1:120000']);
    expect(tickJobId('i1', 'tick', 60_000)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test('requests for a waiting installation merge into one job; each installation runs one at a time', async () => {
    const schema = newSchema();
    const producer = await worker(schema, () => Promise.resolve(RAN), { work: false });
    const first = emptyAffected();
    first.companies.add('a');
    const second = emptyAffected();
    second.companies.add('b');
    second.removals.deals.add('d9');
    await producer.enqueue({ installationId: 'i1', reason: 'webhook', kind: 'incremental', affected: first });
    await producer.enqueue({ installationId: 'i1', reason: 'webhook', kind: 'incremental', affected: second });
    await producer.enqueue({ installationId: 'i1', reason: 'now', kind: 'full' });
    await producer.enqueue({ installationId: 'i2', reason: 'now', kind: 'incremental' });
    const waiting = await producer.snapshot();
    expect(waiting.queued.map((entry) => [entry.installationId, entry.kind, entry.reason])).toEqual([
      ['i1', 'full', 'now'],
      ['i2', 'incremental', 'now'],
    ]);
    const seen: RunRequest[] = [];
    const consumer = await worker(schema, (request) => {
      seen.push(request);
      return Promise.resolve(RAN);
    });
    await consumer.idle();
    await sleep(300);
    expect(seen.map((r) => r.installationId).sort()).toEqual(['i1', 'i2']);
    const merged = seen.find((r) => r.installationId === 'i1');
    expect(merged?.kind).toBe('full');
    expect([...(merged?.affected?.companies ?? [])].sort()).toEqual(['a', 'b']);
    expect([...(merged?.affected?.removals.deals ?? [])]).toEqual(['d9']);
  });

  test('a worker starts waiting jobs as they come and back to back, not one per polling interval a slot', async () => {
    const schema = newSchema();
    const ran: string[] = [];
    // Polling every 20 s: without NOTIFY a one-slot worker would start one job per 20 s at best.
    const busy = await worker(
      schema,
      async (request) => {
        ran.push(request.installationId);
        await sleep(20);
        return RAN;
      },
      { concurrency: 1, pollingIntervalSeconds: 20 },
    );
    const producer = await worker(schema, () => Promise.resolve(RAN), { work: false });
    await sleep(500); // the worker's first (empty) fetch is behind it: it now waits for its next poll
    const started = Date.now();
    for (const id of ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']) {
      await producer.enqueue({ installationId: id, reason: 'now', kind: 'incremental' });
    }
    while (ran.length < 6 && Date.now() - started < 15_000) await sleep(50);
    expect(ran.sort()).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6']);
    expect(Date.now() - started).toBeLessThan(15_000);
    await busy.idle();
  });

  test('a run that keeps failing is retried with back-off and shows with its error', async () => {
    const schema = newSchema();
    const attempts: number[] = [];
    const queue = await worker(
      schema,
      () => {
        attempts.push(Date.now());
        return Promise.resolve({ status: 'failed', error: 'HubSpot answered 502 Bad Gateway', code: 'crm_error' });
      },
      { retryDelayMs: 1000, retryLimit: 1 },
    );
    await queue.enqueue({ installationId: 'flaky', reason: 'now', kind: 'incremental' });
    for (let i = 0; i < 50 && attempts.length < 1; i++) await sleep(100);
    await sleep(300);
    const retrying = await queue.snapshot();
    expect(retrying.failing).toEqual([
      expect.objectContaining({
        installationId: 'flaky',
        state: 'retrying',
        lastError: 'HubSpot answered 502 Bad Gateway',
      }),
    ]);
    expect(retrying.failing[0]?.retryAt).toBeGreaterThan(attempts[0] ?? 0);
    for (let i = 0; i < 80 && attempts.length < 2; i++) await sleep(100);
    await sleep(500);
    expect(attempts).toHaveLength(2);
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(900);
    const given = await queue.snapshot();
    expect(given.failing).toEqual([
      expect.objectContaining({
        installationId: 'flaky',
        state: 'failed',
        attempts: 2,
        lastError: 'HubSpot answered 502 Bad Gateway',
      }),
    ]);
  });

  test('a worker started with other retry settings brings the existing queue to them; jobs sent after take them', async () => {
    const schema = newSchema();
    const heard: string[] = [];
    const onSettingsChanged = (message: string) => heard.push(message);
    // The first process (an earlier release, say) created the queue with no retries.
    const first = await worker(schema, () => Promise.resolve(RAN), { work: false, retryLimit: 0, onSettingsChanged });
    expect(heard).toEqual([]);
    await first.stop();
    queues.splice(queues.indexOf(first), 1);

    const attempts: number[] = [];
    const failing = () => {
      attempts.push(Date.now());
      return Promise.resolve<RunOutcome>({ status: 'failed', error: 'HubSpot answered 502', code: 'crm_error' });
    };
    const second = await worker(schema, failing, { retryLimit: 2, retryDelayMs: 1000, onSettingsChanged });
    expect(heard).toEqual([expect.stringContaining('retryLimit 0 → 2, retryDelay 30 → 1') as unknown]);
    // A third process with the same settings finds nothing to change.
    await worker(schema, () => Promise.resolve(RAN), {
      work: false,
      retryLimit: 2,
      retryDelayMs: 1000,
      onSettingsChanged,
    });
    expect(heard).toHaveLength(1);

    await second.enqueue({ installationId: 'flaky', reason: 'now', kind: 'incremental' });
    for (let i = 0; i < 200 && attempts.length < 3; i++) await sleep(100);
    await sleep(500);
    expect(attempts).toHaveLength(3); // with the first process's settings: 1
    expect((await second.snapshot()).failing).toEqual([
      expect.objectContaining({ installationId: 'flaky', state: 'failed', attempts: 3 }),
    ]);
  });
});
