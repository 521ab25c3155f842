/** runInstallationSync: one installation's sync under its lease, with a time budget, never throwing. */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { loadPolicy } from '../../src/app/policy.ts';
import { DEFAULT_POLICY_PATH, LEASE_HELD, runInstallationSync, SHUTTING_DOWN } from '../../src/jobs/index.ts';
import type { JobDeps, RunOutcome } from '../../src/jobs/index.ts';
import { SETUP_CURSOR, setupMark } from '../../src/jobs/run.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Installation } from '../../src/store/store.ts';
import type { Tier } from '../../src/core/index.ts';
import type { SetupOptions } from '../../src/sync/connector.ts';
import type { SyncReport } from '../../src/sync/engine.ts';
import { gate, mapping, policy, tempDb, TestCrm } from './fixtures.ts';

const START = Date.parse('2026-11-20T00:00:00Z');
const MINUTE = 60_000;
let now = START;
let store: SqliteStore;
let crm: TestCrm;
let installation: Installation;
let deps: JobDeps;
let lease: string;

function ran(outcome: RunOutcome): SyncReport {
  if (outcome.status !== 'ran') throw new Error(`expected a run, got ${JSON.stringify(outcome)}`);
  return outcome.report;
}

beforeEach(async () => {
  store = new SqliteStore(tempDb());
  await store.migrate();
  installation = await store.upsertInstallation('hubspot', 'portal-1', 'Fake portal');
  await store.savePolicy(installation.id, policy);
  lease = `sync:${installation.id}`;
  now = START - 3_600_000; // the CRM's records exist an hour before the first sync
  crm = new TestCrm(() => now);
  now = START;
  deps = {
    store,
    connectorFor: () => Promise.resolve(crm),
    holder: 'test-host:1:abc',
    clock: () => new Date(now),
    mappingFor: () => Promise.resolve(mapping),
  };
});

afterEach(async () => {
  vi.useRealTimers();
  await store.close();
});

describe('runInstallationSync', () => {
  test('the first run is full (no cursor yet), the next one incremental; both recorded', async () => {
    const first = ran(await runInstallationSync(deps, installation.id, 'incremental'));
    expect(first).toMatchObject({ kind: 'full', decided: 7, written: 7 });
    now += 15 * MINUTE;
    crm.change('companies', 'mid', { prefers_digital: 'true' });
    const second = ran(await runInstallationSync(deps, installation.id, 'incremental'));
    expect(second.kind).toBe('incremental');
    expect(crm.writtenIds().slice(7)).toContain('company:mid');
    now += 15 * MINUTE;
    expect(ran(await runInstallationSync(deps, installation.id, 'full')).kind).toBe('full');
    const runs = await store.listRuns(installation.id);
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['full', 'succeeded'],
      ['incremental', 'succeeded'],
      ['full', 'succeeded'],
    ]);
  });

  test('an incremental run reads its installation, its policy and its cursors once each, and moves the cursors in one write', async () => {
    ran(await runInstallationSync(deps, installation.id, 'incremental')); // the first run: full, sets up
    now += MINUTE;
    crm.change('companies', 'mid', { prefers_digital: 'true' });
    const calls = (
      name: 'getInstallation' | 'activePolicy' | 'getCursor' | 'getCursors' | 'setCursor' | 'setCursors',
    ) => vi.spyOn(store, name);
    const spies = {
      getInstallation: calls('getInstallation'),
      activePolicy: calls('activePolicy'),
      getCursor: calls('getCursor'),
      getCursors: calls('getCursors'),
      setCursor: calls('setCursor'),
      setCursors: calls('setCursors'),
    };
    expect(ran(await runInstallationSync(deps, installation.id, 'incremental')).kind).toBe('incremental');
    // Each a statement: the first-run and setup cursors together, then the three read cursors together.
    expect(Object.fromEntries(Object.entries(spies).map(([name, spy]) => [name, spy.mock.calls.length]))).toEqual({
      getInstallation: 1,
      activePolicy: 1,
      getCursor: 0,
      getCursors: 2,
      setCursor: 0,
      setCursors: 1,
    });
  });

  test('without a policy or mapping: the default policy (saved as version 1) and the package mapping', async () => {
    const other = await store.upsertInstallation('hubspot', 'portal-2');
    const withoutMapping: JobDeps = { ...deps, mappingFor: undefined };
    expect(ran(await runInstallationSync(withoutMapping, other.id, 'incremental')).decided).toBe(7);
    const saved = await store.listPolicies(other.id);
    expect(saved.map((p) => p.version)).toEqual([1]);
    expect(saved[0]?.policy).toEqual(await loadPolicy(DEFAULT_POLICY_PATH));
  });

  test('the report goes to onReport after the lease is released; a failing onReport does not fail the run', async () => {
    const seen: string[] = [];
    const warnings: string[] = [];
    const outcome = await runInstallationSync(
      {
        ...deps,
        logger: { info: () => undefined, warn: (message) => warnings.push(message) },
        onReport: async (reported, report) => {
          seen.push(`${reported.id}:${report.runId}`);
          expect(await store.acquireLease(lease, 'someone else', MINUTE, now)).toBe(true);
          throw new Error('webhook down');
        },
      },
      installation.id,
      'incremental',
    );
    expect(seen).toEqual([`${installation.id}:${ran(outcome).runId}`]);
    expect(warnings.join('\n')).toMatch(/webhook down/);
  });

  test('an unknown installation fails; one that needs reconnecting is skipped without touching the CRM', async () => {
    expect(await runInstallationSync(deps, 'nope', 'incremental')).toEqual({
      status: 'failed',
      error: 'no installation nope',
      code: 'not_found',
    });
    await store.setInstallationStatus(installation.id, 'needs_reconnect', 'token revoked');
    const connectorFor = vi.fn(deps.connectorFor);
    expect(await runInstallationSync({ ...deps, connectorFor }, installation.id, 'incremental')).toEqual({
      status: 'skipped',
      reason: 'needs reconnecting: token revoked',
    });
    expect(connectorFor).not.toHaveBeenCalled();
    expect(await store.listRuns(installation.id)).toEqual([]);
  });

  test('a lease held by another worker skips the run; once released, the next run goes ahead', async () => {
    expect(await store.acquireLease(lease, 'other-host:2:def', 2 * MINUTE, now)).toBe(true);
    expect(await runInstallationSync(deps, installation.id, 'incremental')).toEqual({
      status: 'skipped',
      reason: LEASE_HELD,
    });
    expect(await store.listRuns(installation.id)).toEqual([]);
    await store.releaseLease(lease, 'other-host:2:def');
    expect((await runInstallationSync(deps, installation.id, 'incremental')).status).toBe('ran');
  });

  test('the lease is released after the run, so another holder can take it at once', async () => {
    expect((await runInstallationSync(deps, installation.id, 'incremental')).status).toBe('ran');
    expect(await store.acquireLease(lease, 'other-host:2:def', 2 * MINUTE, now)).toBe(true);
  });

  test('two runs of one installation in one process (incremental and full) do not run together', async () => {
    const held = gate();
    crm.beforePage = held.wait;
    const first = runInstallationSync(deps, installation.id, 'incremental');
    await held.reached;
    expect(await runInstallationSync(deps, installation.id, 'full')).toEqual({ status: 'skipped', reason: LEASE_HELD });
    held.open();
    expect((await first).status).toBe('ran');
  });

  test('a connector error fails the run (recorded, never thrown) and releases the lease', async () => {
    crm.failUpdates = true;
    expect(await runInstallationSync(deps, installation.id, 'incremental')).toEqual({
      status: 'failed',
      error: 'connection reset',
      code: 'internal',
    });
    const [run] = await store.listRuns(installation.id);
    expect(run).toMatchObject({ status: 'failed', errors: ['connection reset'] });
    expect(await store.acquireLease(lease, 'other-host:2:def', 2 * MINUTE, now)).toBe(true);
    await store.releaseLease(lease, 'other-host:2:def');

    // A connector that cannot even be built: also a failed run in the list.
    now += MINUTE;
    const outcome = await runInstallationSync(
      { ...deps, connectorFor: () => Promise.reject(new Error('refresh token revoked')) },
      installation.id,
      'incremental',
    );
    expect(outcome).toEqual({ status: 'failed', error: 'refresh token revoked', code: 'internal' });
    expect((await store.listRuns(installation.id))[0]).toMatchObject({
      kind: 'incremental',
      status: 'failed',
      errors: ['refresh token revoked'],
    });
    expect(await store.acquireLease(lease, 'other-host:2:def', 2 * MINUTE, now)).toBe(true);
  });

  test('a spent time budget stops the run before it writes: failed, cursors kept; the next run completes', async () => {
    const stopped = await runInstallationSync({ ...deps, budgetMs: 0 }, installation.id, 'incremental');
    const message = 'stopped: time budget of 0 s used up; the next run picks up';
    expect(stopped).toEqual({ status: 'failed', error: message, code: 'stopped' });
    expect(await store.getCursor(installation.id, 'companies.modified')).toBeUndefined();
    expect(crm.updateCalls).toEqual([]);
    expect((await store.listRuns(installation.id))[0]).toMatchObject({ status: 'failed', errors: [message] });
    expect(await store.acquireLease(lease, 'other-host:2:def', 2 * MINUTE, now)).toBe(true);
    await store.releaseLease(lease, 'other-host:2:def');
    expect(ran(await runInstallationSync(deps, installation.id, 'incremental'))).toMatchObject({
      kind: 'full',
      written: 7,
    });
  });

  test('an incremental run whose clock runs past the budget keeps its cursors; the next one writes the change', async () => {
    ran(await runInstallationSync(deps, installation.id, 'incremental'));
    const cursor = await store.getCursor(installation.id, 'companies.modified');
    now += 15 * MINUTE;
    crm.change('companies', 'mid', { prefers_digital: 'true' });
    crm.updateCalls.length = 0;
    // Every look at this clock takes a minute: the 5-minute budget runs out while reading (the
    // lease, of an hour, does not).
    const jumping = (): Date => new Date((now += MINUTE));
    const stopped = await runInstallationSync(
      { ...deps, clock: jumping, budgetMs: 5 * MINUTE, leaseTtlMs: 60 * MINUTE },
      installation.id,
      'incremental',
    );
    expect(stopped).toEqual({
      status: 'failed',
      error: 'stopped: time budget of 300 s used up; the next run picks up',
      code: 'stopped',
    });
    expect(await store.getCursor(installation.id, 'companies.modified')).toBe(cursor);
    expect(crm.updateCalls).toEqual([]);
    const next = ran(await runInstallationSync(deps, installation.id, 'incremental'));
    expect(next.kind).toBe('incremental');
    expect(crm.writtenIds()).toContain('company:mid');
    expect(Number(await store.getCursor(installation.id, 'companies.modified'))).toBeGreaterThan(Number(cursor));
  });

  test('the lease is renewed while a long run goes on, so no one else can take it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const held = gate();
    crm.beforePage = held.wait;
    const run = runInstallationSync({ ...deps, leaseTtlMs: 3000 }, installation.id, 'incremental');
    await held.reached;
    // Six seconds go by, twice the lease: it is renewed every second.
    for (let i = 0; i < 6; i++) {
      now += 1000;
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(await store.acquireLease(lease, 'other-host:2:def', 3000, now)).toBe(false);
    held.open();
    expect((await run).status).toBe('ran');
  });

  test('a renewal that finds the lease taken over stops the run at its next page', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const held = gate();
    crm.beforePage = held.wait;
    const run = runInstallationSync({ ...deps, leaseTtlMs: 3000 }, installation.id, 'incremental');
    await held.reached;
    // Another worker that believes the lease expired (its clock is ahead) takes it over.
    expect(await store.acquireLease(lease, 'other-host:2:def', 3000, now + 10_000)).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    held.open();
    const outcome = await run;
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toMatch(
      /^stopped: lost the lease sync:.*the next run picks up$/,
    );
    expect(await store.getCursor(installation.id, 'companies.modified')).toBeUndefined();
    expect(crm.updateCalls).toEqual([]);
    // Our release did not take the lease from its new holder.
    expect(await store.acquireLease(lease, 'third-host:3:ghi', 3000, now)).toBe(false);
  });

  test('a run that outlives its lease without renewing it (clock past the expiry) stops too', async () => {
    const held = gate();
    crm.beforePage = held.wait;
    const run = runInstallationSync({ ...deps, leaseTtlMs: 3000 }, installation.id, 'incremental');
    await held.reached;
    now += 3000;
    held.open();
    const outcome = await run;
    expect(outcome.status === 'failed' && outcome.error).toMatch(/^stopped: lost the lease/);
  });

  test('an aborted signal: no run begins; a run under way stops at its next page', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await runInstallationSync({ ...deps, signal: controller.signal }, installation.id, 'full')).toEqual({
      status: 'skipped',
      reason: SHUTTING_DOWN,
    });
    const shutdown = new AbortController();
    const held = gate();
    crm.beforePage = held.wait;
    const run = runInstallationSync({ ...deps, signal: shutdown.signal }, installation.id, 'full');
    await held.reached;
    shutdown.abort();
    held.open();
    expect(await run).toEqual({
      status: 'failed',
      error: 'stopped: the worker is shutting down; the next run picks up',
      code: 'stopped',
    });
  });
});

describe('setup before a run', () => {
  class CountingCrm extends TestCrm {
    setups = 0;
    override setup(tiers: Parameters<TestCrm['setup']>[0]) {
      this.setups++;
      return super.setup(tiers);
    }
  }

  test('passes the installation’s settings and kept lists to setup, keeps the lists it reports, and runs again when lists are turned off', async () => {
    const seen: SetupOptions[] = [];
    class ListingCrm extends TestCrm {
      override setup(tiers: readonly Tier[], options: SetupOptions = {}) {
        seen.push(options);
        const lists =
          options.lists === false
            ? undefined
            : tiers.map((tier, i) => ({
                object: 'companies',
                tier: tier.value,
                name: `Engagement model: ${tier.label} companies`,
                id: String(100 + i),
              }));
        return Promise.resolve({ changes: [], ...(lists === undefined ? {} : { lists }) });
      }
    }
    const listing = new ListingCrm(() => now);
    const withSetup: JobDeps = { ...deps, connectorFor: () => Promise.resolve(listing) };
    ran(await runInstallationSync(withSetup, installation.id, 'incremental'));
    expect(seen).toEqual([{ lists: true, layouts: true, knownLists: [] }]);
    const kept = await store.crmLists(installation.id);
    expect(kept.map((list) => list.id)).toEqual(policy.tiers.map((_, i) => String(100 + i)));

    // Turned off by the admin: the next run sets the CRM up again, without lists; the kept ones stay.
    await store.saveSettings(installation.id, { crmLists: false });
    now += MINUTE;
    ran(await runInstallationSync(withSetup, installation.id, 'incremental'));
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({ lists: false, layouts: true, knownLists: kept });
    expect(await store.crmLists(installation.id)).toEqual(kept);
    expect(await store.getCursor(installation.id, SETUP_CURSOR)).toBe(setupMark(1, { crmLists: false }));
    now += MINUTE;
    ran(await runInstallationSync(withSetup, installation.id, 'incremental'));
    expect(seen).toHaveLength(2);
  });

  test('runs once per policy version, and once more after a release adds a property (old cursor value)', async () => {
    const counting = new CountingCrm(() => now);
    const withSetup: JobDeps = { ...deps, connectorFor: () => Promise.resolve(counting) };
    ran(await runInstallationSync(withSetup, installation.id, 'incremental'));
    now += MINUTE;
    ran(await runInstallationSync(withSetup, installation.id, 'incremental'));
    expect(counting.setups).toBe(1);
    expect(await store.getCursor(installation.id, SETUP_CURSOR)).toBe(setupMark(1));

    // An installation set up by an earlier release: its cursor holds the bare policy version (or
    // `2:<version>`, before the lists). The next run sets the CRM up again (creating what is new) first.
    await store.setCursor(installation.id, SETUP_CURSOR, '1');
    now += MINUTE;
    ran(await runInstallationSync(withSetup, installation.id, 'incremental'));
    expect(counting.setups).toBe(2);
    expect(await store.getCursor(installation.id, SETUP_CURSOR)).toBe(setupMark(1));
  });
});
