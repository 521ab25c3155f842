/**
 * The incremental tiering state in the store (src/store/sql/tiering-state.ts), on each engine:
 * saved and read back, saved only from the version a run loaded (a stale save is refused whole,
 * also between two store handles racing), replaced, cleared, erased and forgotten with the record
 * and the installation; and the by-id mirror reads incremental runs use.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { IncrementalRow } from '../../src/core/index.ts';
import type { SqlQueries } from '../../src/store/sql/driver.ts';
import { tieringStateContacts } from '../../src/store/sql/tiering-state.ts';
import { StaleTieringStateError } from '../../src/store/store.ts';
import type { Installation, Store, TieringStateSave } from '../../src/store/store.ts';
import { collect, describeEachEngine } from './engines.ts';

function row(
  type: 'company' | 'contact',
  id: string,
  tier = 't1',
  extra: Partial<IncrementalRow> = {},
): IncrementalRow {
  return {
    type,
    id,
    record: { type, id, fields: { n: 1 }, ...(type === 'contact' ? { companyId: 'a' } : {}) },
    tier,
    sinceMs: 1000,
    reasons: [`${id} is ${tier}`],
    holdUntilMs: null,
    pending: false,
    ...(type === 'company'
      ? {
          seat: {
            stepTier: tier,
            stepReasons: [],
            overrideTier: null,
            floorTier: null,
            rankedWithPrevious: null,
            rankKeys: [1],
          },
        }
      : {}),
    ...extra,
  };
}

const save = (expectedVersion: number | null, rows: IncrementalRow[], extra: Partial<TieringStateSave> = {}) => ({
  expectedVersion,
  key: 'key-1',
  nowMs: 5000,
  rowCount: rows.length,
  tierCounts: { company: { t1: rows.filter((r) => r.type === 'company').length }, contact: {} },
  rows,
  deletes: [],
  ...extra,
});

async function allRows(store: Store, installationId: string, pageSize?: number): Promise<IncrementalRow[]> {
  return (await collect(store.tieringStateRows(installationId, pageSize))).flat();
}

describeEachEngine('the incremental tiering state', (engine) => {
  let store: Store;
  let portal: Installation;
  let other: Installation;

  beforeEach(async () => {
    store = engine.open(engine.create());
    await store.migrate();
    portal = await store.upsertInstallation('hubspot', '1');
    other = await store.upsertInstallation('hubspot', '2');
  });

  afterEach(async () => {
    await store.close();
  });

  test('a first save creates version 1; rows read back as saved, in pages, companies first', async () => {
    expect(await store.tieringStateMeta(portal.id)).toBeUndefined();
    const rows = [
      row('contact', 'x', 't0', { holdUntilMs: 9000, pending: true }),
      row('company', 'a'),
      row('company', 'b'),
    ];
    const meta = await store.saveTieringState(portal.id, save(null, rows), 7000);
    expect(meta).toEqual({
      version: 1,
      key: 'key-1',
      nowMs: 5000,
      rows: 3,
      tierCounts: { company: { t1: 2 }, contact: {} },
      savedAt: 7000,
    });
    expect(await store.tieringStateMeta(portal.id)).toEqual(meta);
    const pages = await collect(store.tieringStateRows(portal.id, 2));
    expect(pages.map((page) => page.length)).toEqual([2, 1]);
    expect(pages.flat()).toEqual([rows[1], rows[2], rows[0]]);
    expect(await store.tieringStateMeta(other.id)).toBeUndefined();
    expect(await allRows(store, other.id)).toEqual([]);
  });

  test('a run loads the companies alone, and the contacts it needs: by id, by company, pending or hold ending', async () => {
    const contact = (id: string, companyId: string | null, extra: Partial<IncrementalRow> = {}): IncrementalRow => {
      const base = row('contact', id, 't0', extra);
      return { ...base, record: { type: 'contact', id, fields: {}, ...(companyId === null ? {} : { companyId }) } };
    };
    const rows = [
      row('company', 'a'),
      row('company', 'b'),
      contact('plain', 'a'),
      contact('ofB', 'b'),
      contact('ofB2', 'b', { pending: true }),
      contact('pending', null, { pending: true }),
      contact('dueNow', 'c', { holdUntilMs: 5000 }),
      contact('dueLater', 'c', { holdUntilMs: 5001 }),
      contact('other', 'a'),
    ];
    await store.saveTieringState(portal.id, save(null, rows), 1);
    // The same contacts under another installation are never returned.
    await store.saveTieringState(other.id, save(null, rows), 1);
    const ids = (found: IncrementalRow[]): string[] => found.map((r) => r.id).sort();
    const companies = (await collect(store.tieringStateRows(portal.id, 1, 'company'))).flat();
    expect(companies.map((r) => r.id)).toEqual(['a', 'b']);
    expect(companies[0]).toEqual(rows[0]);
    expect(ids(await store.tieringStateContacts(portal.id, {}))).toEqual([]);
    expect(ids(await store.tieringStateContacts(portal.id, { ids: ['plain', 'a', 'nope'] }))).toEqual(['plain']);
    expect(ids(await store.tieringStateContacts(portal.id, { companyIds: ['b', 'z'] }))).toEqual(['ofB', 'ofB2']);
    expect(ids(await store.tieringStateContacts(portal.id, { dueBy: 5000 }))).toEqual(['dueNow', 'ofB2', 'pending']);
    // Each row once, whichever ways it is asked for; past one IN list.
    const many = Array.from({ length: 1100 }, (_, i) => `n${i}`);
    const all = await store.tieringStateContacts(portal.id, {
      ids: [...many, 'ofB2', 'other'],
      companyIds: [...many, 'b'],
      dueBy: 5001,
    });
    expect(ids(all)).toEqual(['dueLater', 'dueNow', 'ofB', 'ofB2', 'other', 'pending']);
    expect(all.find((r) => r.id === 'ofB2')).toEqual(rows[4]);
    // A save moves a contact to another company, clears its pending flag: the queries follow.
    await store.saveTieringState(portal.id, save(1, [contact('ofB2', 'a')]), 2);
    expect(ids(await store.tieringStateContacts(portal.id, { companyIds: ['b'] }))).toEqual(['ofB']);
    expect(ids(await store.tieringStateContacts(portal.id, { dueBy: 4999 }))).toEqual(['pending']);
  });

  test("a run's save writes its changed rows and removals only, from the version it loaded", async () => {
    await store.saveTieringState(
      portal.id,
      save(null, [row('company', 'a'), row('company', 'b'), row('contact', 'x')]),
      1,
    );
    const meta = await store.saveTieringState(
      portal.id,
      save(1, [row('company', 'a', 't2'), row('contact', 'y')], {
        deletes: [
          { type: 'company', id: 'b' },
          { type: 'contact', id: 'gone' },
        ],
        nowMs: 6000,
        rowCount: 3,
      }),
      2,
    );
    expect(meta.version).toBe(2);
    expect(meta.nowMs).toBe(6000);
    expect((await allRows(store, portal.id)).map((r) => `${r.type}:${r.id}:${r.tier}`)).toEqual([
      'company:a:t2',
      'contact:x:t1',
      'contact:y:t1',
    ]);
  });

  test('a stale save is refused whole: no row, no removal, the meta unchanged', async () => {
    await store.saveTieringState(portal.id, save(null, [row('company', 'a')]), 1);
    await store.saveTieringState(portal.id, save(1, [row('company', 'b')], { rowCount: 2 }), 2);
    const before = await allRows(store, portal.id);
    const metaBefore = await store.tieringStateMeta(portal.id);
    const stale = save(1, [row('company', 'c')], { deletes: [{ type: 'company', id: 'a' }] });
    await expect(store.saveTieringState(portal.id, stale, 3)).rejects.toThrow(StaleTieringStateError);
    await expect(store.saveTieringState(portal.id, save(null, [row('company', 'd')]), 3)).rejects.toThrow(
      StaleTieringStateError,
    );
    await expect(store.saveTieringState(portal.id, save(7, [], { replace: true }), 3)).rejects.toThrow(
      StaleTieringStateError,
    );
    expect(await allRows(store, portal.id)).toEqual(before);
    expect(await store.tieringStateMeta(portal.id)).toEqual(metaBefore);
  });

  test('two workers on their own store handles saving from the same version: exactly one wins', async () => {
    const spec = engine.create();
    const first = engine.open(spec);
    const second = engine.open(spec);
    try {
      await first.migrate();
      const installation = await first.upsertInstallation('hubspot', 'race');
      await first.saveTieringState(installation.id, save(null, [row('company', 'a')]), 1);
      const results = await Promise.allSettled([
        first.saveTieringState(installation.id, save(1, [row('company', 'a', 'first')]), 2),
        second.saveTieringState(installation.id, save(1, [row('company', 'a', 'second')]), 2),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(StaleTieringStateError);
      const winner = results[0].status === 'fulfilled' ? 'first' : 'second';
      expect((await allRows(second, installation.id)).map((r) => r.tier)).toEqual([winner]);
      expect((await second.tieringStateMeta(installation.id))?.version).toBe(2);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('replace keeps only the rows given; clear forgets the state', async () => {
    await store.saveTieringState(portal.id, save(null, [row('company', 'a'), row('contact', 'x')]), 1);
    await store.saveTieringState(other.id, save(null, [row('company', 'a')]), 1);
    await store.saveTieringState(portal.id, save(1, [row('company', 'z')], { replace: true, key: 'key-2' }), 2);
    expect((await allRows(store, portal.id)).map((r) => r.id)).toEqual(['z']);
    expect((await store.tieringStateMeta(portal.id))?.key).toBe('key-2');
    await store.clearTieringState(portal.id);
    expect(await store.tieringStateMeta(portal.id)).toBeUndefined();
    expect(await allRows(store, portal.id)).toEqual([]);
    expect((await allRows(store, other.id)).map((r) => r.id)).toEqual(['a']);
  });

  test("erasing a contact removes its state row, its counts, and moves the version (no held copy goes on); a company's drops the meta", async () => {
    await store.saveTieringState(
      portal.id,
      save(null, [row('company', 'a'), row('contact', 'x', 't2'), row('contact', 'y', 't2')], {
        tierCounts: { company: { t1: 1 }, contact: { t1: 0, t2: 2 } },
      }),
      1,
    );
    await store.saveTieringState(other.id, save(null, [row('contact', 'x')]), 1);
    await store.eraseRecord(portal.id, 'contact', 'x');
    expect((await allRows(store, portal.id)).map((r) => r.id)).toEqual(['a', 'y']);
    expect(await store.tieringStateMeta(portal.id)).toMatchObject({
      version: 2,
      rows: 2,
      tierCounts: { company: { t1: 1 }, contact: { t1: 0, t2: 1 } },
    });
    expect((await allRows(store, other.id)).map((r) => r.id)).toEqual(['x']);
    await store.eraseRecord(portal.id, 'company', 'a');
    expect((await allRows(store, portal.id)).map((r) => r.id)).toEqual(['y']);
    expect(await store.tieringStateMeta(portal.id)).toBeUndefined();
    expect((await store.tieringStateMeta(other.id))?.version).toBe(1);
  });

  test('the company snapshot is saved with the version it belongs to, replaced or dropped by each save, kept by a stale one, erased with a company', async () => {
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: 4097 }, (_, i) => (i * n) % 256);
    expect(await store.tieringStateCompanies(portal.id)).toBeUndefined();
    await store.saveTieringState(portal.id, save(null, [row('company', 'a')], { companies: bytes(3) }), 10);
    await store.saveTieringState(other.id, save(null, [row('company', 'a')], { companies: bytes(5) }), 10);
    const first = await store.tieringStateCompanies(portal.id);
    expect(first?.version).toBe(1);
    expect(first?.savedAt).toBe(10);
    expect([...(first?.data ?? [])]).toEqual([...bytes(3)]);
    await store.saveTieringState(portal.id, save(1, [row('company', 'b')], { companies: bytes(7) }), 20);
    expect(await store.tieringStateCompanies(portal.id)).toMatchObject({ version: 2, savedAt: 20 });
    expect([...((await store.tieringStateCompanies(portal.id))?.data ?? [])]).toEqual([...bytes(7)]);
    // A stale save changes nothing; a save without a snapshot leaves none (no older one is used).
    const stale = save(1, [row('company', 'c')], { companies: bytes(9) });
    await expect(store.saveTieringState(portal.id, stale, 30)).rejects.toThrow(StaleTieringStateError);
    expect((await store.tieringStateCompanies(portal.id))?.version).toBe(2);
    await store.saveTieringState(portal.id, save(2, [row('company', 'c')]), 40);
    expect(await store.tieringStateCompanies(portal.id)).toBeUndefined();
    await store.saveTieringState(portal.id, save(3, [], { companies: bytes(11) }), 50);
    // The company rows a run asks for, by id (the ones the state has).
    const rows = await store.tieringStateCompanyRows(portal.id, ['c', 'a', 'nope']);
    expect(rows.map((r) => r.id).sort()).toEqual(['a', 'c']);
    expect(await store.tieringStateCompanyRows(portal.id, [])).toEqual([]);
    // Erasing a contact moves the version of the meta row and of the snapshot (no contact in it).
    await store.saveTieringState(portal.id, save(4, [row('contact', 'x')], { companies: bytes(13) }), 60);
    await store.eraseRecord(portal.id, 'contact', 'x');
    expect((await store.tieringStateMeta(portal.id))?.version).toBe(6);
    expect(await store.tieringStateCompanies(portal.id)).toMatchObject({ version: 6, savedAt: 60 });
    // The snapshot names every company: erasing one drops it with the meta row.
    await store.eraseRecord(portal.id, 'company', 'a');
    expect(await store.tieringStateCompanies(portal.id)).toBeUndefined();
    expect((await store.tieringStateCompanies(other.id))?.version).toBe(1);
    await store.clearTieringState(other.id);
    expect(await store.tieringStateCompanies(other.id)).toBeUndefined();
    await store.saveTieringState(other.id, save(null, [row('company', 'a')], { companies: bytes(5) }), 60);
    await store.forgetInstallation(other.id, 70);
    expect(await store.tieringStateCompanies(other.id)).toBeUndefined();
  });

  test('forgetting an installation forgets its state', async () => {
    await store.saveTieringState(portal.id, save(null, [row('company', 'a')]), 1);
    await store.saveTieringState(other.id, save(null, [row('company', 'a')]), 1);
    await store.forgetInstallation(portal.id, 5000);
    expect(await store.tieringStateMeta(portal.id)).toBeUndefined();
    expect(await allRows(store, portal.id)).toEqual([]);
    expect(await store.tieringStateMeta(other.id)).toBeDefined();
    expect(await store.purgeUninstalled(5001)).toEqual([portal.id]);
  });

  describe('reads by id', () => {
    beforeEach(async () => {
      const ids = Array.from({ length: 1200 }, (_, i) => `c${String(i).padStart(4, '0')}`);
      await store.upsertRecords(
        portal.id,
        ids.map((id) => ({ type: 'company' as const, id, fields: { n: id } })),
        1,
      );
      await store.upsertRecords(portal.id, [{ type: 'contact', id: 'x', companyId: 'c0001', fields: {} }], 1);
      await store.upsertDeals(portal.id, [
        { id: 'd1', companyId: 'c0001', amount: 10, closedWon: true, closed: true, closeTime: 100 },
        { id: 'd2', companyId: 'c0002', amount: 20, closedWon: true, closed: true, closeTime: 200 },
        { id: 'd3', companyId: 'c0003', amount: 30, closedWon: false, closed: true, closeTime: 150 },
        { id: 'd4', companyId: 'c0001', amount: 40, closedWon: false, closed: false, closeTime: null },
      ]);
      await store.applyTierChanges(
        portal.id,
        'run',
        ids.slice(0, 700).map((id) => ({ type: 'company' as const, id, tier: 'low', reasons: [] })),
        1,
      );
    });

    test('records by id, past one IN list, leaving out what is not mirrored or of another type', async () => {
      const wanted = Array.from({ length: 1100 }, (_, i) => `c${String(i + 100).padStart(4, '0')}`);
      const found = await store.recordsByIds(portal.id, 'company', [...wanted, 'nope', 'x']);
      expect(found.map((r) => r.id).sort()).toEqual(wanted);
      expect(await store.recordsByIds(portal.id, 'contact', ['x'])).toEqual([
        { type: 'contact', id: 'x', companyId: 'c0001', override: null, fields: {} },
      ]);
      expect(await store.recordsByIds(other.id, 'contact', ['x'])).toEqual([]);
    });

    test('deals of companies, companies of deals, companies with won deals closed in a window, stored tiers by id', async () => {
      expect((await store.dealsOfCompanies(portal.id, ['c0001', 'c0003'])).map((d) => d.id).sort()).toEqual([
        'd1',
        'd3',
        'd4',
      ]);
      expect((await store.companiesOfDeals(portal.id, ['d2', 'd3', 'd9'])).sort()).toEqual(['c0002', 'c0003']);
      expect(await store.companiesWithWonDealsClosedIn(portal.id, 100, 200)).toEqual(['c0002']);
      expect((await store.companiesWithWonDealsClosedIn(portal.id, 99, 200)).sort()).toEqual(['c0001', 'c0002']);
      expect(await store.companiesWithWonDealsClosedIn(portal.id, 200, 1000)).toEqual([]);
      const ids = Array.from({ length: 800 }, (_, i) => `c${String(i).padStart(4, '0')}`);
      const stored = await store.storedTiersOf(portal.id, 'company', ids);
      expect(stored).toHaveLength(700);
      expect(stored[0]?.tier).toBe('low');
    });
  });
});

describe('the contacts a run needs, when they are many', () => {
  test('300,000 pending contacts (after a full classification) come back, each once', async () => {
    const pending = Array.from({ length: 300_000 }, (_, i) => ({ id: `c${i}`, row: `{"id":"c${i}"}` }));
    const db = {
      query: (sql: string) => Promise.resolve(sql.includes('pending = 1') ? pending : pending.slice(0, 10)),
      run: () => Promise.resolve(0),
    } as unknown as SqlQueries;
    const rows = await tieringStateContacts(db, 'portal', { dueBy: 1 });
    expect(rows).toHaveLength(300_000);
    expect(rows[299_999]).toEqual({ id: 'c299999' });
  });
});
