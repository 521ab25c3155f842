/**
 * The store, on each engine (SQLite, and PostgreSQL from DATABASE_URL or a throwaway server, see
 * postgres-setup.ts): migrations, and everything kept per installation.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { CanonicalRecord, Policy } from '../../src/core/index.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import type { Installation, Store, TierChange } from '../../src/store/store.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { collect, describeEachEngine } from './engines.ts';

const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;

describeEachEngine('the store', (engine) => {
  let store: Store;
  let portal: Installation;

  beforeEach(async () => {
    store = engine.open(engine.create());
    await store.migrate();
    portal = await store.upsertInstallation('hubspot', '123456', 'Acme portal');
  });

  afterEach(async () => {
    await store.close();
  });

  test('migrations run once, and the data survives reopening the file', async () => {
    const spec = engine.create();
    const first = engine.open(spec);
    expect(await first.migrate()).toBe(MIGRATIONS.length);
    const installation = await first.upsertInstallation('salesforce', '00D000000000001');
    await first.close();
    const again = engine.open(spec);
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
    expect(await store.countInstallations()).toBe(2);
  });

  test('policies are versioned; the newest is active; the old ones stay listed; invalid ones are refused', async () => {
    expect(await store.activePolicy(portal.id)).toBeUndefined();
    await store.savePolicy(portal.id, policy);
    const changed = { ...policy, company: { ...policy.company, default: 'low_touch' } };
    const second = await store.savePolicy(portal.id, changed);
    expect(second.version).toBe(2);
    expect((await store.activePolicy(portal.id))?.policy).toEqual(changed);
    // A stored text is validated once per process: every read of it (every run) gets that policy.
    const [again, other] = [await store.activePolicy(portal.id), await store.activePolicy(portal.id)];
    expect(again?.policy).toBe(other?.policy);
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
    // Several at once, each one statement: set ones by name, unset ones left out, one installation only.
    const other = await store.upsertInstallation('hubspot', '777');
    await store.setCursors(portal.id, { companies: '5', contacts: '6' });
    await store.setCursors(other.id, { deals: '7' });
    expect(await store.getCursors(portal.id, ['companies', 'contacts', 'deals'])).toEqual(
      new Map([
        ['companies', '5'],
        ['contacts', '6'],
      ]),
    );
    expect(await store.getCursors(other.id, ['deals', 'companies'])).toEqual(new Map([['deals', '7']]));
    expect(await store.getCursors(other.id, [])).toEqual(new Map());
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
      hint: null,
      hintGap: null,
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

  test('unwritten tiers: of mirrored records only, by id in pages, none skipped when a page is marked written', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `co-${i}`);
    await store.upsertRecords(
      portal.id,
      ids.map((id) => ({ type: 'company', id, fields: {} })),
      1000,
    );
    await store.upsertRecords(portal.id, [{ type: 'contact', id: 'x', companyId: null, fields: {} }], 1000);
    await store.applyTierChanges(
      portal.id,
      'run-1',
      [
        ...ids.map((id) => ({ type: 'company' as const, id, tier: 'low_touch', reasons: [`r ${id}`] })),
        { type: 'contact', id: 'x', tier: 'tech_touch', reasons: ['digital'] },
      ],
      2000,
    );
    await store.markWritten(portal.id, 'company', ['co-1'], 3000);
    // Deleted from the CRM (and the mirror) before its tier was written: kept, never written.
    await store.deleteRecords(portal.id, 'company', ['co-5']);
    const seen: string[][] = [];
    for await (const page of store.unwrittenTiers(portal.id, 'company', 2)) {
      seen.push(page.map((tier) => tier.id));
      // As the sync does: the page is written (one of them refused) before the next is read.
      await store.markWritten(
        portal.id,
        'company',
        page.filter((tier) => tier.id !== 'co-2').map((tier) => tier.id),
        4000,
      );
    }
    expect(seen).toEqual([['co-0', 'co-2'], ['co-3', 'co-4'], ['co-6']]);
    expect(await collect(store.unwrittenTiers(portal.id, 'company'))).toEqual([
      [
        {
          type: 'company',
          id: 'co-2',
          tier: 'low_touch',
          reasons: ['r co-2'],
          hint: null,
          hintGap: null,
          since: 2000,
          writtenAt: null,
        },
      ],
    ]);
    expect((await collect(store.unwrittenTiers(portal.id, 'contact'))).flat().map((tier) => tier.id)).toEqual(['x']);
    expect((await store.storedTier(portal.id, 'company', 'co-5'))?.writtenAt).toBeNull();
  });

  test('a failing change leaves nothing half-written', async () => {
    const bad = [
      { type: 'company', id: 'a', tier: 'mid_touch', reasons: ['ok'] },
      { type: 'company', id: 'b', tier: null, reasons: [] },
    ] as unknown as readonly TierChange[];
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

  test('a lease has one holder at a time, across connections to the same database, until it expires', async () => {
    const spec = engine.create();
    const a = engine.open(spec);
    const b = engine.open(spec);
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

  test('migrators starting together: one applies the migrations, the other finds them applied', async () => {
    const spec = engine.create();
    const a = engine.open(spec);
    const b = engine.open(spec);
    try {
      expect((await Promise.all([a.migrate(), b.migrate()])).sort()).toEqual([0, MIGRATIONS.length]);
      expect(await a.migrate()).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('of holders asking for a free lease at once, over two connections, exactly one gets it', async () => {
    const spec = engine.create();
    const a = engine.open(spec);
    const b = engine.open(spec);
    try {
      await a.migrate();
      await b.migrate();
      for (let round = 0; round < 5; round++) {
        const name = `sync:${round}`;
        const got = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).acquireLease(name, `worker-${i}`, 1000, 0)),
        );
        expect(got.filter(Boolean)).toHaveLength(1);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('large batches: written in chunks, a record repeated in one call ends as its last version', async () => {
    const many = 2345;
    const companies: CanonicalRecord[] = Array.from({ length: many }, (_, i) => ({
      type: 'company',
      id: `co-${String(i).padStart(5, '0')}`,
      fields: { n: i },
    }));
    const repeated: CanonicalRecord = { type: 'company', id: 'co-00007', fields: { n: 'last' } };
    await store.upsertRecords(portal.id, [...companies, { type: 'contact', id: 'p1', fields: {} }, repeated], 1000);
    const pages = await collect(store.records(portal.id, 1000));
    expect(pages.map((page) => page.length)).toEqual([1000, 1000, 345, 1]);
    const all = pages.flat();
    expect(all.find((r) => r.id === 'co-00007')?.fields).toEqual({ n: 'last' });
    expect(all.filter((r) => r.type === 'company').map((r) => r.id)).toEqual(companies.map((c) => c.id));

    await store.deleteRecords(
      portal.id,
      'company',
      companies.slice(0, 1500).map((c) => c.id),
    );
    expect((await collect(store.records(portal.id))).flat()).toHaveLength(many - 1500 + 1);

    const changes: TierChange[] = companies.map((c) => ({ type: 'company', id: c.id, tier: 'low_touch', reasons: [] }));
    changes.push({ type: 'company', id: 'co-00007', tier: 'high_touch', reasons: ['again'] });
    await store.applyTierChanges(portal.id, 'run-1', changes, 1000);
    expect(await collect(store.storedTiers(portal.id))).toHaveLength(many);
    expect(await collect(store.previousTiers(portal.id))).toHaveLength(many);
    expect(await store.storedTier(portal.id, 'company', 'co-00007')).toMatchObject({
      tier: 'high_touch',
      reasons: ['again'],
    });
    // Both at the same time: history lists them in no particular order.
    expect(
      (await store.history(portal.id, 'company', 'co-00007')).map((h) => `${h.oldTier ?? '-'} > ${h.newTier}`).sort(),
    ).toEqual(['- > low_touch', 'low_touch > high_touch']);
    await store.markWritten(
      portal.id,
      'company',
      companies.map((c) => c.id),
      2000,
    );
    expect((await collect(store.storedTiers(portal.id))).every((t) => t.writtenAt === 2000)).toBe(true);

    const deals = Array.from({ length: 1200 }, (_, i) => ({
      id: `d-${String(i).padStart(5, '0')}`,
      companyId: 'co-00001',
      amount: i,
      closedWon: i % 2 === 0,
      closed: true,
      closeTime: 1_700_000_000_000 + i,
    }));
    const [first] = deals;
    if (first === undefined) throw new Error('no deals');
    await store.upsertDeals(portal.id, [...deals, { ...first, amount: -1 }]);
    const stored = await collect(store.deals(portal.id));
    expect(stored).toHaveLength(1200);
    expect(stored[0]).toEqual({ ...first, amount: -1 });
    expect(stored[1199]).toEqual(deals[1199]);

    const row = { type: 'company' as const, recordId: 'co-00001', error: 'E' };
    await store.reject(portal.id, 'run-1', [row, { type: 'company', recordId: 'co-00002', error: 'E' }, row], 3000);
    expect((await store.listRejected(portal.id)).map((r) => [r.recordId, r.attempts])).toEqual([
      ['co-00001', 2],
      ['co-00002', 1],
    ]);
  });

  test('a carried-over record takes its history along; its tier too when the successor has none', async () => {
    await store.applyTierChanges(
      portal.id,
      'run-1',
      [
        { type: 'contact', id: 'lead', tier: 'mid_touch', reasons: ['r'] },
        { type: 'contact', id: 'loser', tier: 'low_touch', reasons: ['r'] },
        { type: 'contact', id: 'winner', tier: 'high_touch', reasons: ['r'] },
      ],
      1000,
    );
    await store.markWritten(portal.id, 'contact', ['lead'], 1500);
    await store.carryOver(portal.id, 'contact', 'lead', 'converted');
    expect(await store.storedTier(portal.id, 'contact', 'converted')).toMatchObject({
      tier: 'mid_touch',
      since: 1000,
      writtenAt: null,
    });
    expect(await store.storedTier(portal.id, 'contact', 'lead')).toBeUndefined();
    expect(await store.history(portal.id, 'contact', 'converted')).toHaveLength(1);
    await store.carryOver(portal.id, 'contact', 'loser', 'winner');
    expect((await store.storedTier(portal.id, 'contact', 'winner'))?.tier).toBe('high_touch');
    expect(await store.storedTier(portal.id, 'contact', 'loser')).toBeUndefined();
    expect((await store.history(portal.id, 'contact', 'winner')).map((h) => h.newTier).sort()).toEqual([
      'high_touch',
      'low_touch',
    ]);
  });

  test('secrets are put, replaced, read and deleted once', async () => {
    await store.putSecret('s', 'sealed-1', 1);
    await store.putSecret('s', 'sealed-2', 2);
    expect(await store.getSecret('s')).toBe('sealed-2');
    expect(await store.deleteSecret('s')).toBe(true);
    expect(await store.deleteSecret('s')).toBe(false);
    expect(await store.getSecret('s')).toBeUndefined();
  });
});
