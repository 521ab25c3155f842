/** The embedded run queue: deduplicated per installation, bounded, fair, backing off on failures. */
import { afterEach, describe, expect, test } from 'vitest';
import { emptyAffected } from '../../connectors/hubspot/webhooks/events.ts';
import { createEmbeddedQueue, LEASE_HELD, mergeRequests, runInstallationSync } from '../../src/jobs/index.ts';
import type { RunOutcome, RunQueue, RunRequest } from '../../src/jobs/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { gate, mapping, policy, sleep, tempDb, TestCrm } from './fixtures.ts';

const RAN: RunOutcome = { status: 'skipped', reason: 'test: ran' };

let queue: RunQueue | undefined;
afterEach(async () => {
  await queue?.stop();
  queue = undefined;
});

const tick = (installationId: string): RunRequest => ({ installationId, reason: 'tick', kind: 'incremental' });

function webhook(installationId: string, companies: string[]): RunRequest {
  const affected = emptyAffected();
  for (const id of companies) affected.companies.add(id);
  return { installationId, reason: 'webhook', kind: 'incremental', affected };
}

/** An executor that records each request and holds it until the test opens its gate. */
function heldExecutor() {
  const started: RunRequest[] = [];
  const gates: ReturnType<typeof gate>[] = [];
  let running = 0;
  let most = 0;
  return {
    started,
    get most() {
      return most;
    },
    running: () => running,
    release: () => {
      for (const g of gates.splice(0)) g.open();
    },
    execute: async (request: RunRequest): Promise<RunOutcome> => {
      started.push(request);
      running++;
      most = Math.max(most, running);
      const g = gate();
      gates.push(g);
      await g.wait();
      running--;
      return RAN;
    },
  };
}

describe('mergeRequests', () => {
  test('full wins; by id only when both are webhook runs; webhook records add up', () => {
    const merged = mergeRequests(webhook('i', ['a']), webhook('i', ['b']));
    expect(merged.reason).toBe('webhook');
    expect([...(merged.affected?.companies ?? [])].sort()).toEqual(['a', 'b']);
    const withTick = mergeRequests(webhook('i', ['a']), tick('i'));
    expect(withTick.reason).toBe('tick');
    expect([...(withTick.affected?.companies ?? [])]).toEqual(['a']);
    const full = mergeRequests(tick('i'), { installationId: 'i', reason: 'nightly', kind: 'full', slot: 5 });
    expect(full).toEqual({ installationId: 'i', reason: 'nightly', kind: 'full', slot: 5 });
  });
});

describe('createEmbeddedQueue', () => {
  test('at most `concurrency` runs at once, every installation served', async () => {
    const executor = heldExecutor();
    queue = createEmbeddedQueue({ execute: executor.execute, concurrency: 3 });
    for (let i = 0; i < 10; i++) await queue.enqueue(tick(`i${i}`));
    await sleep(20);
    expect(executor.running()).toBe(3);
    const snapshot = await queue.snapshot();
    expect(snapshot.running).toHaveLength(3);
    expect(snapshot.queued).toHaveLength(7);
    while (executor.started.length < 10 || executor.running() > 0) {
      executor.release();
      await sleep(5);
    }
    await queue.idle();
    expect(executor.most).toBe(3);
    expect(executor.started.map((r) => r.installationId)).toEqual(Array.from({ length: 10 }, (_, i) => `i${i}`));
  });

  test('merged while queued, one follow-up while running, a tick during a run dropped; fair to the others', async () => {
    const executor = heldExecutor();
    queue = createEmbeddedQueue({ execute: executor.execute, concurrency: 1 });
    await queue.enqueue(tick('busy'));
    await sleep(5);
    // While busy runs: its tick is coalesced into the run; webhooks become one follow-up.
    await queue.enqueue(tick('busy'));
    await queue.enqueue(webhook('busy', ['a']));
    await queue.enqueue(tick('small'));
    await queue.enqueue(webhook('busy', ['b']));
    await queue.enqueue({ installationId: 'busy', reason: 'now', kind: 'full' });
    await queue.enqueue(tick('other'));
    for (let i = 0; i < 20; i++) await queue.enqueue(webhook('busy', [`c${i}`]));
    const snapshot = await queue.snapshot();
    expect(snapshot.queued.map((entry) => [entry.installationId, entry.kind])).toEqual([
      ['busy', 'full'],
      ['small', 'incremental'],
      ['other', 'incremental'],
    ]);
    while (executor.started.length < 4 || executor.running() > 0) {
      executor.release();
      await sleep(5);
    }
    await queue.idle();
    // The busy portal took its turn after the others had theirs (FIFO by when each was queued).
    expect(executor.started.map((r) => `${r.installationId}:${r.kind}`)).toEqual([
      'busy:incremental',
      'small:incremental',
      'other:incremental',
      'busy:full',
    ]);
    expect(executor.started[3]?.affected?.companies.size).toBe(22);
  });

  test('a failing run backs off (doubling), shows its error, gives up until the next request', async () => {
    const attempts: number[] = [];
    queue = createEmbeddedQueue({
      execute: () => {
        attempts.push(Date.now());
        return Promise.resolve({ status: 'failed', error: 'HubSpot answered 502', code: 'crm_error' });
      },
      retryDelayMs: 40,
      retryLimit: 2,
    });
    await queue.enqueue(tick('flaky'));
    await sleep(10);
    const first = await queue.snapshot();
    expect(first.failing).toEqual([
      expect.objectContaining({
        installationId: 'flaky',
        state: 'retrying',
        attempts: 1,
        lastError: 'HubSpot answered 502',
      }),
    ]);
    expect(first.queued[0]?.retryAt).toBeGreaterThan(Date.now());
    await sleep(250);
    expect(attempts).toHaveLength(3);
    const [a = 0, b = 0, c = 0] = attempts;
    expect(b - a).toBeGreaterThanOrEqual(35);
    expect(c - b).toBeGreaterThanOrEqual(75);
    const given = await queue.snapshot();
    expect(given.queued).toEqual([]);
    expect(given.failing).toEqual([expect.objectContaining({ state: 'failed', attempts: 3 })]);
    // Not retried for a grant the admin must renew.
    const reconnect: RunOutcome = { status: 'failed', error: 'invalid_grant', code: 'needs_reconnect' };
    let calls = 0;
    await queue.stop();
    queue = createEmbeddedQueue({
      execute: () => {
        calls++;
        return Promise.resolve(reconnect);
      },
      retryDelayMs: 5,
    });
    await queue.enqueue(tick('gone'));
    await sleep(60);
    expect(calls).toBe(1);
  });

  test('a webhook run that finds the installation leased by another process waits and runs again', async () => {
    const outcomes: RunOutcome[] = [{ status: 'skipped', reason: LEASE_HELD }, RAN];
    const seen: RunRequest[] = [];
    queue = createEmbeddedQueue({
      execute: (request) => {
        seen.push(request);
        return Promise.resolve(outcomes.shift() ?? RAN);
      },
      leaseHeldDelayMs: 20,
    });
    await queue.enqueue(webhook('i', ['a']));
    await sleep(80);
    expect(seen).toHaveLength(2);
    expect([...(seen[1]?.affected?.companies ?? [])]).toEqual(['a']);
  });

  test('stop() stops a run under way at its next page and waits for it', async () => {
    const store = new SqliteStore(tempDb());
    await store.migrate();
    try {
      const installation = await store.upsertInstallation('hubspot', 'portal-1');
      await store.savePolicy(installation.id, policy);
      const crm = new TestCrm(() => Date.now());
      const held = gate();
      crm.beforePage = held.wait;
      const outcomes: RunOutcome[] = [];
      queue = createEmbeddedQueue({
        execute: async (request, signal) => {
          const outcome = await runInstallationSync(
            {
              store,
              connectorFor: () => Promise.resolve(crm),
              holder: 'queue-test',
              mappingFor: () => Promise.resolve(mapping),
              signal,
            },
            request.installationId,
            request.kind,
          );
          outcomes.push(outcome);
          return outcome;
        },
      });
      await queue.enqueue(tick(installation.id));
      await held.reached;
      const stopping = queue.stop();
      held.open();
      await stopping;
      expect(outcomes).toEqual([
        { status: 'failed', error: 'stopped: the worker is shutting down; the next run picks up', code: 'stopped' },
      ]);
      await queue.enqueue(tick(installation.id));
      expect(outcomes).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
