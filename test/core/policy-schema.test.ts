/** The policy schema (spec §2): strict, and every problem reported with its JSON path. */
import { describe, expect, test } from 'vitest';
import { formatProblems, validatePolicy } from '../../src/core/index.ts';
import type { PolicyProblem } from '../../src/core/index.ts';

const tiers = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'low_touch', label: 'Low-touch' },
  { value: 'mid_touch', label: 'Mid-touch' },
  { value: 'high_touch', label: 'High-touch' },
];

function problems(input: unknown): PolicyProblem[] {
  const result = validatePolicy(input);
  if (result.ok) throw new Error('expected the policy to be rejected');
  return [...result.problems];
}

function messageAt(list: readonly PolicyProblem[], path: string): string | undefined {
  return list.find((p) => p.path === path)?.message;
}

describe('validatePolicy', () => {
  test('accepts the spec §2 policy and keeps it as written', () => {
    const policy = {
      version: 1,
      tiers,
      company: {
        default: 'tech_touch',
        rules: [
          { tier: 'high_touch', label: 'Enterprise deal size', when: { field: 'dealSize', gte: 100000 } },
          {
            tier: 'mid_touch',
            when: {
              any: [
                { field: 'dealSize', gte: 25000 },
                { field: 'employees', gte: 1000 },
              ],
            },
          },
        ],
        caps: [{ maxTier: 'low_touch', label: 'Prefers digital', when: { field: 'prefersDigital', eq: true } }],
        floors: [{ minTier: 'high_touch', when: { field: 'supportPlan', in: ['premier'] } }],
        capacity: {
          high_touch: { max: 100, rankBy: [{ field: 'dealSize', order: 'desc' }], preferIncumbents: true },
          mid_touch: { max: { csms: 4, accountsPerCsm: 25 }, rankBy: [{ field: 'dealSize', order: 'asc' }] },
        },
        hysteresis: { demotionMargin: 0.1, minDaysInTier: 30 },
      },
      contact: {
        inherit: 'company',
        rules: [{ tier: 'low_touch', when: { not: { all: [] } } }],
        caps: [{ maxTier: 'low_touch', when: { field: 'prefersDigital', exists: true } }],
      },
    };
    const result = validatePolicy(policy);
    expect(result).toEqual({ ok: true, policy });
  });

  test('names the spec example problem exactly', () => {
    const list = problems({
      version: 1,
      tiers,
      company: { rules: [{}, {}, { tier: 'hi_touch', when: { field: 'x', gte: 1 } }].slice(2) },
    });
    expect(formatProblems(list)).toBe(
      'company.rules[0].tier: "hi_touch" is not a tier (tech_touch, low_touch, mid_touch, high_touch)',
    );
  });

  test('reports every problem at once, each with its path', () => {
    const list = problems({
      version: 2,
      tiers: [
        { value: 'tech_touch', label: 'T' },
        { value: 'Hi', label: '' },
        { value: 'tech_touch', label: 'x' },
      ],
      company: {
        default: 'nope',
        rules: [
          { tier: 'hi_touch', when: { field: 'dealSize', gtee: 5 } },
          { tier: 'tech_touch', when: { field: 'a', gte: 1, lte: 2 } },
          { tier: 'tech_touch', when: { all: [{ any: [{ field: 'x', in: [] }] }, 5] } },
        ],
        capacity: {
          tech_touch: { max: { csms: 1.5, accountsPerCsm: 2 }, rankBy: [] },
          zzz: { max: -1, rankBy: [{ field: 'x', order: 'up' }] },
        },
        hysteresis: { demotionMargin: 1, minDaysInTier: -3 },
      },
      contact: { capacity: {}, inherit: 'parent', extra: 1 },
    });
    const paths = list.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'version',
        'tiers[1].value',
        'tiers[1].label',
        'tiers[2].value',
        'company.default',
        'company.rules[0].tier',
        'company.rules[0].when',
        'company.rules[0].when.gtee',
        'company.rules[1].when',
        'company.rules[2].when.all[0].any[0].in',
        'company.rules[2].when.all[1]',
        'company.capacity.tech_touch',
        'company.capacity.tech_touch.max.csms',
        'company.capacity.tech_touch.rankBy',
        'company.capacity.zzz',
        'company.capacity.zzz.max',
        'company.capacity.zzz.rankBy[0].order',
        'company.hysteresis.demotionMargin',
        'company.hysteresis.minDaysInTier',
        'contact.capacity',
        'contact.inherit',
        'contact.extra',
      ]),
    );
    expect(list.length).toBe(22);
    expect(messageAt(list, 'version')).toBe('expected 1, got 2');
    expect(messageAt(list, 'tiers[2].value')).toContain('must be unique');
    expect(messageAt(list, 'company.rules[0].when.gtee')).toBe('unknown key (did you mean "gte"?)');
    expect(messageAt(list, 'company.rules[1].when')).toBe('a leaf has exactly one operator; found gte, lte');
    expect(messageAt(list, 'company.rules[2].when.all[1]')).toBe('expected a condition object, got 5');
    expect(messageAt(list, 'company.capacity.tech_touch')).toContain('lowest tier');
    expect(messageAt(list, 'company.capacity.zzz')).toContain('"zzz" is not a tier');
    expect(messageAt(list, 'contact.capacity')).toContain('companies only');
    expect(messageAt(list, 'contact.inherit')).toBe('expected "company" or "none", got "parent"');
  });

  test('rejects the wrong number of tiers and bad tier values', () => {
    expect(messageAt(problems({ version: 1, tiers: [tiers[0]] }), 'tiers')).toBe('expected at least 2 items, got 1');
    const nine = Array.from({ length: 9 }, (_, i) => ({ value: `t${i}`, label: `T${i}` }));
    expect(messageAt(problems({ version: 1, tiers: nine }), 'tiers')).toBe('expected at most 8 items, got 9');
    const list = problems({
      version: 1,
      tiers: [
        { value: '1abc', label: 'A' },
        { value: `a${'b'.repeat(64)}`, label: 'B' },
        { value: 'ok', label: '   ' },
      ],
    });
    expect(list.map((p) => p.path)).toEqual(['tiers[0].value', 'tiers[1].value', 'tiers[2].label']);
  });

  test('requires version, tiers and a condition on each rule', () => {
    const list = problems({ company: { rules: [{ tier: 'a' }] } });
    expect(messageAt(list, 'version')).toBe('expected 1, got nothing');
    expect(messageAt(list, 'tiers')).toBe('is required (an array)');
    expect(messageAt(list, 'company.rules[0].when')).toBe('is required (a condition)');
  });

  test('checks operator value types', () => {
    const list = problems({
      version: 1,
      tiers,
      company: {
        rules: [
          { tier: 'low_touch', when: { field: 'a', gte: '5' } },
          { tier: 'low_touch', when: { field: 'a', eq: null } },
          { tier: 'low_touch', when: { field: 'a', exists: 'yes' } },
          { tier: 'low_touch', when: { field: '', lt: 1 } },
          { tier: 'low_touch', when: { not: [] } },
          { tier: 'low_touch', when: { all: [], any: [] } },
          { tier: 'low_touch', when: {} },
        ],
      },
    });
    expect(messageAt(list, 'company.rules[0].when.gte')).toBe('expected a number, got "5"');
    expect(messageAt(list, 'company.rules[1].when.eq')).toBe('expected a number, a string or true/false, got null');
    expect(messageAt(list, 'company.rules[2].when.exists')).toBe('expected true or false, got "yes"');
    expect(messageAt(list, 'company.rules[3].when.field')).toBe('must not be empty');
    expect(messageAt(list, 'company.rules[4].when.not')).toBe('expected a condition object, got an array');
    expect(messageAt(list, 'company.rules[5].when')).toContain('exactly one of all, any, not');
    expect(messageAt(list, 'company.rules[6].when')).toContain('got keys (none)');
  });

  test('a non-object policy is one problem at the root', () => {
    expect(problems([])).toEqual([{ path: '(policy)', message: 'expected a JSON object, got an array' }]);
    expect(problems('policy')).toEqual([{ path: '(policy)', message: 'expected a JSON object, got "policy"' }]);
  });

  test('odd capacity keys are quoted in paths', () => {
    const list = problems({
      version: 1,
      tiers,
      company: { capacity: { 'high touch': { max: 1, rankBy: [{ field: 'x', order: 'asc' }] } } },
    });
    expect(list[0]?.path).toBe('company.capacity["high touch"]');
  });

  test('manualEdits (RightTouch extension): revert or keepAsOverride at the top level, anything else a problem', () => {
    for (const manualEdits of ['revert', 'keepAsOverride'] as const) {
      const result = validatePolicy({ version: 1, tiers, manualEdits });
      expect(result.ok && result.policy.manualEdits).toBe(manualEdits);
    }
    expect(problems({ version: 1, tiers, manualEdits: 'keep' })).toEqual([
      { path: 'manualEdits', message: 'expected "revert" or "keepAsOverride", got "keep"' },
    ]);
    expect(messageAt(problems({ version: 1, tiers, manualEdits: true }), 'manualEdits')).toBe(
      'expected "revert" or "keepAsOverride", got true',
    );
    // Only at the top level: the sections stay strict.
    expect(messageAt(problems({ version: 1, tiers, company: { manualEdits: 'revert' } }), 'company.manualEdits')).toBe(
      'unknown key',
    );
  });
});
