/**
 * The next-tier hint of spec §8: every `examples/*\/next.jsonl` in input order, the corners of the
 * definition on small hand-written policies, `nextUp`, and the wording for people.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { classify, formatNextHint, validatePolicy } from '../../src/core/index.ts';
import type { CanonicalRecord, Policy, PreviousTier } from '../../src/core/index.ts';
import { nextUp } from '../../src/core/next.ts';
import { exampleCases, examplesDir, readJson, readJsonLines } from '../helpers.ts';

const NOW = new Date('2026-11-20T00:00:00Z');
const TIERS = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'low_touch', label: 'Low-touch' },
  { value: 'mid_touch', label: 'Mid-touch' },
  { value: 'high_touch', label: 'High-touch' },
];

function policyOf(draft: unknown): Policy {
  const validation = validatePolicy(draft);
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  return validation.policy;
}

/** The `next` of each record, `null` where there is none (the shape of next.jsonl). */
function nextOf(policy: Policy, records: CanonicalRecord[], previous: PreviousTier[] = []): unknown[] {
  return classify(policy, records, previous, NOW).decisions.map((d) => d.next ?? null);
}

function company(id: string, fields: Record<string, unknown>, extra: Record<string, unknown> = {}): CanonicalRecord {
  return { type: 'company', id, fields, ...extra };
}

describe('spec §8 examples', () => {
  const cases = exampleCases();

  test('every case has a next.jsonl', () => {
    expect(cases.length).toBeGreaterThanOrEqual(13);
  });

  test.each(cases)('case %s: next matches next.jsonl, in input order', (name) => {
    const dir = join(examplesDir, name);
    const policy = policyOf(readJson(join(dir, 'policy.json')));
    const records = readJsonLines(join(dir, 'records.jsonl')) as CanonicalRecord[];
    const previous = readJsonLines(join(dir, 'previous.jsonl')) as PreviousTier[];
    const now = new Date(readFileSync(join(dir, 'now.txt'), 'utf8').trim());
    const expected = readJsonLines(join(dir, 'next.jsonl'));

    const { decisions } = classify(policy, records, previous, now);

    expect(decisions.map(({ type, id, next }) => ({ type, id, next: next ?? null }))).toEqual(expected);
    // Absent, never present-but-undefined, when there is no hint.
    for (const decision of decisions) if (decision.next === undefined) expect('next' in decision).toBe(false);
  });
});

describe('next-tier hint (spec §8)', () => {
  const ladder = policyOf({
    version: 1,
    tiers: TIERS,
    company: {
      rules: [
        { tier: 'high_touch', when: { field: 'dealSize', gte: 150000 } },
        {
          tier: 'mid_touch',
          when: {
            any: [
              { field: 'dealSize', gte: 25000 },
              { field: 'employees', gt: 1000 },
            ],
          },
        },
        { tier: 'low_touch', when: { field: 'dealSize', gte: 5000 } },
      ],
      caps: [{ maxTier: 'low_touch', when: { field: 'prefersDigital', eq: true } }],
    },
  });

  test('the next tier up, through the field closest to its threshold', () => {
    expect(
      nextOf(ladder, [
        company('a', { dealSize: 120000 }),
        // Tech-touch: Low-touch is the next step up, however close employees is to Mid-touch.
        company('b', { dealSize: 3000, employees: 900 }),
        // Low-touch: Mid-touch by deal size (gap 0.2) or employees (gap 0.1): employees wins.
        company('c', { dealSize: 20000, employees: 900 }),
        company('d', { dealSize: '4000' }),
      ]),
    ).toEqual([
      { tier: 'high_touch', field: 'dealSize', op: 'gte', value: 150000 },
      { tier: 'low_touch', field: 'dealSize', op: 'gte', value: 5000 },
      { tier: 'mid_touch', field: 'employees', op: 'gt', value: 1000 },
      { tier: 'low_touch', field: 'dealSize', op: 'gte', value: 5000 },
    ]);
  });

  test('gaps are relative; a missing value is the last resort; ties go to the first leaf', () => {
    expect(
      nextOf(ladder, [
        // Low-touch: deal size 10,000 short of mid (gap 0.6) vs employees 800 (gap 0.2).
        company('a', { dealSize: 10000, employees: 800 }),
        // Employees missing: deal size, however far, wins over a missing value.
        company('b', { dealSize: 5000 }),
        // Both missing (deal size is missing here): the first leaf in document order.
        company('c', { dealSize: '  ' }),
      ]),
    ).toEqual([
      { tier: 'mid_touch', field: 'employees', op: 'gt', value: 1000 },
      { tier: 'mid_touch', field: 'dealSize', op: 'gte', value: 25000 },
      { tier: 'low_touch', field: 'dealSize', op: 'gte', value: 5000 },
    ]);
  });

  test('none for an override, the highest tier, a value that is not a number, or a cap that would still hold', () => {
    expect(
      nextOf(ladder, [
        company('o', { dealSize: 1000 }, { override: 'low_touch' }),
        company('h', { dealSize: 200000 }),
        company('s', { dealSize: 'lots', employees: 'many' }),
        // Capped at Low-touch: raising anything keeps the cap, so nothing moves it up.
        company('p', { dealSize: 6000, prefersDigital: true }),
      ]),
    ).toEqual([null, null, null, null]);
  });

  test('an invalid override is ignored: the record gets a hint like any other', () => {
    expect(nextOf(ladder, [company('x', { dealSize: 1000 }, { override: 'platinum' })])).toEqual([
      { tier: 'low_touch', field: 'dealSize', op: 'gte', value: 5000 },
    ]);
  });

  test('leaves under a not are never levers, and neither are lt/lte/eq', () => {
    const policy = policyOf({
      version: 1,
      tiers: TIERS,
      company: {
        rules: [
          { tier: 'high_touch', when: { not: { field: 'dealSize', gte: 10 } } },
          {
            tier: 'mid_touch',
            when: {
              all: [
                { field: 'churnRisk', lt: 5 },
                { field: 'plan', eq: 'pro' },
              ],
            },
          },
        ],
      },
    });
    expect(nextOf(policy, [company('a', { dealSize: 50, churnRisk: 9, plan: 'free' })])).toEqual([null]);
  });

  test('a rule that needs another field too is no lever; one whose other members hold is', () => {
    const policy = policyOf({
      version: 1,
      tiers: TIERS,
      company: {
        rules: [
          {
            tier: 'mid_touch',
            when: {
              all: [
                { field: 'dealSize', gte: 100 },
                { field: 'seats', gte: 10 },
              ],
            },
          },
        ],
      },
    });
    expect(
      nextOf(policy, [company('a', { dealSize: 50, seats: 5 }), company('b', { dealSize: 50, seats: 12 })]),
    ).toEqual([null, { tier: 'mid_touch', field: 'dealSize', op: 'gte', value: 100 }]);
  });

  test('a company capacity moved down gets the hint of its final tier, not of the tier it met', () => {
    const policy = policyOf({
      version: 1,
      tiers: TIERS,
      company: {
        rules: [
          { tier: 'high_touch', when: { field: 'dealSize', gte: 100 } },
          { tier: 'mid_touch', when: { field: 'employees', gte: 50 } },
        ],
        capacity: { high_touch: { max: 1, rankBy: [{ field: 'dealSize', order: 'desc' }] } },
      },
    });
    expect(
      nextOf(policy, [
        company('big', { dealSize: 200, employees: 10 }),
        // Meets High-touch but loses the seat: High-touch gives no hint (it already meets it), and
        // Mid-touch is its tier now, so nothing is above it but High-touch.
        company('small', { dealSize: 150, employees: 10 }),
        // Tech-touch: Mid-touch (by employees) is the next step, before High-touch.
        company('tiny', { dealSize: 1, employees: 10 }),
      ]),
    ).toEqual([null, null, { tier: 'mid_touch', field: 'employees', op: 'gte', value: 50 }]);
  });

  test('a company moved down by capacity can get a lever at the tier it lost (another rule of that tier)', () => {
    const policy = policyOf({
      version: 1,
      tiers: TIERS,
      company: {
        rules: [
          { tier: 'high_touch', when: { field: 'dealSize', gte: 1000 } },
          { tier: 'mid_touch', when: { field: 'employees', gte: 50 } },
          { tier: 'mid_touch', when: { field: 'revenue', gte: 500 } },
        ],
        capacity: { mid_touch: { max: 1, rankBy: [{ field: 'employees', order: 'desc' }] } },
      },
    });
    expect(
      nextOf(policy, [
        company('seated', { employees: 90, dealSize: 10, revenue: 10 }),
        // Mid-touch by employees, no seat → Low-touch; the employees rule already holds, the
        // revenue rule (another Mid-touch rule) is the next step up from Low-touch.
        company('waiting', { employees: 60, dealSize: 900, revenue: 100 }),
      ]),
    ).toEqual([
      { tier: 'high_touch', field: 'dealSize', op: 'gte', value: 1000 },
      { tier: 'mid_touch', field: 'revenue', op: 'gte', value: 500 },
    ]);
  });

  test('the re-decision keeps the previous tier: a value within the demotion margin is no hint, the threshold is', () => {
    const policy = policyOf({
      version: 1,
      tiers: TIERS,
      company: {
        rules: [{ tier: 'high_touch', when: { field: 'dealSize', gte: 100 } }],
        caps: [{ maxTier: 'mid_touch', when: { field: 'dealSize', lt: 100 } }],
        hysteresis: { demotionMargin: 0.1 },
      },
    });
    const previous: PreviousTier[] = [{ type: 'company', id: 'a', tier: 'high_touch', since: '2026-01-01T00:00:00Z' }];
    // 95 is held at High-touch by the margin but capped at Mid-touch; at 100 the cap lets go.
    expect(nextOf(policy, [company('a', { dealSize: 95 })], previous)).toEqual([
      { tier: 'high_touch', field: 'dealSize', op: 'gte', value: 100 },
    ]);
  });

  test('contacts: levers come from contact rules only, with the inherited tier kept', () => {
    const policy = policyOf({
      version: 1,
      tiers: TIERS,
      company: { rules: [{ tier: 'high_touch', when: { field: 'dealSize', gte: 100 } }] },
      contact: {
        rules: [
          { tier: 'low_touch', when: { field: 'leadScore', gte: 50 } },
          { tier: 'mid_touch', when: { field: 'leadScore', gt: 80 } },
        ],
      },
    });
    const records: CanonicalRecord[] = [
      company('co', { dealSize: 10 }),
      { type: 'contact', id: 'k1', companyId: 'co', fields: { leadScore: 10, dealSize: 1 } },
      { type: 'contact', id: 'k2', companyId: 'co', fields: { leadScore: 60 } },
      { type: 'contact', id: 'k3', fields: { leadScore: 90 } },
    ];
    expect(nextOf(policy, records)).toEqual([
      { tier: 'high_touch', field: 'dealSize', op: 'gte', value: 100 },
      { tier: 'low_touch', field: 'leadScore', op: 'gte', value: 50 },
      { tier: 'mid_touch', field: 'leadScore', op: 'gt', value: 80 },
      null,
    ]);
  });

  test('gt at its threshold is still a lever: the next double above it is what moves the record', () => {
    const policy = policyOf({
      version: 1,
      tiers: TIERS.slice(0, 2),
      company: { rules: [{ tier: 'low_touch', when: { field: 'score', gt: 0.1 } }] },
    });
    expect(nextOf(policy, [company('a', { score: 0.1 }), company('b', { score: nextUp(0.1) })])).toEqual([
      { tier: 'low_touch', field: 'score', op: 'gt', value: 0.1 },
      null,
    ]);
  });
});

describe('nextUp', () => {
  test('is the smallest double above its argument', () => {
    for (const t of [0, -0, 1, -1, 0.1, -0.1, 150000, -20, 1e300, -1e-300, Number.MAX_SAFE_INTEGER]) {
      const up = nextUp(t);
      expect(up).toBeGreaterThan(t);
      // Halfway between t and nextUp(t) rounds back to one of them: nothing lies strictly between.
      const mid = t / 2 + up / 2;
      expect(mid === t || mid === up).toBe(true);
    }
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(-Number.MIN_VALUE)).toBe(-0);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
  });
});

describe('formatNextHint', () => {
  const hint = { tier: 'high_touch', field: 'dealSize', op: 'gte', value: 150000 } as const;

  test('a value short of the threshold, with thousands separators and the tier label', () => {
    expect(formatNextHint(hint, { dealSize: 120000 }, TIERS)).toBe(
      'Deal size 120,000 is 30,000 short of High-touch (≥ 150,000)',
    );
    expect(formatNextHint(hint, { dealSize: ' 1234.5 ' }, TIERS)).toBe(
      'Deal size 1,234.5 is 148,765.5 short of High-touch (≥ 150,000)',
    );
  });

  test('a missing value', () => {
    for (const dealSize of [undefined, null, '', '  ']) {
      expect(formatNextHint(hint, { dealSize }, TIERS)).toBe('Deal size is not set; High-touch needs ≥ 150,000');
    }
  });

  test('gt reads "more than"; at its threshold the record is just short', () => {
    const gt = { tier: 'mid_touch', field: 'employee_count', op: 'gt', value: 1000 } as const;
    expect(formatNextHint(gt, { employee_count: 900 }, TIERS)).toBe(
      'Employee count 900 is 100 short of Mid-touch (> 1,000)',
    );
    expect(formatNextHint(gt, { employee_count: 1000 }, TIERS)).toBe(
      'Employee count 1,000 is just short of Mid-touch (> 1,000)',
    );
  });

  test('the walkthrough sentences the README shows', () => {
    const dir = join(examplesDir, 'walkthrough');
    const policy = policyOf(readJson(join(dir, 'policy.json')));
    const records = readJsonLines(join(dir, 'records.jsonl')) as CanonicalRecord[];
    const previous = readJsonLines(join(dir, 'previous.jsonl')) as PreviousTier[];
    const { decisions } = classify(policy, records, previous, NOW);
    const sentence = (id: string): string => {
      const index = decisions.findIndex((d) => d.id === id);
      const next = decisions[index]?.next;
      if (next === undefined) throw new Error(`${id} has no hint`);
      return formatNextHint(next, records[index]?.fields ?? {}, policy.tiers);
    };
    expect(sentence('h')).toBe('Deal size 12,000.5 is 12,999.5 short of Mid-touch (≥ 25,000)');
    expect(sentence('w')).toBe('Lead score is not set; Low-touch needs ≥ 50');
  });

  test('a field label from the mapping wins over the humanized name', () => {
    const labels = new Map([['dealSize', 'Annual contract value']]);
    expect(formatNextHint(hint, { dealSize: 150 }, TIERS, (field) => labels.get(field))).toBe(
      'Annual contract value 150 is 149,850 short of High-touch (≥ 150,000)',
    );
  });
});
