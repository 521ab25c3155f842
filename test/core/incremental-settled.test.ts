/**
 * A full classification settles what it moved (src/core/incremental-settled.ts): the run after it
 * decides what its own changes affect, not every record whose tier the full classification set —
 * every record of an installation's first sync — and still gives what `classify` gives with the
 * full classification's output as previous tiers. A record whose decision that previous tier
 * changes (held within the demotion margin, then held by the minimum time in tier) stays pending
 * and is decided by the next run. The oracle property tests (incremental*.property.test.ts) check
 * the same equality on random policies; these show the work saved on a book of 2,000 records.
 */
import { describe, expect, test } from 'vitest';
import { classify, createIncremental, validatePolicy } from '../../src/core/index.ts';
import type { CanonicalRecord, Decision, Policy, PreviousTier } from '../../src/core/index.ts';
import { expectSame, lines, loaded } from './incremental-scenario.ts';

const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const at = (ms: number): Date => new Date(T0 + ms);

function valid(policy: unknown): Policy {
  const result = validatePolicy(policy);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

/** The default policy's shape: rules by deal size, a digital cap, a premier floor, High-touch capacity, hysteresis. */
const policy = valid({
  version: 1,
  tiers: [
    { value: 'tech_touch', label: 'Tech-touch' },
    { value: 'low_touch', label: 'Low-touch' },
    { value: 'mid_touch', label: 'Mid-touch' },
    { value: 'high_touch', label: 'High-touch' },
  ],
  company: {
    rules: [
      { tier: 'high_touch', when: { field: 'dealSize', gte: 100_000 } },
      { tier: 'mid_touch', when: { field: 'dealSize', gte: 25_000 } },
      { tier: 'low_touch', when: { field: 'dealSize', gte: 5_000 } },
    ],
    caps: [{ maxTier: 'low_touch', when: { field: 'prefersDigital', eq: true } }],
    floors: [{ minTier: 'high_touch', when: { field: 'supportPlan', in: ['premier'] } }],
    capacity: { high_touch: { max: 40, rankBy: [{ field: 'dealSize', order: 'desc' }] } },
    hysteresis: { demotionMargin: 0.1, minDaysInTier: 30 },
  },
  contact: {
    inherit: 'company',
    rules: [{ tier: 'low_touch', when: { field: 'leadScore', gte: 50 } }],
    hysteresis: { minDaysInTier: 10 },
  },
});

const COMPANIES = 500;
const CONTACTS = 1500;

/** A seeded book: deal sizes across every threshold, some digital-only and premier companies. */
function book(): CanonicalRecord[] {
  let seed = 7;
  const r = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const records: CanonicalRecord[] = [];
  for (let i = 0; i < COMPANIES; i++) {
    records.push({
      type: 'company',
      id: `co${i}`,
      fields: {
        dealSize: Math.floor(r() * 160_000),
        prefersDigital: r() < 0.1,
        supportPlan: r() < 0.05 ? 'premier' : 'basic',
      },
    });
  }
  for (let i = 0; i < CONTACTS; i++) {
    records.push({
      type: 'contact',
      id: `ct${i}`,
      companyId: `co${Math.floor(r() * COMPANIES)}`,
      fields: { leadScore: Math.floor(r() * 100) },
    });
  }
  return records;
}

/** The previous tiers of the run after: this one's tiers, `since` moving only when the tier changed. */
function nextPrevious(given: readonly PreviousTier[], decisions: readonly Decision[], now: Date): PreviousTier[] {
  const before = new Map(given.map((p) => [`${p.type}:${p.id}`, p]));
  return decisions.map((d) => {
    const p = before.get(`${d.type}:${d.id}`);
    return p?.tier === d.tier ? p : { type: d.type, id: d.id, tier: d.tier, since: now.toISOString() };
  });
}

/** A rebuild's previous tiers: what was last written for every other record, some inside their hold. */
function lastWritten(records: readonly CanonicalRecord[]): PreviousTier[] {
  const tiers = ['tech_touch', 'low_touch', 'mid_touch', 'high_touch'];
  return records.flatMap((record, i) =>
    i % 2 === 0
      ? [
          {
            type: record.type,
            id: record.id,
            tier: tiers[i % 4] ?? 'tech_touch',
            since: at(-(i % 3 === 0 ? 5 : 90) * DAY_MS).toISOString(),
          },
        ]
      : [],
  );
}

describe('a full classification settles what it moved', () => {
  for (const [name, previousOf] of [
    ['the first sync (no previous tiers)', (): PreviousTier[] => []],
    ['a rebuild (previous tiers last written)', lastWritten],
  ] as const) {
    test(`${name}: the run after it, with one change, decides a few records and gives classify's decisions`, () => {
      const records = book();
      const given = previousOf(records);
      const now0 = at(0);
      const state = createIncremental(policy);
      const first = state.fullClassify(records, given, now0);
      expectSame(lines(first), lines(classify(policy, records, given, now0).decisions), 'the full classification');
      const givenTier = new Map(given.map((p) => [`${p.type}:${p.id}`, p.tier]));
      const moved = first.filter((d) => givenTier.get(`${d.type}:${d.id}`) !== d.tier).length;
      expect(moved).toBeGreaterThan(1000); // what the next run decided again before

      // One company's deal grows an hour later.
      const now1 = at(3_600_000);
      const changed: CanonicalRecord = { type: 'company', id: 'co1', fields: { dealSize: 99_000 } };
      const after = records.map((r) => (r.type === 'company' && r.id === 'co1' ? changed : r));
      const run = state.apply({ upserts: [changed], now: now1 });
      const contactsOfCo1 = after.filter((r) => r.type === 'contact' && r.companyId === 'co1').length;
      expect(run.decided).toBeLessThanOrEqual(1 + contactsOfCo1 + 20);
      const expected = classify(policy, after, nextPrevious(given, first, now0), now1).decisions;
      expectSame(lines(state.decisions()), lines(expected), 'the state after the next run');
      // A worker loading the saved rows decides the same.
      const fromRows = loaded(state.rows(), policy);
      expectSame(lines(fromRows.decisions()), lines(expected), 'a state loaded from its rows');
    });
  }

  test('a record whose decision its own new tier changes stays pending; the next run decides it as classify does', () => {
    // 24,000 is under Mid-touch's 25,000 but within its 10% margin: a company that was High-touch
    // (long enough to be free to move) is held at Mid-touch by the margin. With Mid-touch as its
    // previous tier, entered today, the 30-day minimum holds it there instead: another reason.
    const held: CanonicalRecord = { type: 'company', id: 'held', fields: { dealSize: 24_000 } };
    const plain: CanonicalRecord = { type: 'company', id: 'plain', fields: { dealSize: 60_000 } };
    const ct: CanonicalRecord = { type: 'contact', id: 'ct', companyId: 'plain', fields: { leadScore: 10 } };
    const records = [held, plain, ct];
    const given: PreviousTier[] = [
      { type: 'company', id: 'held', tier: 'high_touch', since: at(-90 * DAY_MS).toISOString() },
    ];
    const state = createIncremental(policy);
    const first = state.fullClassify(records, given, at(0));
    expect(first.map((d) => [d.id, d.tier])).toEqual([
      ['held', 'mid_touch'],
      ['plain', 'mid_touch'],
      ['ct', 'mid_touch'],
    ]);
    expect(first[0]?.reasons.join(' ')).toContain('demotion margin');
    // Only the held company is left to the next run: `plain` and its contact are settled.
    expect([...state.rows()].filter((row) => row.pending).map((row) => row.id)).toEqual(['held']);

    const now1 = at(3_600_000);
    const run = state.apply({ now: now1 });
    expect(run.decided).toBe(1);
    const expected = classify(policy, records, nextPrevious(given, first, at(0)), now1).decisions;
    expect(run.changed).toEqual([expected[0]]);
    expect(run.changed[0]?.reasons.join(' ')).toContain('30-day minimum');
    expectSame(lines(state.decisions()), lines(expected), 'the state after the next run');
    // And the run after that has nothing left to decide.
    expect(state.apply({ now: at(7_200_000) })).toEqual({ changed: [], decided: 0 });
  });
});
