/**
 * What the pg-boss run queue does with pg-boss's jobs beyond send and work (src/jobs/pgboss-jobs.ts):
 * two processes merging requests into one waiting job at once lose none of them, and the one
 * statement that reads pg-boss's job table by its columns (running and finished jobs) still finds
 * them and agrees with pg-boss's own `findJobs` — it fails here first if pg-boss renames them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PgBoss } from 'pg-boss';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { emptyAffected } from '../../connectors/hubspot/webhooks/events.ts';
import { runningAndFinished } from '../../src/jobs/pgboss-jobs.ts';
import { createPgBossQueue, SYNC_QUEUE } from '../../src/jobs/pgboss-queue.ts';
import type { RunQueue } from '../../src/jobs/index.ts';
import { gate, sleep } from './fixtures.ts';

const url = inject('databaseUrl');
const describePg = url === '' ? describe.skip : describe;
const PRODUCER = fileURLToPath(new URL('./boss-producer.ts', import.meta.url));

const children: ChildProcess[] = [];
const queues: RunQueue[] = [];
const bosses: PgBoss[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const queue of queues.splice(0)) await queue.stop();
  for (const boss of bosses.splice(0)) await boss.stop({ graceful: false, close: true });
});

const noRuns = { listRuns: () => Promise.resolve([]) };
const newSchema = (): string => `boss_${randomBytes(6).toString('hex')}`;

/** A producer process; resolves with it once it printed `line`. */
function output(child: ChildProcess): { waitFor(line: string): Promise<void> } {
  let text = '';
  let errors = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  return {
    async waitFor(line) {
      const until = Date.now() + 60_000;
      while (!text.split('\n').includes(line)) {
        if (child.exitCode !== null || Date.now() > until)
          throw new Error(`no "${line}" (exit ${child.exitCode}):\n${errors}`);
        await sleep(50);
      }
    },
  };
}

/** pg-boss itself, to read jobs as its API shows them. */
async function inspector(schema: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: url, schema, schedule: false, supervise: false });
  bosses.push(boss);
  await boss.start();
  return boss;
}

describePg('pg-boss jobs', () => {
  test('two processes merging requests into one waiting job at once lose none of them', async () => {
    const schema = newSchema();
    // A queue that only takes requests: the installation's job stays waiting.
    const front = await createPgBossQueue({
      connectionString: url,
      schema,
      store: noRuns,
      work: false,
      execute: () => Promise.reject(new Error('not a worker')),
    });
    queues.push(front);
    const first = emptyAffected();
    first.companies.add('first');
    await front.enqueue({ installationId: 'portal', reason: 'webhook', kind: 'incremental', affected: first });

    const idsOf = (prefix: string): string[] => Array.from({ length: 25 }, (_, i) => `${prefix}${i}`);
    const producers = ['a', 'b'].map((prefix) => {
      const child = spawn(
        process.execPath,
        [
          '--no-warnings',
          PRODUCER,
          JSON.stringify({ url, bossSchema: schema, installationId: 'portal', ids: idsOf(prefix) }),
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      children.push(child);
      return { child, out: output(child) };
    });
    await Promise.all(producers.map(({ out }) => out.waitFor('ready')));
    for (const { child } of producers) child.stdin.write('go\n');
    await Promise.all(producers.map(({ out }) => out.waitFor('done')));

    const boss = await inspector(schema);
    const waiting = await boss.findJobs<{ affected?: { companies?: string[] } }>(SYNC_QUEUE, {
      key: 'portal',
      queued: true,
    });
    expect(waiting).toHaveLength(1);
    expect([...(waiting[0]?.data.affected?.companies ?? [])].sort()).toEqual(
      ['first', ...idsOf('a'), ...idsOf('b')].sort(),
    );
  }, 90_000);

  test('the running and finished jobs read from pg-boss’s table agree with pg-boss’s findJobs', async () => {
    const schema = newSchema();
    const held = gate();
    const worker = await createPgBossQueue({
      connectionString: url,
      schema,
      store: noRuns,
      pollingIntervalSeconds: 0.5,
      retryLimit: 0,
      execute: async (request) => {
        if (request.installationId === 'slow') {
          await held.wait();
          return { status: 'skipped', reason: 'test' };
        }
        return { status: 'failed', error: 'HubSpot answered 502 Bad Gateway', code: 'crm_error' };
      },
    });
    queues.push(worker);
    await worker.enqueue({ installationId: 'broken', reason: 'now', kind: 'full' });
    for (let i = 0; i < 100; i++) {
      if ((await worker.snapshot()).failing.length > 0) break;
      await sleep(100);
    }
    await worker.enqueue({ installationId: 'slow', reason: 'tick', kind: 'incremental', slot: 1000 });
    await held.reached;

    const boss = await inspector(schema);
    const rows = await runningAndFinished<{ reason: string; kind: string }>(boss.getDb(), schema, SYNC_QUEUE);
    expect(rows.map((row) => [row.installationId, row.state]).sort()).toEqual([
      ['broken', 'failed'],
      ['slow', 'active'],
    ]);
    for (const row of rows) {
      const [job] = await boss.findJobs<{ reason: string; kind: string }>(SYNC_QUEUE, { id: row.id });
      expect(job).toBeDefined();
      expect(row).toEqual({
        id: job?.id,
        installationId: job?.singletonKey,
        state: job?.state,
        data: job?.data,
        retryCount: job?.retryCount,
        startAfter: job?.startAfter,
        createdOn: job?.createdOn,
        startedOn: job?.startedOn ?? null,
        completedOn: job?.completedOn ?? null,
        error: (job?.output as { message?: string } | null)?.message ?? null,
      });
    }
    expect(rows.find((row) => row.installationId === 'broken')?.error).toBe('HubSpot answered 502 Bad Gateway');
    held.open();
  }, 60_000);
});
