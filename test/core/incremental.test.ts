/**
 * Examples of incremental runs (src/core/incremental.ts) that the oracle property test cannot
 * show: that a run does little work (records decided again) while giving what `classify` gives,
 * for a hold that ends with no change at all, and for a seat that cascades through two capacity
 * tiers — and that the next-tier hint (spec §8) follows a company's capacity-final tier and its
 * contacts' inherited tier, and is reported when it is the only thing that changed.
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

    // Day 2: the two records that got their first tier on day 1 were settled by the full
    // classification itself (decided again with that tier as previous: no change), so nothing is
    // decided; day 9: still inside the hold, nothing to decide.
    expect(state.apply({ now: day(2) })).toEqual({ changed: [], decided: 0 });
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
    // The full classification settled the records whose tier it changed (all of them here): the
    // run after it has nothing to decide again.
    let previous = first.map((d): PreviousTier => ({
      type: 'company',
      id: d.id,
      tier: d.tier,
      since: day(0).toISOString(),
    }));
    expect(state.apply({ now: day(1) }).decided).toBe(0);

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

  test('the hint follows a company moved by capacity alone, and its contacts', () => {
    const policy = valid({
      version: 1,
      tiers: TIERS,
      company: {
        rules: [
          { tier: 't2', when: { field: 'n0', gte: 100 } },
          { tier: 't2', when: { field: 'n1', gte: 100 } },
        ],
        capacity: { t2: { max: 1, rankBy: [{ field: 'n0', order: 'desc' }], preferIncumbents: false } },
      },
      contact: {
        inherit: 'company',
        rules: [
          { tier: 't1', when: { field: 'score', gte: 50 } },
          { tier: 't2', when: { field: 'score', gte: 90 } },
        ],
      },
    });
    const a: CanonicalRecord = { type: 'company', id: 'a', fields: { n0: 100, n1: 0 } };
    const b: CanonicalRecord = { type: 'company', id: 'b', fields: { n0: 200, n1: 0 } };
    const ct: CanonicalRecord = { type: 'contact', id: 'ct', companyId: 'a', fields: { score: 60 } };
    const state = createIncremental(policy);
    const first = state.fullClassify([a, ct], undefined, day(0));
    expect(first).toEqual(classify(policy, [a, ct], undefined, day(0)).decisions);
    // In the top tier: nothing to hint.
    expect(first.map((d) => d.next)).toEqual([undefined, undefined]);
    let previous: PreviousTier[] = first.map((d) => ({
      type: d.type,
      id: d.id,
      tier: d.tier,
      since: day(0).toISOString(),
    }));
    expect(state.apply({ now: day(1) })).toEqual({ changed: [], decided: 0 });

    // b takes the only Tier 2 seat: a is moved down without being decided again, and its hint is
    // the one for Tier 1 (its other Tier 2 rule); its contact follows it down and gets its own hint.
    const { changed, decided } = state.apply({ upserts: [b], now: day(2) });
    expect(decided).toBe(2); // b and ct: a is only re-seated
    const full = classify(policy, [a, b, ct], previous, day(2)).decisions;
    expect(changed).toEqual([full[1], full[0], full[2]]);
    expect(state.decision('company', 'a')?.next).toEqual({ tier: 't2', field: 'n1', op: 'gte', value: 100 });
    expect(state.decision('contact', 'ct')).toMatchObject({
      tier: 't1',
      next: { tier: 't2', field: 'score', op: 'gte', value: 90 },
    });

    // b goes: a takes the seat back and both hints go away.
    previous = full.map((d) => ({ type: d.type, id: d.id, tier: d.tier, since: day(2).toISOString() }));
    const back = state.apply({ deletes: [{ type: 'company', id: 'b' }], now: day(3) });
    const fullBack = classify(policy, [a, ct], previous, day(3)).decisions;
    expect(back.changed).toEqual(fullBack);
    expect(back.changed.map((d) => [d.id, d.tier, d.next])).toEqual([
      ['a', 't2', undefined],
      ['ct', 't2', undefined],
    ]);
  });

  test('a decision whose only change is its hint is reported as changed', () => {
    const policy = valid({
      version: 1,
      tiers: TIERS,
      company: {
        rules: [
          { tier: 't1', when: { field: 'n0', gte: 50 } },
          { tier: 't1', when: { field: 'n1', gte: 50 } },
        ],
      },
    });
    const before: CanonicalRecord = { type: 'company', id: 'c', fields: { n0: 10, n1: 30 } };
    const state = createIncremental(policy);
    const [first] = state.fullClassify([before], undefined, day(0));
    // n1 is the closer field (30 of 50 against 10 of 50).
    expect(first?.next).toEqual({ tier: 't1', field: 'n1', op: 'gte', value: 50 });
    state.apply({ now: day(1) });

    // n1 falls to 0: still Tier 0 for the same reason, but n0 is now the closer field.
    const after: CanonicalRecord = { type: 'company', id: 'c', fields: { n0: 10, n1: 0 } };
    const { changed } = state.apply({ upserts: [after], now: day(2) });
    const previous: PreviousTier[] = [{ type: 'company', id: 'c', tier: 't0', since: day(0).toISOString() }];
    const [full] = classify(policy, [after], previous, day(2)).decisions;
    expect(changed).toEqual([full]);
    expect(changed[0]).toMatchObject({ tier: 't0', reasons: first?.reasons, next: { field: 'n0' } });
  });
});
