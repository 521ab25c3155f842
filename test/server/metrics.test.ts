/** The run queue's Prometheus metrics: depth by state, waiting time, run duration, failures by code. */
import { afterEach, expect, test } from 'vitest';
import { createEmbeddedQueue } from '../../src/jobs/index.ts';
import type { RunOutcome, RunQueue } from '../../src/jobs/index.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { gate } from '../jobs/fixtures.ts';

let queue: RunQueue | undefined;
afterEach(async () => {
  await queue?.stop();
});

/** The value of one sample line, e.g. `righttouch_queue_depth{state="running"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('queue depth, waiting time, run duration and failures reach /metrics', async () => {
  const metrics = createMetrics();
  const held = gate();
  queue = createEmbeddedQueue({
    execute: async (request): Promise<RunOutcome> => {
      if (request.installationId === 'slow') await held.wait();
      return request.installationId === 'broken'
        ? { status: 'failed', error: 'HubSpot answered 502', code: 'crm_error' }
        : { status: 'skipped', reason: 'test' };
    },
    concurrency: 1,
    retryDelayMs: 60_000,
    observer: metrics.queueObserver,
  });
  metrics.watchQueue(() => queue?.snapshot() ?? Promise.reject(new Error('no queue')));
  await queue.enqueue({ installationId: 'slow', reason: 'tick', kind: 'incremental' });
  await queue.enqueue({ installationId: 'broken', reason: 'webhook', kind: 'incremental' });
  await held.reached;
  const busy = await metrics.registry.metrics();
  expect(sample(busy, 'righttouch_queue_depth{state="running"}')).toBe(1);
  expect(sample(busy, 'righttouch_queue_depth{state="queued"}')).toBe(1);
  held.open();
  await queue.idle();
  const after = await metrics.registry.metrics();
  expect(sample(after, 'righttouch_queue_depth{state="running"}')).toBe(0);
  expect(sample(after, 'righttouch_queue_depth{state="retrying"}')).toBe(1);
  expect(sample(after, 'righttouch_queue_wait_seconds_count{reason="webhook"}')).toBe(1);
  expect(sample(after, 'righttouch_run_duration_seconds_count{reason="tick",status="skipped"}')).toBe(1);
  expect(sample(after, 'righttouch_run_failures_total{reason="webhook",code="crm_error"}')).toBe(1);
});
