/**
 * `serve`/`worker`'s runner on PostgreSQL (DATABASE_URL set): the run queue is pg-boss's, the
 * executor is the server's. An installation without tokens is run by a `worker` runner from a
 * request queued by a `--no-worker` runner, and marked needs_reconnect — and the queue shows the
 * run finished.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { serverConfig } from '../../src/app/config.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { parseEnv } from '../../src/app/env.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { startRunner, type Runner } from '../../src/server/runner.ts';
import type { Store } from '../../src/store/store.ts';
import { sleep } from '../jobs/fixtures.ts';
import { openStoreSpec } from '../store/store-spec.ts';

const url = inject('databaseUrl');
const describePg = url === '' ? describe.skip : describe;
const runners: Runner[] = [];
let store: Store | undefined;
afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.stop();
  await store?.close();
});

describePg('the runner on pg-boss', () => {
  test('serve --no-worker queues, a worker runs it with the server’s executor', async () => {
    store = openStoreSpec({ engine: 'postgres', url, schema: `t_${randomBytes(6).toString('hex')}` });
    await store.migrate();
    const installation = await store.upsertInstallation('hubspot', '4242', 'No tokens');
    const env = parseEnv({ DATABASE_URL: url, RIGHTTOUCH_CONCURRENCY: '2' });
    const logger = createLogger({
      destination: new Writable({
        write(_chunk, _encoding, done) {
          done();
        },
      }),
    });
    const shared = {
      env,
      store,
      credentials: new Credentials({ store, key: Buffer.alloc(32, 3), config: serverConfig(env) }),
      logger,
      bossSchema: `boss_${randomBytes(6).toString('hex')}`,
    };
    const front = await startRunner({ ...shared, metrics: createMetrics(), work: false });
    runners.push(front);
    expect(front.engine).toBe('pg-boss');
    await front.queue.enqueue({ installationId: installation.id, reason: 'now', kind: 'full' });
    expect((await front.queue.snapshot()).queued.map((entry) => entry.installationId)).toEqual([installation.id]);
    await sleep(1500);
    // Nobody works the queue yet.
    expect((await store.getInstallation(installation.id))?.status).toBe('active');

    const worker = await startRunner({ ...shared, metrics: createMetrics(), work: true });
    runners.push(worker);
    for (let i = 0; i < 100 && (await store.getInstallation(installation.id))?.status === 'active'; i++) {
      await sleep(100);
    }
    expect(await store.getInstallation(installation.id)).toMatchObject({ status: 'needs_reconnect' });
    await worker.queue.idle();
    const after = await front.queue.snapshot();
    expect(after).toMatchObject({ engine: 'pg-boss', concurrency: 2, queued: [], running: [], failing: [] });
  }, 30_000);
});
