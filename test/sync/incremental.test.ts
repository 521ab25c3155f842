/**
 * Incremental runs of the sync engine (src/sync/phases/incremental.ts, state.ts, reconcile.ts)
 * against in-memory CRMs:
 *
 * - the oracle: two identical CRMs get the same random changes (deal amounts and stages, new deals,
 *   company and contact fields, overrides, contacts moving, deletions) and the same clock (past
 *   `minDaysInTier`, deals leaving the deal-size window); one is synced incrementally — by workers
 *   taking turns, each with its own store handle and memory, one of them holding nothing between
 *   runs — the other by full runs; after every run both CRMs show the same tier, reason
 *   (over-capacity ranks aside) and next-tier hint;
 * - a worker holding nothing loads the companies and only the contacts its run needs;
 * - a run after a few changes decides a few records, not all; a dry run saves no state;
 * - a save from a stale version is refused and the run fails cleanly; the next one continues;
 * - the full run's reconcile counts a corrupted state row, names it, and corrects it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping, withDiscovered } from '../../src/mapping/mapping.ts';
import type { Mapping } from '../../src/mapping/mapping.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/store.ts';
import { StateCache, sync, withoutRank } from '../../src/sync/engine.ts';
import type { SyncOptions, SyncReport } from '../../src/sync/engine.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { FakeCrm } from './fake-connector.ts';

const examplePolicy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
/** The example policy with a second capacity tier (seats cascade) and a hold on contacts too. */
const policy: Policy = {
  ...examplePolicy,
  company: {
    ...examplePolicy.company,
    capacity: {
      ...examplePolicy.company?.capacity,
      mid_touch: { max: 5, rankBy: [{ field: 'employees', order: 'desc' }], preferIncumbents: true },
    },
  },
  contact: { ...examplePolicy.contact, hysteresis: { minDaysInTier: 10 } },
};
const mappingResult = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
if (!mappingResult.ok) throw new Error('invalid default mapping');
const mapping: Mapping = withDiscovered(mappingResult.mapping, { 'lead-score': 'lead_score' });
const START = Date.parse('2026-11-20T00:00:00Z');
const DAY = 86_400_000;
const COMPANIES = 30;
const CONTACTS = 60;

/** A small seeded generator (mulberry32), so that a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let now = START;
const clock = (): Date => new Date(now);

/** Fills a CRM the same way for the same seed; deals close across the last 400 days (some leave the window). */
function fill(crm: FakeCrm, seed: number): void {
  const r = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
  for (let i = 0; i < COMPANIES; i++) {
    crm.put('companies', `co${i}`, {
      numberofemployees: String(Math.floor(r() * 3000)),
      prefers_digital: r() < 0.15 ? 'true' : 'false',
      support_plan: r() < 0.08 ? 'premier' : 'basic',
    });
  }
  for (let i = 0; i < CONTACTS; i++) {
    crm.put('contacts', `ct${i}`, {
      associatedcompanyid: r() < 0.9 ? `co${Math.floor(r() * COMPANIES)}` : null,
      lead_score: String(Math.floor(r() * 100)),
    });
  }
  for (let i = 0; i < 2 * COMPANIES; i++) {
    crm.putDeal(`d${i}`, pick([`co${Math.floor(r() * COMPANIES)}`, `co${i % COMPANIES}`]), {
      amount: String(Math.floor(r() * 60_000)),
      hs_is_closed_won: r() < 0.7 ? 'true' : 'false',
      hs_is_closed: 'true',
      closedate: new Date(START - Math.floor(r() * 400) * DAY).toISOString(),
    });
  }
}

/** One random change, applied alike to every CRM given. */
function change(crms: readonly FakeCrm[], r: () => number, n: number): void {
  const company = `co${Math.floor(r() * COMPANIES)}`;
  const contact = `ct${Math.floor(r() * CONTACTS)}`;
  const deal = `d${Math.floor(r() * 2 * COMPANIES)}`;
  const kind = Math.floor(r() * 10);
  const value = r();
  for (const crm of crms) {
    const has = (type: 'companies' | 'contacts' | 'deals', id: string): boolean => crm.objects[type].has(id);
    if (kind === 0 && has('deals', deal)) crm.change('deals', deal, { amount: String(Math.floor(value * 150_000)) });
    else if (kind === 1 && has('deals', deal))
      crm.change('deals', deal, { hs_is_closed_won: value < 0.5 ? 'true' : 'false' });
    else if (kind === 2) {
      crm.putDeal(`new${n}`, company, {
        amount: String(Math.floor(value * 120_000)),
        ...{ hs_is_closed_won: 'true', hs_is_closed: 'true', closedate: new Date(now - DAY).toISOString() },
      });
    } else if (kind === 3 && has('companies', company)) {
      crm.change('companies', company, { numberofemployees: String(Math.floor(value * 3000)) });
    } else if (kind === 4 && has('companies', company)) {
      const override =
        value < 0.5 ? null : (['tech_touch', 'mid_touch', 'high_touch'][Math.floor(value * 6) % 3] ?? null);
      crm.change('companies', company, { engagement_model_override: override });
    } else if (kind === 5 && has('contacts', contact)) {
      crm.change('contacts', contact, { lead_score: String(Math.floor(value * 100)) });
    } else if (kind === 6 && has('contacts', contact)) {
      crm.change('contacts', contact, { associatedcompanyid: `co${Math.floor(value * COMPANIES)}` });
    } else if (kind === 7 && has('contacts', contact)) {
      crm.change('contacts', contact, { engagement_model_override: value < 0.5 ? 'high_touch' : null });
    } else if (kind === 8 && has('contacts', contact)) {
      crm.objects.contacts.delete(contact);
      crm.removals.push({ type: 'contact', id: contact, successorId: null, reason: 'deleted', at: now });
    } else if (kind === 9 && has('companies', company) && value < 0.3) {
      crm.objects.companies.delete(company);
      crm.removals.push({ type: 'company', id: company, successorId: null, reason: 'deleted', at: now });
    } else if (kind === 9 && has('companies', company)) {
      crm.change('companies', company, { prefers_digital: value < 0.65 ? 'true' : 'false' });
    }
  }
}

/** What a CRM shows per record: tier, reason without over-capacity ranks, next-tier hint. */
function shown(crm: FakeCrm): Map<string, string> {
  const out = new Map<string, string>();
  for (const type of ['companies', 'contacts'] as const) {
    for (const [id, object] of crm.objects[type]) {
      const p = object.properties;
      out.set(
        `${type}:${id}`,
        withoutRank(
          `${p['engagement_model'] ?? ''} | ${p['engagement_model_reason'] ?? ''} | ${p['engagement_model_next'] ?? ''}`,
        ),
      );
    }
  }
  return out;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'righttouch-incremental-')), 'righttouch.db');
}

const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function open(path: string): Promise<SqliteStore> {
  const store = new SqliteStore(path);
  opened.push(store);
  await store.migrate();
  return store;
}

async function world(seed: number): Promise<{ crm: FakeCrm; store: SqliteStore; options: SyncOptions; path: string }> {
  now = START - 3_600_000;
  const crm = new FakeCrm(() => now);
  fill(crm, seed);
  const path = tempDb();
  const store = await open(path);
  const installation = await store.upsertInstallation('hubspot', 'portal-1');
  now = START;
  const options: SyncOptions = { store, connector: crm, mapping, policy, installationId: installation.id, clock };
  return { crm, store, options, path };
}

describe('incremental runs', () => {
  beforeEach(() => {
    now = START;
  });

  test('oracle: after random changes, workers taking turns on incremental runs write what full runs write', async () => {
    for (const seed of [1, 2, 3]) {
      const inc = await world(seed);
      const full = await world(seed);
      // Three workers: their own store handle on the same database, their own memory — the third
      // holds nothing between runs (a fresh worker every run: the companies and the contacts the
      // run needs are loaded from the store).
      const fresh = new StateCache();
      const workers = [
        { store: inc.store, cache: () => firstCache },
        { store: await open(inc.path), cache: () => secondCache },
        { store: await open(inc.path), cache: () => new StateCache() },
      ];
      const firstCache = new StateCache();
      const secondCache = new StateCache();
      await sync({ ...inc.options, full: true, stateCache: fresh });
      await sync({ ...full.options, full: true, stateCache: new StateCache() });
      expect(shown(inc.crm)).toEqual(shown(full.crm));
      const r = random(seed * 7919);
      let decidedLess = 0;
      for (let step = 1; step <= 14; step++) {
        // The clock: often hours, sometimes past the 10- and 30-day holds and deal closings' anniversaries.
        now += Math.floor(r() * 4) === 0 ? Math.floor(r() * 45) * DAY : Math.floor(r() * 10) * 3_600_000 + 60_000;
        const changes = Math.floor(r() * 6);
        for (let i = 0; i < changes; i++) change([inc.crm, full.crm], r, step * 10 + i);
        now += 60_000;
        const worker = workers[Math.floor(r() * workers.length)];
        if (worker === undefined) throw new Error('no worker');
        const report: SyncReport = await sync({ ...inc.options, store: worker.store, stateCache: worker.cache() });
        await sync({ ...full.options, full: true, stateCache: new StateCache() });
        expect(report.kind).toBe('incremental');
        if (report.decided < COMPANIES + CONTACTS) decidedLess++;
        expect(shown(inc.crm), `seed ${seed}, step ${step}`).toEqual(shown(full.crm));
      }
      // Incremental most of the time (not a full classification every run).
      expect(decidedLess).toBeGreaterThan(7);
      // And the nightly reconcile finds nothing to correct.
      const nightly = await sync({ ...inc.options, full: true, stateCache: new StateCache() });
      expect(nightly.reconcile).toEqual({ compared: true, differences: 0, examples: [] });
    }
  }, 120_000);

  test('a run after a few changes decides about those, not every record; a dry run saves no state', async () => {
    const { crm, store, options } = await world(5);
    const cache = new StateCache();
    await sync({ ...options, full: true, stateCache: cache });
    now += 3_600_000;
    await sync({ ...options, stateCache: cache }); // the run after it (the full run settled what it moved: little to decide)
    const meta = await store.tieringStateMeta(options.installationId);
    expect(meta?.rows).toBe(COMPANIES + CONTACTS);
    now += 3_600_000;
    crm.change('contacts', 'ct1', { lead_score: '99' });
    crm.change('contacts', 'ct2', { lead_score: '1' });
    crm.change('companies', 'co3', { numberofemployees: '2999' });
    const dry = await sync({ ...options, stateCache: new StateCache(), dryRun: true });
    expect(dry.decided).toBeLessThan(20);
    expect(await store.tieringStateMeta(options.installationId)).toEqual(meta);
    // A worker holding nothing loads the state from the store rather than classifying everything:
    // every company's place from the company snapshot, and only the rows the run needs — of the
    // companies it reads, moves or decides again and of the contacts it decides (a JSON row per
    // company before the snapshot was kept).
    const loaded = { company: 0, contact: 0 };
    let snapshots = 0;
    const counting = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'tieringStateRows') {
          return async function* (...args: Parameters<Store['tieringStateRows']>) {
            for await (const page of target.tieringStateRows(...args)) {
              for (const row of page) loaded[row.type]++;
              yield page;
            }
          };
        }
        if (name === 'tieringStateCompanyRows') {
          return async (...args: Parameters<Store['tieringStateCompanyRows']>) => {
            const rows = await target.tieringStateCompanyRows(...args);
            loaded.company += rows.length;
            return rows;
          };
        }
        if (name === 'tieringStateCompanies') snapshots++;
        if (name === 'tieringStateContacts') {
          return async (...args: Parameters<Store['tieringStateContacts']>) => {
            const rows = await target.tieringStateContacts(...args);
            loaded.contact += rows.length;
            return rows;
          };
        }
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const report = await sync({ ...options, store: counting, stateCache: new StateCache() });
    expect(report.decided).toBeGreaterThanOrEqual(3);
    expect(report.decided).toBeLessThan(20);
    expect(snapshots).toBe(1);
    expect(loaded.company).toBeGreaterThanOrEqual(1); // co3, read
    expect(loaded.company).toBeLessThan(COMPANIES / 2);
    expect(loaded.contact).toBeGreaterThanOrEqual(2);
    expect(loaded.contact).toBeLessThan(CONTACTS / 3);
    // The tier mix is every record's (the stored counts); the movements are the run's.
    expect(report.summary.company.total + report.summary.contact.total).toBe(COMPANIES + CONTACTS);
    const moved = [...report.summary.company.movements, ...report.summary.contact.movements];
    expect(moved.reduce((sum, m) => sum + m.count, 0)).toBeLessThan(20);
    expect((await store.tieringStateMeta(options.installationId))?.version).toBe((meta?.version ?? 0) + 1);
    // Nothing changed: nothing decided but what the writes and the clock bring.
    now += 60_000;
    const quiet = await sync({ ...options, stateCache: cache });
    expect(quiet.decided).toBeLessThan(10);
    // What the worker keeps between runs is the companies: the contacts it loaded are dropped.
    const saved = await store.tieringStateMeta(options.installationId);
    if (saved === undefined) throw new Error('no state saved');
    const kept = cache.take(options.installationId, saved);
    expect(kept?.held).toBe(COMPANIES);
    expect(kept?.size).toBe(COMPANIES + CONTACTS);
    expect(kept?.holdsEveryContact).toBe(false);
  });

  test('the state is built again under another policy, when the clock goes back, and after a company is erased', async () => {
    const { store, options } = await world(8);
    const all = COMPANIES + CONTACTS;
    await sync({ ...options, full: true, stateCache: new StateCache() });
    now += 3_600_000;
    await sync({ ...options });
    now += 3_600_000;
    expect((await sync({ ...options })).decided).toBeLessThan(all);
    const key = (await store.tieringStateMeta(options.installationId))?.key;
    const other = {
      ...policy,
      company: {
        ...policy.company,
        capacity: { high_touch: { max: 3, rankBy: [{ field: 'dealSize', order: 'desc' as const }] } },
      },
    };
    now += 60_000;
    const rebuilt = await sync({ ...options, policy: other });
    expect(rebuilt).toMatchObject({ decided: all, rebuilt: 'the policy or mapping changed' });
    expect((await store.tieringStateMeta(options.installationId))?.key).not.toBe(key);
    now += 60_000;
    expect((await sync({ ...options, policy: other })).decided).toBeLessThan(all);
    now -= DAY;
    expect(await sync({ ...options, policy: other })).toMatchObject({
      decided: all,
      rebuilt: "the clock is before the last run's",
    });
    now += 2 * DAY;
    await store.eraseRecord(options.installationId, 'company', 'co1');
    expect(await store.tieringStateMeta(options.installationId)).toBeUndefined();
    // Built again (the CRM still has the company: the run reads it back).
    expect((await sync({ ...options, policy: other })).decided).toBeGreaterThanOrEqual(all - 1);
  });

  test('a save from a stale version is refused: the run fails, nothing of it is saved, the next run continues', async () => {
    const { crm, store, options } = await world(6);
    await sync({ ...options, full: true, stateCache: new StateCache() });
    now += 3_600_000;
    const company = crm.objects.deals.get('d0')?.companyId ?? '';
    const shownBefore = shown(crm).get(`companies:${company}`);
    crm.change('deals', 'd0', {
      amount: '500000',
      hs_is_closed_won: 'true',
      closedate: new Date(now - DAY).toISOString(),
    });
    // Another worker saves while this run decides.
    const racing = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'saveTieringState') {
          return async (...args: Parameters<Store['saveTieringState']>) => {
            const meta = await target.tieringStateMeta(args[0]);
            await target.saveTieringState(
              args[0],
              {
                expectedVersion: meta?.version ?? null,
                key: meta?.key ?? '',
                nowMs: now,
                rowCount: meta?.rows ?? 0,
                tierCounts: meta?.tierCounts ?? { company: {}, contact: {} },
                rows: [],
                deletes: [],
              },
              now,
            );
            return target.saveTieringState(...args);
          };
        }
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const before = await store.tieringStateMeta(options.installationId);
    await expect(sync({ ...options, store: racing, stateCache: new StateCache() })).rejects.toThrow(
      /another run saved first/,
    );
    expect((await store.listRuns(options.installationId))[0]?.status).toBe('failed');
    const after = await store.tieringStateMeta(options.installationId);
    expect(after?.version).toBe((before?.version ?? 0) + 1); // the other worker's save only
    expect(shown(crm).get(`companies:${company}`)).toBe(shownBefore); // recorded, not written
    // The next run continues from the store and writes what the failed run recorded.
    now += 60_000;
    await sync({ ...options, stateCache: new StateCache() });
    expect(shown(crm).get(`companies:${company}`)).not.toBe(shownBefore);
    expect((await collect(store.unwrittenTiers(options.installationId, 'company'))).flat()).toEqual([]);
    const nightly = await sync({ ...options, full: true, stateCache: new StateCache() });
    expect(nightly.reconcile?.differences).toBe(0);
  });

  test('the full reconcile counts a corrupted state row, names it, counts it in /metrics, and corrects it', async () => {
    const { store, options } = await world(7);
    await sync({ ...options, full: true, stateCache: new StateCache() });
    now += 3_600_000;
    await sync({ ...options, stateCache: new StateCache() });
    // Corrupt one contact's row: another tier and reason than it was decided.
    const meta = await store.tieringStateMeta(options.installationId);
    const rows = (await collect(store.tieringStateRows(options.installationId))).flat();
    const victim = rows.find((row) => row.type === 'contact' && row.tier !== 'high_touch');
    if (victim === undefined || meta === undefined) throw new Error('no contact to corrupt');
    await store.saveTieringState(
      options.installationId,
      {
        ...{ expectedVersion: meta.version, key: meta.key, nowMs: meta.nowMs, rowCount: meta.rows, deletes: [] },
        tierCounts: meta.tierCounts ?? { company: {}, contact: {} },
        rows: [{ ...victim, tier: 'high_touch', reasons: ['corrupted'] }],
      },
      now,
    );
    now += 60_000;
    const nightly = await sync({ ...options, full: true, stateCache: new StateCache() });
    expect(nightly.reconcile?.compared).toBe(true);
    expect(nightly.reconcile?.differences).toBeGreaterThanOrEqual(1);
    expect(nightly.reconcile?.examples.join('\n')).toContain(
      `contact ${victim.id}: incremental high_touch (corrupted)`,
    );
    expect((await store.listRuns(options.installationId))[0]?.counts?.['reconcile.differences']).toBe(
      nightly.reconcile?.differences,
    );
    const metrics = createMetrics();
    metrics.recordRun('hubspot', 'succeeded', nightly);
    expect(await metrics.registry.metrics()).toContain(
      `righttouch_reconcile_differences_total{crm="hubspot"} ${nightly.reconcile?.differences ?? 0}`,
    );
    // Corrected: the state is the full classification's.
    const fixed = (await collect(store.tieringStateRows(options.installationId))).flat();
    expect(fixed.find((row) => row.type === 'contact' && row.id === victim.id)?.reasons).not.toContain('corrupted');
    now += 60_000;
    const again = await sync({ ...options, full: true, stateCache: new StateCache() });
    expect(again.reconcile).toEqual({ compared: true, differences: 0, examples: [] });
  });
});
