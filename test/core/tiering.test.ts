/** The tiering semantics of spec §3–§6, one behaviour at a time. */
import { describe, expect, test } from 'vitest';
import { classify, RunInputError, validatePolicy } from '../../src/core/index.ts';
import type { CanonicalRecord, CompanySection, ContactSection, Policy, PreviousTier } from '../../src/core/index.ts';

const NOW = new Date('2026-11-20T00:00:00Z');
const TIERS = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'low_touch', label: 'Low-touch' },
  { value: 'mid_touch', label: 'Mid-touch' },
  { value: 'high_touch', label: 'High-touch' },
];

function policyOf(company: CompanySection = {}, contact: ContactSection = {}): Policy {
  const result = validatePolicy({ version: 1, tiers: TIERS, company, contact });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

function company(id: string, fields: Record<string, unknown>, extra: Partial<CanonicalRecord> = {}): CanonicalRecord {
  return { type: 'company', id, fields, ...extra };
}

function contact(id: string, fields: Record<string, unknown>, companyId?: string): CanonicalRecord {
  return companyId === undefined ? { type: 'contact', id, fields } : { type: 'contact', id, fields, companyId };
}

function tiersOf(policy: Policy, records: CanonicalRecord[], previous: PreviousTier[] = []): Record<string, string> {
  const { decisions } = classify(policy, records, previous, NOW);
  return Object.fromEntries(decisions.map((d) => [d.id, d.tier]));
}

function reasonsOf(policy: Policy, records: CanonicalRecord[], id: string, previous: PreviousTier[] = []): string[] {
  const decision = classify(policy, records, previous, NOW).decisions.find((d) => d.id === id);
  return [...(decision?.reasons ?? [])];
}

/** One rule to low_touch on `when`: low_touch means the condition held, tech_touch that it did not. */
function holds(when: unknown, fields: Record<string, unknown>): boolean {
  const policy = policyOf({ rules: [{ tier: 'low_touch', when: when as never }] });
  return tiersOf(policy, [company('r', fields)])['r'] === 'low_touch';
}

describe('leaves (§3)', () => {
  test('every operator is false on a missing field, except exists: false', () => {
    for (const fields of [{}, { f: null }, { f: '   ' }, { f: { nested: 1 } }, { f: [1] }]) {
      expect(holds({ field: 'f', eq: 'x' }, fields)).toBe(false);
      expect(holds({ field: 'f', neq: 'x' }, fields)).toBe(false);
      expect(holds({ field: 'f', gt: -1e9 }, fields)).toBe(false);
      expect(holds({ field: 'f', lte: 1e9 }, fields)).toBe(false);
      expect(holds({ field: 'f', in: ['x'] }, fields)).toBe(false);
      expect(holds({ field: 'f', notIn: ['x'] }, fields)).toBe(false);
      expect(holds({ field: 'f', exists: true }, fields)).toBe(false);
      expect(holds({ field: 'f', exists: false }, fields)).toBe(true);
      expect(holds({ not: { field: 'f', eq: 'x' } }, fields)).toBe(true);
    }
  });

  test('comparisons read numbers from plain decimal strings only', () => {
    expect(holds({ field: 'n', gte: 12 }, { n: ' 12.5 ' })).toBe(true);
    expect(holds({ field: 'n', gte: 0.4 }, { n: '.5' })).toBe(true);
    expect(holds({ field: 'n', gte: 5 }, { n: '+5.' })).toBe(true);
    expect(holds({ field: 'n', gte: 1 }, { n: '1,200' })).toBe(false);
    expect(holds({ field: 'n', gte: 1 }, { n: '$3' })).toBe(false);
    expect(holds({ field: 'n', gte: 1 }, { n: '1e3' })).toBe(false);
    expect(holds({ field: 'n', gte: 0 }, { n: true })).toBe(false);
    expect(holds({ field: 'n', lt: 0 }, { n: '-0.5' })).toBe(true);
  });

  test('equality: numeric, then boolean, then trimmed case-insensitive text', () => {
    expect(holds({ field: 'f', eq: 1 }, { f: '1.0' })).toBe(true);
    expect(holds({ field: 'f', eq: '1.00' }, { f: 1 })).toBe(true);
    expect(holds({ field: 'f', eq: true }, { f: 'TRUE' })).toBe(true);
    expect(holds({ field: 'f', eq: 'false' }, { f: false })).toBe(true);
    expect(holds({ field: 'f', eq: true }, { f: 'yes' })).toBe(false);
    expect(holds({ field: 'f', eq: 'premier' }, { f: ' Premier ' })).toBe(true);
    expect(holds({ field: 'f', eq: 1 }, { f: true })).toBe(false);
    expect(holds({ field: 'f', neq: 'premier' }, { f: 'PREMIER' })).toBe(false);
    expect(holds({ field: 'f', neq: 'premier' }, { f: 'basic' })).toBe(true);
    expect(holds({ field: 'f', in: ['gold', 2] }, { f: '2' })).toBe(true);
    expect(holds({ field: 'f', notIn: ['gold', 2] }, { f: 'GOLD' })).toBe(false);
    expect(holds({ field: 'f', notIn: ['gold', 2] }, { f: 'silver' })).toBe(true);
  });

  test('empty all holds, empty any does not', () => {
    expect(holds({ all: [] }, {})).toBe(true);
    expect(holds({ any: [] }, {})).toBe(false);
    expect(holds({ not: { any: [] } }, {})).toBe(true);
  });
});

describe('companies (§4)', () => {
  const rules: CompanySection['rules'] = [
    { tier: 'low_touch', when: { field: 'dealSize', gte: 5000 } },
    { tier: 'high_touch', label: 'Enterprise deal size', when: { field: 'dealSize', gte: 100000 } },
    { tier: 'mid_touch', when: { field: 'dealSize', gte: 25000 } },
  ];

  test('rules are not first-match: the highest holding tier wins; none → default', () => {
    const policy = policyOf({ default: 'low_touch', rules });
    expect(tiersOf(policy, [company('a', { dealSize: 120000 }), company('b', { dealSize: 10 })])).toEqual({
      a: 'high_touch',
      b: 'low_touch',
    });
    expect(reasonsOf(policy, [company('a', { dealSize: 120000 })], 'a')).toEqual([
      'Deal size 120,000 ≥ 100,000 (Enterprise deal size) → High-touch',
    ]);
    expect(reasonsOf(policy, [company('b', { dealSize: 'n/a' })], 'b')).toEqual([
      'No rule matched → Low-touch (default)',
    ]);
  });

  test('a valid override wins and is said; an invalid one is ignored and said', () => {
    const policy = policyOf({ rules, caps: [{ maxTier: 'tech_touch', when: { all: [] } }] });
    const records = [
      company('o', { dealSize: 1 }, { override: ' high_touch ' }),
      company('x', { dealSize: 30000 }, { override: 'platinum' }),
      company('n', { dealSize: 30000 }, { override: null }),
      company('e', { dealSize: 30000 }, { override: '' }),
      company('k', { dealSize: 30000 }, { override: 3 }),
    ];
    expect(tiersOf(policy, records)).toEqual({
      o: 'high_touch',
      x: 'tech_touch',
      n: 'tech_touch',
      e: 'tech_touch',
      k: 'tech_touch',
    });
    expect(reasonsOf(policy, records, 'o')).toEqual(['Manual override → High-touch']);
    expect(reasonsOf(policy, records, 'x')[0]).toMatch(/^Ignored invalid override "platinum"/);
    expect(reasonsOf(policy, records, 'n').join(' ')).not.toMatch(/override/);
    expect(reasonsOf(policy, records, 'k')[0]).toMatch(/^Ignored invalid override 3/);
  });

  test('caps apply before floors: a contract outranks a preference', () => {
    const policy = policyOf({
      rules,
      caps: [{ maxTier: 'low_touch', label: 'Prefers digital', when: { field: 'digital', eq: true } }],
      floors: [{ minTier: 'mid_touch', when: { field: 'plan', in: ['premier'] } }],
    });
    const records = [
      company('both', { dealSize: 200000, digital: true, plan: 'Premier' }),
      company('cap', { dealSize: 200000, digital: 'true' }),
      company('floor', { dealSize: 1, plan: 'premier' }),
    ];
    expect(tiersOf(policy, records)).toEqual({ both: 'mid_touch', cap: 'low_touch', floor: 'mid_touch' });
    expect(reasonsOf(policy, records, 'both')).toEqual([
      'Deal size 200,000 ≥ 100,000 (Enterprise deal size) → High-touch',
      'Capped at Low-touch: Prefers digital',
      'Raised to Mid-touch: Plan is Premier (one of premier)',
    ]);
  });

  describe('hysteresis', () => {
    const policy = policyOf({ rules, hysteresis: { demotionMargin: 0.1, minDaysInTier: 30 } });
    const prev = (id: string, tier: string, since: string): PreviousTier => ({ type: 'company', id, tier, since });

    test('minDaysInTier holds a record that entered its tier recently', () => {
      const records = [company('a', { dealSize: 10 })];
      expect(tiersOf(policy, records, [prev('a', 'high_touch', '2026-11-01T00:00:00Z')])).toEqual({ a: 'high_touch' });
      expect(reasonsOf(policy, records, 'a', [prev('a', 'high_touch', '2026-11-01T00:00:00Z')])[1]).toBe(
        'Held at High-touch: in the tier since 2026-11-01, under the 30-day minimum (rules alone give Tech-touch)',
      );
      expect(tiersOf(policy, records, [prev('a', 'high_touch', '2026-10-21T00:00:00Z')])).toEqual({ a: 'tech_touch' });
    });

    test('a record a floor puts back in its previous tier gives the floor as its reason, not the hold', () => {
      const floored = policyOf({
        rules,
        caps: [{ maxTier: 'low_touch', label: 'Prefers digital', when: { field: 'digital', eq: true } }],
        floors: [{ minTier: 'high_touch', label: 'Premier', when: { field: 'plan', eq: 'premier' } }],
        hysteresis: { demotionMargin: 0.1, minDaysInTier: 30 },
      });
      const records = [company('p', { dealSize: 10, digital: true, plan: 'premier' })];
      const first = reasonsOf(floored, records, 'p');
      expect(first).toEqual(['No rule matched → Tech-touch (default)', 'Raised to High-touch: Premier']);
      // The next run, with the tier it was given: same tier, same reasons (nothing to rewrite).
      const again = [prev('p', 'high_touch', '2026-11-19T00:00:00Z')];
      expect(tiersOf(floored, records, again)).toEqual({ p: 'high_touch' });
      expect(reasonsOf(floored, records, 'p', again)).toEqual(first);
    });

    test('the demotion margin relaxes thresholds, and never promotes past the previous tier', () => {
      const old = '2025-01-01T00:00:00Z';
      const records = [
        company('inMargin', { dealSize: 90000 }),
        company('below', { dealSize: 89999 }),
        company('towards', { dealSize: 95000 }),
      ];
      expect(
        tiersOf(policy, records, [
          prev('inMargin', 'high_touch', old),
          prev('below', 'high_touch', old),
          prev('towards', 'mid_touch', old),
        ]),
      ).toEqual({ inMargin: 'high_touch', below: 'mid_touch', towards: 'mid_touch' });
      // 24,000 is within 10% of mid's 25,000 but previous was high: held at mid, not high.
      expect(tiersOf(policy, [company('z', { dealSize: 24000 })], [prev('z', 'high_touch', old)])).toEqual({
        z: 'mid_touch',
      });
      expect(reasonsOf(policy, [company('z', { dealSize: 24000 })], 'z', [prev('z', 'high_touch', old)])[1]).toBe(
        'Held at Mid-touch within the 10% demotion margin: Deal size 24,000 ≥ 22,500 (rules alone give Low-touch)',
      );
    });

    test('leaves under not are never relaxed; lt/lte thresholds move up; negative thresholds use |t|', () => {
      const relaxed = policyOf({
        rules: [
          { tier: 'high_touch', when: { not: { field: 'churnRisk', gte: 50 } } },
          { tier: 'mid_touch', when: { field: 'debt', lte: -100 } },
          { tier: 'low_touch', when: { field: 'tickets', lt: 10 } },
        ],
        hysteresis: { demotionMargin: 0.1 },
      });
      const old = '2025-01-01T00:00:00Z';
      const tiers = tiersOf(
        relaxed,
        [
          company('notRelaxed', { churnRisk: 46 }),
          company('negative', { churnRisk: 90, debt: -91 }),
          company('lt', { churnRisk: 90, tickets: 10.5 }),
        ],
        [prev('notRelaxed', 'high_touch', old), prev('negative', 'high_touch', old), prev('lt', 'mid_touch', old)],
      );
      // churnRisk 46 → not(46 ≥ 50) holds as written: high without any hysteresis.
      expect(tiers['notRelaxed']).toBe('high_touch');
      // -91 ≤ -100 + 10 = -90 under the margin → mid (held towards high, capped at the relaxed tier).
      expect(tiers['negative']).toBe('mid_touch');
      // 10.5 < 10 + 1 → low under the margin.
      expect(tiers['lt']).toBe('low_touch');
      const notHeld = tiersOf(relaxed, [company('n', { churnRisk: 52 })], [prev('n', 'high_touch', old)]);
      expect(notHeld['n']).toBe('tech_touch');
    });

    test('a previous tier that is no longer a tier is ignored', () => {
      expect(
        tiersOf(policy, [company('a', { dealSize: 10 })], [prev('a', 'platinum', '2026-11-19T00:00:00Z')]),
      ).toEqual({ a: 'tech_touch' });
    });
  });

  describe('capacity', () => {
    const ranked = [{ field: 'dealSize', order: 'desc' as const }];

    test('seats go in ranking order; the rest move down one tier and cascade into that tier’s capacity', () => {
      const policy = policyOf({
        rules,
        capacity: {
          high_touch: { max: 2, rankBy: ranked },
          mid_touch: { max: { csms: 1, accountsPerCsm: 2 }, rankBy: ranked },
        },
      });
      const records = ['a', 'b', 'c', 'd', 'e'].map((id, i) => company(id, { dealSize: 100000 + i * 1000 }));
      const result = classify(policy, records, [], NOW);
      expect(Object.fromEntries(result.decisions.map((d) => [d.id, d.tier]))).toEqual({
        e: 'high_touch',
        d: 'high_touch',
        c: 'mid_touch',
        b: 'mid_touch',
        a: 'low_touch',
      });
      expect(result.decisions.find((d) => d.id === 'a')?.reasons).toEqual([
        'Deal size 100,000 ≥ 100,000 (Enterprise deal size) → High-touch',
        'Over High-touch capacity (2 seats; ranked 5th by incumbency, deal size) → Mid-touch',
        'Over Mid-touch capacity (2 seats; ranked 3rd by incumbency, deal size) → Low-touch',
      ]);
      expect(result.summary.capacity).toEqual([
        {
          tier: 'high_touch',
          label: 'High-touch',
          seats: 2,
          demand: 5,
          pinned: 0,
          seated: 2,
          movedDown: 3,
          exceededByPinned: false,
        },
        {
          tier: 'mid_touch',
          label: 'Mid-touch',
          seats: 2,
          demand: 3,
          pinned: 0,
          seated: 2,
          movedDown: 1,
          exceededByPinned: false,
        },
      ]);
    });

    test('incumbents first, then rankBy (non-numbers last in either order), then id', () => {
      const policy = policyOf({
        rules: [{ tier: 'high_touch', when: { all: [] } }],
        capacity: { high_touch: { max: 3, rankBy: [{ field: 'score', order: 'asc' }] } },
      });
      const records = [
        company('n1', { score: 'n/a' }),
        company('inc', { score: 999 }),
        company('b', { score: 5 }),
        company('a', { score: '5' }),
        company('low', { score: -1 }),
      ];
      const previous: PreviousTier[] = [
        { type: 'company', id: 'inc', tier: 'high_touch', since: '2020-01-01T00:00:00Z' },
      ];
      expect(tiersOf(policy, records, previous)).toEqual({
        inc: 'high_touch',
        low: 'high_touch',
        a: 'high_touch',
        b: 'mid_touch',
        n1: 'mid_touch',
      });
      const withoutIncumbents = policyOf({
        rules: [{ tier: 'high_touch', when: { all: [] } }],
        capacity: { high_touch: { max: 1, rankBy: [{ field: 'score', order: 'desc' }], preferIncumbents: false } },
      });
      expect(tiersOf(withoutIncumbents, records, previous)['inc']).toBe('high_touch');
      expect(tiersOf(withoutIncumbents, [company('n', { score: 'x' }), company('m', { score: -5 })])).toEqual({
        m: 'high_touch',
        n: 'mid_touch',
      });
    });

    test('pinned records keep their seat, even beyond capacity, and the run says so', () => {
      const policy = policyOf({
        rules: [{ tier: 'high_touch', when: { field: 'dealSize', gte: 0 } }],
        floors: [{ minTier: 'high_touch', label: 'Premier', when: { field: 'plan', eq: 'premier' } }],
        capacity: { high_touch: { max: 1, rankBy: ranked } },
      });
      const records = [
        company('p1', { dealSize: 1, plan: 'premier' }),
        company('o1', { dealSize: 1 }, { override: 'high_touch' }),
        company('big', { dealSize: 10 ** 9 }),
      ];
      const result = classify(policy, records, [], NOW);
      expect(result.decisions.map((d) => d.tier)).toEqual(['high_touch', 'high_touch', 'mid_touch']);
      expect(result.summary.capacity[0]).toMatchObject({ pinned: 2, seated: 2, movedDown: 1, exceededByPinned: true });
    });

    test('nothing moves while the tier is within capacity', () => {
      const policy = policyOf({ rules, capacity: { high_touch: { max: 2, rankBy: ranked } } });
      const result = classify(policy, [company('a', { dealSize: 1e6 }), company('b', { dealSize: 2e6 })], [], NOW);
      expect(result.decisions.map((d) => d.tier)).toEqual(['high_touch', 'high_touch']);
      expect(result.decisions[0]?.reasons).toHaveLength(1);
    });
  });
});

describe('contacts (§5)', () => {
  const companyRules: CompanySection = {
    rules: [{ tier: 'high_touch', when: { field: 'dealSize', gte: 100 } }],
    capacity: { high_touch: { max: 1, rankBy: [{ field: 'dealSize', order: 'desc' }] } },
  };

  test('inherit the company’s final tier (after capacity); the highest of rules and company wins', () => {
    const policy = policyOf(companyRules, {
      rules: [{ tier: 'mid_touch', when: { field: 'leadScore', gte: 50 } }],
      caps: [{ maxTier: 'low_touch', when: { field: 'prefersDigital', eq: true } }],
    });
    const records = [
      contact('x1', {}, 'small'),
      contact('x2', { leadScore: 80 }, 'small'),
      contact('x3', {}, 'big'),
      contact('x4', { prefersDigital: 'TRUE' }, 'big'),
      contact('x5', {}, 'missing'),
      company('big', { dealSize: 1000 }),
      company('small', { dealSize: 500 }),
    ];
    expect(tiersOf(policy, records)).toEqual({
      x1: 'mid_touch',
      x2: 'mid_touch',
      x3: 'high_touch',
      x4: 'low_touch',
      x5: 'tech_touch',
      big: 'high_touch',
      small: 'mid_touch',
    });
    expect(reasonsOf(policy, records, 'x1')).toEqual(['Inherited Mid-touch from company small']);
  });

  test('inherit: none ignores the company', () => {
    const policy = policyOf(companyRules, { inherit: 'none', default: 'low_touch' });
    expect(tiersOf(policy, [company('big', { dealSize: 1000 }), contact('c', {}, 'big')])['c']).toBe('low_touch');
  });

  test('contact hysteresis recomputes the candidates, the inherited tier unrelaxed', () => {
    const policy = policyOf(
      { rules: [{ tier: 'low_touch', when: { all: [] } }] },
      {
        rules: [{ tier: 'high_touch', when: { field: 'leadScore', gte: 100 } }],
        hysteresis: { demotionMargin: 0.2 },
      },
    );
    const previous: PreviousTier[] = [
      { type: 'contact', id: 'c1', tier: 'high_touch', since: '2020-01-01T00:00:00Z' },
      { type: 'contact', id: 'c2', tier: 'high_touch', since: '2020-01-01T00:00:00Z' },
    ];
    const tiers = tiersOf(
      policy,
      [company('co', {}), contact('c1', { leadScore: 80 }, 'co'), contact('c2', { leadScore: 79 }, 'co')],
      previous,
    );
    expect(tiers).toEqual({ co: 'low_touch', c1: 'high_touch', c2: 'low_touch' });
  });
});

describe('runs', () => {
  test('one decision per record in input order, and a summary with movements', () => {
    const policy = policyOf({ rules: [{ tier: 'mid_touch', when: { field: 'v', gt: 1 } }] });
    const records = [company('b', { v: 2 }), contact('c', {}, 'b'), company('a', { v: 0 })];
    const previous: PreviousTier[] = [{ type: 'company', id: 'a', tier: 'mid_touch', since: '2026-01-01T00:00:00Z' }];
    const { decisions, summary } = classify(policy, records, previous, NOW);
    expect(decisions.map((d) => `${d.type}:${d.id}:${d.tier}`)).toEqual([
      'company:b:mid_touch',
      'contact:c:mid_touch',
      'company:a:tech_touch',
    ]);
    expect(summary.company).toEqual({
      total: 2,
      tiers: { tech_touch: 1, low_touch: 0, mid_touch: 1, high_touch: 0 },
      changed: 2,
      movements: [
        { from: null, to: 'mid_touch', count: 1 },
        { from: 'mid_touch', to: 'tech_touch', count: 1 },
      ],
    });
    expect(summary.contact.tiers['mid_touch']).toBe(1);
  });

  test('repeated ids within a type are refused; the same id across types is fine', () => {
    const policy = policyOf();
    expect(() => classify(policy, [company('a', {}), company('a', {})], [], NOW)).toThrow(RunInputError);
    expect(() => classify(policy, [contact('a', {}), contact('a', {})], [], NOW)).toThrow(
      /contact id "a" appears twice/,
    );
    expect(classify(policy, [company('a', {}), contact('a', {})], [], NOW).decisions).toHaveLength(2);
  });

  test('an invalid now is refused', () => {
    expect(() => classify(policyOf(), [], [], new Date('nope'))).toThrow(RangeError);
  });
});
