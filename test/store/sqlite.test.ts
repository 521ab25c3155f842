/** The embedded SQLite store: migrations, and everything kept per installation. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CanonicalRecord, Policy } from '../../src/core/index.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Installation } from '../../src/store/store.ts';
import { readJson, repoRoot } from '../helpers.ts';

const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
let store: SqliteStore;
let portal: Installation;

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate();
  portal = await store.upsertInstallation('hubspot', '123456', 'Acme portal');
});

afterEach(async () => {
  await store.close();
});

describe('SqliteStore', () => {
  test('migrations run once, and the data survives reopening the file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'righttouch-store-')), 'data', 'righttouch.db');
    const first = new SqliteStore(path);
    expect(await first.migrate()).toBe(MIGRATIONS.length);
    const installation = await first.upsertInstallation('salesforce', '00D000000000001');
    await first.close();
    const again = new SqliteStore(path);
    expect(await again.migrate()).toBe(0);
    expect(await again.getInstallation(installation.id)).toEqual(installation);
    await again.close();
  });

  test('an installation is one per CRM account; its name can change', async () => {
    const same = await store.upsertInstallation('hubspot', '123456', 'Acme (renamed)');
    expect(same.id).toBe(portal.id);
    expect(same.name).toBe('Acme (renamed)');
    await store.upsertInstallation('hubspot', '999');
    expect((await store.listInstallations()).map((i) => i.externalId)).toEqual(['123456', '999']);
  });

  test('policies are versioned; the newest is active; the old ones stay listed; invalid ones are refused', async () => {
    expect(await store.activePolicy(portal.id)).toBeUndefined();
    await store.savePolicy(portal.id, policy);
    const changed = { ...policy, company: { ...policy.company, default: 'low_touch' } };
    const second = await store.savePolicy(portal.id, changed);
    expect(second.version).toBe(2);
    expect((await store.activePolicy(portal.id))?.policy).toEqual(changed);
    expect((await store.listPolicies(portal.id)).map((p) => p.version)).toEqual([1, 2]);
    await expect(store.savePolicy(portal.id, { version: 1, tiers: [] } as unknown as Policy)).rejects.toThrow(
      /invalid policy/,
    );
  });

  test('the mirror keeps canonical records, updates them, deletes them, and pages companies first', async () => {
    const records: CanonicalRecord[] = [
      { type: 'contact', id: 'c1', companyId: 'a', fields: { leadScore: 70 } },
      { type: 'company', id: 'b', override: 'high_touch', fields: { dealSize: 5 } },
      { type: 'company', id: 'a', fields: { dealSize: 120000, prefersDigital: true } },
      { type: 'contact', id: 'c2', companyId: null, fields: {} },
    ];
    await store.upsertRecords(portal.id, records, 1000);
    await store.upsertRecords(portal.id, [{ type: 'company', id: 'a', fields: { dealSize: 1 } }], 2000);
    await store.deleteRecords(portal.id, 'contact', ['c2']);
    const pages = await collect(store.records(portal.id, 1));
    expect(pages.map((page) => page.map((r) => `${r.type}:${r.id}`))).toEqual([
      ['company:a'],
      ['company:b'],
      ['contact:c1'],
    ]);
    expect(pages.flat()).toEqual([
      { type: 'company', id: 'a', companyId: null, override: null, fields: { dealSize: 1 } },
      { type: 'company', id: 'b', companyId: null, override: 'high_touch', fields: { dealSize: 5 } },
      { type: 'contact', id: 'c1', companyId: 'a', override: null, fields: { leadScore: 70 } },
    ]);
  });

  test('deals and cursors round-trip', async () => {
    await store.upsertDeals(portal.id, [
      { id: 'd1', companyId: 'a', amount: 100.5, closedWon: true, closed: true, closeTime: 1_700_000_000_000 },
      { id: 'd2', companyId: 'a', amount: null, closedWon: false, closed: false, closeTime: null },
    ]);
    await store.deleteDeals(portal.id, ['d2']);
    expect(await collect(store.deals(portal.id))).toEqual([
      { id: 'd1', companyId: 'a', amount: 100.5, closedWon: true, closed: true, closeTime: 1_700_000_000_000 },
    ]);
    expect(await store.getCursor(portal.id, 'companies')).toBeUndefined();
    await store.setCursor(portal.id, 'companies', '1700000000000');
    await store.setCursor(portal.id, 'companies', '1700000009999');
    expect(await store.getCursor(portal.id, 'companies')).toBe('1700000009999');
  });

  test('tier changes: current tier, since, and a history row only when the tier moves', async () => {
    await store.applyTierChanges(
      portal.id,
      'run-1',
      [{ type: 'company', id: 'a', tier: 'mid_touch', reasons: ['r1'] }],
      1000,
    );
    await store.applyTierChanges(
      portal.id,
      'run-2',
      [{ type: 'company', id: 'a', tier: 'mid_touch', reasons: ['r2'] }],
      2000,
    );
    await store.applyTierChanges(
      portal.id,
      'run-3',
      [{ type: 'company', id: 'a', tier: 'high_touch', reasons: ['r3'] }],
      3000,
    );
    expect(await store.storedTier(portal.id, 'company', 'a')).toEqual({
      type: 'company',
      id: 'a',
      tier: 'high_touch',
      reasons: ['r3'],
      since: 3000,
      writtenAt: null,
    });
    expect(await store.history(portal.id, 'company', 'a')).toEqual([
      {
        type: 'company',
        recordId: 'a',
        oldTier: null,
        newTier: 'mid_touch',
        reasons: ['r1'],
        runId: 'run-1',
        at: 1000,
      },
      {
        type: 'company',
        recordId: 'a',
        oldTier: 'mid_touch',
        newTier: 'high_touch',
        reasons: ['r3'],
        runId: 'run-3',
        at: 3000,
      },
    ]);
    await store.applyTierChanges(
      portal.id,
      'run-4',
      [{ type: 'contact', id: 'x', tier: 'low_touch', reasons: ['r'] }],
      4000,
    );
    await store.markWritten(portal.id, 'company', ['a'], 5000);
    expect((await store.storedTier(portal.id, 'company', 'a'))?.writtenAt).toBe(5000);
    expect(await collect(store.previousTiers(portal.id))).toEqual(
      expect.arrayContaining([
        { type: 'company', id: 'a', tier: 'high_touch', since: new Date(3000).toISOString(), sinceMs: 3000 },
        { type: 'contact', id: 'x', tier: 'low_touch', since: new Date(4000).toISOString(), sinceMs: 4000 },
      ]),
    );
  });

  test('a failing change leaves nothing half-written', async () => {
    const bad = [
      { type: 'company', id: 'a', tier: 'mid_touch', reasons: ['ok'] },
      { type: 'company', id: 'b', tier: null, reasons: [] },
    ] as unknown as Parameters<SqliteStore['applyTierChanges']>[2];
    await expect(store.applyTierChanges(portal.id, 'run-1', bad, 1000)).rejects.toThrow();
    expect(await store.storedTier(portal.id, 'company', 'a')).toBeUndefined();
    expect(await store.history(portal.id, 'company', 'a')).toEqual([]);
  });

  test('runs are started, finished and listed newest first', async () => {
    const first = await store.startRun(portal.id, 'full', 1000);
    const done = await store.finishRun(first.id, { status: 'succeeded', counts: { written: 3 }, errors: [] }, 1500);
    expect(done).toMatchObject({ status: 'succeeded', endedAt: 1500, counts: { written: 3 }, errors: [] });
    const second = await store.startRun(portal.id, 'incremental', 2000);
    expect((await store.listRuns(portal.id)).map((r) => [r.id, r.status])).toEqual([
      [second.id, 'running'],
      [first.id, 'succeeded'],
    ]);
  });

  test('a run left running by a process that died ends as interrupted when the next one starts', async () => {
    const other = await store.upsertInstallation('hubspot', 'other-portal');
    const elsewhere = await store.startRun(other.id, 'full', 500);
    const dead = await store.startRun(portal.id, 'full', 1000);
    const next = await store.startRun(portal.id, 'full', 3000);
    const runs = await store.listRuns(portal.id);
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [next.id, 'running'],
      [dead.id, 'failed'],
    ]);
    expect(runs[1]?.endedAt).toBe(3000);
    expect(runs[1]?.errors?.[0]).toMatch(/^interrupted/);
    expect((await store.listRuns(other.id)).map((r) => [r.id, r.status])).toEqual([[elsewhere.id, 'running']]);
  });

  test('rejected rows count their attempts and clear once written', async () => {
    const row = { type: 'company' as const, recordId: 'a', error: 'OBJECT_NOT_FOUND', payload: { tier: 'x' } };
    await store.reject(portal.id, 'run-1', [row], 1000);
    await store.reject(portal.id, 'run-2', [{ ...row, error: 'still missing' }], 2000);
    expect(await store.listRejected(portal.id)).toEqual([
      {
        type: 'company',
        recordId: 'a',
        runId: 'run-2',
        error: 'still missing',
        payload: { tier: 'x' },
        attempts: 2,
        updatedAt: 2000,
      },
    ]);
    await store.clearRejected(portal.id, 'company', ['a']);
    expect(await store.listRejected(portal.id)).toEqual([]);
  });

  test('a lease has one holder at a time, across connections to the same file, until it expires', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'righttouch-lease-')), 'r.db');
    const a = new SqliteStore(path);
    const b = new SqliteStore(path);
    await a.migrate();
    await b.migrate();
    expect(await a.acquireLease('sync:1', 'worker-a', 1000, 0)).toBe(true);
    expect(await b.acquireLease('sync:1', 'worker-b', 1000, 500)).toBe(false);
    expect(await a.acquireLease('sync:1', 'worker-a', 1000, 900)).toBe(true); // renewed until 1,900
    expect(await b.acquireLease('sync:1', 'worker-b', 1000, 1500)).toBe(false);
    expect(await b.acquireLease('sync:2', 'worker-b', 1000, 1500)).toBe(true); // another installation
    expect(await b.acquireLease('sync:1', 'worker-b', 1000, 1900)).toBe(true); // a's expired: taken over
    expect(await a.acquireLease('sync:1', 'worker-a', 1000, 2000)).toBe(false);
    await b.releaseLease('sync:1', 'worker-b');
    expect(await a.acquireLease('sync:1', 'worker-a', 1000, 2000)).toBe(true);
    await a.close();
    await b.close();
  });

  test('API keys are found by hash with their scope; webhook events are taken once', async () => {
    const key = await store.createApiKey('hash-1', portal.id, 'portal admin', 1);
    const admin = await store.createApiKey('hash-2', null, 'self-hosted admin', 1);
    expect(await store.findApiKey('hash-1')).toEqual(key);
    expect((await store.findApiKey('hash-2'))?.installationId).toBeNull();
    expect(admin.installationId).toBeNull();
    expect(await store.findApiKey('hash-3')).toBeUndefined();
    await expect(store.createApiKey('hash-1', null, 'same hash', 2)).rejects.toThrow();

    expect(await store.recordWebhookEvent('e1', 100)).toBe(true);
    expect(await store.recordWebhookEvent('e1', 200)).toBe(false);
    expect(await store.recordWebhookEvent('e2', 300)).toBe(true);
    expect(await store.pruneWebhookEvents(250)).toBe(1);
    expect(await store.recordWebhookEvent('e1', 400)).toBe(true);
  });

  test('an installation carries its status and settings', async () => {
    expect(portal).toMatchObject({ status: 'active', statusDetail: null, settings: {} });
    await store.setInstallationStatus(portal.id, 'needs_reconnect', 'refresh token revoked');
    await store.saveSettings(portal.id, { syncEveryMinutes: 5, notifyUrl: 'https://hooks.example/x' });
    expect(await store.getInstallation(portal.id)).toMatchObject({
      status: 'needs_reconnect',
      statusDetail: 'refresh token revoked',
      settings: { syncEveryMinutes: 5, notifyUrl: 'https://hooks.example/x' },
    });
  });
});
