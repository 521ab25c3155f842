/**
 * Examples of incremental runs (src/core/incremental.ts) that the oracle property test cannot
 * show: that a run does little work (records decided again) while giving what `classify` gives,
 * for a hold that ends with no change at all, and for a seat that cascades through two capacity
 * tiers.
 */
import { describe, expect, test } from 'vitest';
import { classify, createIncremental, validatePolicy } from '../../src/core/index.ts';
import type { CanonicalRecord, Decision, Policy, PreviousTier } from '../../src/core/index.ts';

const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const day = (n: number): Date => new Date(T0 + n * DAY_MS);

function valid(policy: unknown): Policy {
  const result = validatePolicy(policy);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

const TIERS = [
  { value: 't0', label: 'Tier 0' },
  { value: 't1', label: 'Tier 1' },
  { value: 't2', label: 'Tier 2' },
];

function company(id: string, n0: number): CanonicalRecord {
  return { type: 'company', id, fields: { n0 } };
}

function byId(decisions: readonly Decision[]): Record<string, string> {
  return Object.fromEntries(decisions.map((d) => [d.id, d.tier]));
}

describe('incremental runs', () => {
  test('a minDaysInTier hold that ends between runs is decided again without any change', () => {
    const policy = valid({
      version: 1,
      tiers: TIERS,
      company: { rules: [{ tier: 't2', when: { field: 'n0', gte: 100 } }], hysteresis: { minDaysInTier: 10 } },
      contact: { inherit: 'company' },
    });
    const records: CanonicalRecord[] = [
      company('held', 5),
      company('other', 500),
      { type: 'contact', id: 'ct', companyId: 'held', fields: {} },
    ];
    const previous: PreviousTier[] = [{ type: 'company', id: 'held', tier: 't2', since: day(0).toISOString() }];
    const state = createIncremental(policy);
    expect(byId(state.fullClassify(records, previous, day(1)))).toEqual({ held: 't2', other: 't2', ct: 't2' });

    // Day 2: the two records that got their first tier on day 1 are decided again (their previous
    // tier changed), with no change; day 9: still inside the hold, nothing to decide.
    expect(state.apply({ now: day(2) })).toEqual({ changed: [], decided: 2 });
    expect(state.apply({ now: day(9) })).toEqual({ changed: [], decided: 0 });

    // Day 10: the hold ends; the company drops to its rules' tier, and its contact follows.
    const { changed, decided } = state.apply({ now: day(10) });
    expect(decided).toBe(2);
    const sinceDay1 = (type: 'company' | 'contact', id: string): PreviousTier => ({
      type,
      id,
      tier: 't2',
      since: day(1).toISOString(),
    });
    const lastRun = [...previous, sinceDay1('company', 'other'), sinceDay1('contact', 'ct')];
    const full = classify(policy, records, lastRun, day(10)).decisions;
    expect(changed).toEqual(full.filter((d) => d.id !== 'other'));
    expect(byId(changed)).toEqual({ held: 't0', ct: 't0' });
  });

  test('one company taking a seat moves one company down per capacity tier, deciding only it again', () => {
    const policy = valid({
      version: 1,
      tiers: TIERS,
      company: {
        default: 't2',
        capacity: {
          t2: { max: 2, rankBy: [{ field: 'n0', order: 'desc' }], preferIncumbents: false },
          t1: { max: 2, rankBy: [{ field: 'n0', order: 'desc' }], preferIncumbents: false },
        },
      },
    });
    const records = Array.from({ length: 200 }, (_, i) => company(`co${i}`, i));
    const state = createIncremental(policy);
    const first = state.fullClassify(records, undefined, day(0));
    const tiers = byId(first);
    expect([tiers['co199'], tiers['co198'], tiers['co197'], tiers['co196'], tiers['co195']]).toEqual([
      't2',
      't2',
      't1',
      't1',
      't0',
    ]);
    // The run after a full classification decides again the records whose tier it changed (all of them here).
    let previous = first.map((d): PreviousTier => ({
      type: 'company',
      id: d.id,
      tier: d.tier,
      since: day(0).toISOString(),
    }));
    expect(state.apply({ now: day(1) }).decided).toBe(200);

    // co0 jumps to the top: co198 loses its Tier 2 seat and takes co196's Tier 1 seat.
    const changedRecords = records.map((r) => (r.id === 'co0' ? company('co0', 1000) : r));
    const { changed, decided } = state.apply({ upserts: [company('co0', 1000)], now: day(2) });
    expect(decided).toBe(1);
    expect(byId(changed)).toMatchObject({ co0: 't2', co198: 't1', co196: 't0' });
    const full = classify(policy, changedRecords, previous, day(2)).decisions;
    const fullById = new Map(full.map((d) => [d.id, d]));
    for (const d of changed) expect(d).toEqual(fullById.get(d.id));
    expect(Object.keys(byId(changed)).sort()).toEqual(['co0', 'co196', 'co198']);

    // The next run decides again just the three whose tier changed (their previous tier did).
    previous = full.map((d) => {
      const before = previous.find((p) => p.id === d.id);
      return before?.tier === d.tier
        ? before
        : { type: 'company', id: d.id, tier: d.tier, since: day(2).toISOString() };
    });
    expect(state.apply({ now: day(3) })).toEqual({ changed: [], decided: 3 });
  });
});
