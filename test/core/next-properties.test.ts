/**
 * Property-based tests of the next-tier hint (spec §8), on random policies, records and previous
 * tiers:
 *
 * - the hint equals a literal reading of §8 (every rule, every leaf, every lever re-decided with
 *   `decideRecord` — the path that words reasons, not the tier-only one the hint uses — then the
 *   choice by rank, gap, rule index, leaf order);
 * - the hinted value reaches at least the hinted tier; any smaller value does not, through that lever;
 * - overridden records and records in the highest tier carry none;
 * - the tier-only re-decision agrees with `decideRecord` on every record.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { classify, validatePolicy } from '../../src/core/index.ts';
import type { CanonicalRecord, Condition, Decision, NextHint, Policy, PreviousTier } from '../../src/core/index.ts';
import { compilePolicy } from '../../src/core/compile.ts';
import type { CompiledPolicy, CompiledSection } from '../../src/core/compile.ts';
import { leafOf } from '../../src/core/conditions.ts';
import { decideRecord, readOverride } from '../../src/core/decide.ts';
import type { Inherited, KnownPrevious } from '../../src/core/decide.ts';
import { decideTier, nextUp } from '../../src/core/next.ts';
import { isMissing, readNumber } from '../../src/core/values.ts';

const NOW = new Date('2026-11-20T00:00:00Z');
const NOW_MS = NOW.getTime();
const RUNS = { numRuns: 300 };
const TIER_VALUES = ['t0', 't1', 't2', 't3'];
const NUMERIC = ['n0', 'n1', 'n2'];
const THRESHOLDS = [0, 10, 100, -50, 0.1, 1e6];

type Fields = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const leafArb: fc.Arbitrary<Condition> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...NUMERIC),
        fc.constantFrom('gte', 'gt', 'lt', 'lte', 'eq'),
        fc.constantFrom(...THRESHOLDS),
      )
      .map(([field, op, value]) => ({ field, [op]: value })),
  },
  { weight: 1, arbitrary: fc.constant({ field: 'flag', eq: true }) },
  { weight: 1, arbitrary: fc.constantFrom(...NUMERIC, 'flag').map((field) => ({ field, exists: true })) },
);

function conditionArb(depth: number): fc.Arbitrary<Condition> {
  if (depth === 0) return leafArb;
  const inner = conditionArb(depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leafArb },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }).map((all): Condition => ({ all })) },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }).map((any): Condition => ({ any })) },
    { weight: 1, arbitrary: inner.map((not): Condition => ({ not })) },
  );
}

/** Rules are mostly plain thresholds (the levers §8 is about), sometimes anything. */
const ruleCondition: fc.Arbitrary<Condition> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...NUMERIC), fc.constantFrom('gte', 'gt'), fc.constantFrom(...THRESHOLDS))
      .map(([field, op, value]) => ({ field, [op]: value })),
  },
  { weight: 2, arbitrary: conditionArb(2) },
);

function sectionArb(tiers: string[], company: boolean): fc.Arbitrary<Record<string, unknown>> {
  const tier = fc.constantFrom(...tiers);
  return fc
    .record({
      default: fc.option(tier, { nil: undefined }),
      rules: fc.array(fc.record({ tier, when: ruleCondition }), { maxLength: 5 }),
      caps: fc.array(fc.record({ maxTier: tier, when: conditionArb(1) }), { maxLength: 2 }),
      floors: fc.array(fc.record({ minTier: tier, when: conditionArb(1) }), { maxLength: 1 }),
      hysteresis: fc.option(
        fc.record({ demotionMargin: fc.constantFrom(0, 0.1, 0.5), minDaysInTier: fc.constantFrom(0, 30) }),
        { nil: undefined },
      ),
      capacity: company
        ? fc.option(
            fc.tuple(fc.constantFrom(...tiers.slice(1)), fc.integer({ min: 0, max: 3 })).map(([t, max]) => ({
              [t]: { max, rankBy: [{ field: 'n0', order: 'desc' }] },
            })),
            { nil: undefined },
          )
        : fc.constant(undefined),
      inherit: company ? fc.constant(undefined) : fc.constantFrom(undefined, 'company', 'none'),
    })
    .map((section) => JSON.parse(JSON.stringify(section)) as Record<string, unknown>);
}

const policyArb: fc.Arbitrary<Policy> = fc
  .integer({ min: 2, max: 4 })
  .chain((count) => {
    const tiers = TIER_VALUES.slice(0, count);
    return fc.record({ company: sectionArb(tiers, true), contact: sectionArb(tiers, false) }).map((sections) => ({
      version: 1,
      tiers: tiers.map((value) => ({ value, label: value.toUpperCase() })),
      ...sections,
    }));
  })
  .map((draft) => {
    const validation = validatePolicy(draft);
    if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
    return validation.policy;
  });

const numericValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...THRESHOLDS) },
  { weight: 4, arbitrary: fc.integer({ min: -100, max: 200 }) },
  { weight: 1, arbitrary: fc.double({ min: -1e7, max: 1e7, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(null, '', '  ', 'lots', '42', ' 9.5 ', nextUp(10), nextUp(-50)) },
);

const fieldsArb: fc.Arbitrary<Fields> = fc
  .record(
    {
      n0: numericValue,
      n1: numericValue,
      n2: numericValue,
      flag: fc.constantFrom(true, false, 'TRUE', null),
    },
    { requiredKeys: [] },
  )
  .map((fields) => ({ ...fields }));

interface Scenario {
  readonly policy: Policy;
  readonly records: CanonicalRecord[];
  readonly previous: PreviousTier[];
}

const overrideArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('t0', 't1', ' t3 ', 'platinum', '') },
);
const previousArb = fc.option(
  fc.record({
    tier: fc.constantFrom(...TIER_VALUES, 't9'),
    since: fc.constantFrom('2026-11-10T00:00:00Z', '2025-01-01T00:00:00Z'),
  }),
  { nil: undefined },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    policy: policyArb,
    companies: fc.array(fc.record({ fields: fieldsArb, override: overrideArb, previous: previousArb }), {
      minLength: 1,
      maxLength: 6,
    }),
    contacts: fc.array(
      fc.record({
        fields: fieldsArb,
        override: overrideArb,
        previous: previousArb,
        company: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
      }),
      { maxLength: 4 },
    ),
  })
  .map(({ policy, companies, contacts }) => {
    const records: CanonicalRecord[] = [];
    const previous: PreviousTier[] = [];
    companies.forEach((c, i) => {
      const id = `co${i}`;
      records.push({
        type: 'company',
        id,
        fields: c.fields,
        ...(c.override === undefined ? {} : { override: c.override }),
      });
      if (c.previous !== undefined) previous.push({ type: 'company', id, ...c.previous });
    });
    contacts.forEach((k, i) => {
      const id = `k${i}`;
      records.push({
        type: 'contact',
        id,
        fields: k.fields,
        ...(k.company === undefined ? {} : { companyId: `co${k.company}` }),
        ...(k.override === undefined ? {} : { override: k.override }),
      });
      if (k.previous !== undefined) previous.push({ type: 'contact', id, ...k.previous });
    });
    return { policy, records, previous };
  });

// ---------------------------------------------------------------------------------------------
// §8 read literally
// ---------------------------------------------------------------------------------------------

interface Context {
  readonly compiled: CompiledPolicy;
  readonly section: CompiledSection;
  readonly record: CanonicalRecord;
  readonly finalTier: number;
  readonly previous: KnownPrevious | undefined;
  readonly inherited: Inherited | undefined;
}

interface Lever {
  readonly hint: NextHint;
  readonly ruleIndex: number;
  readonly target: number;
}

/** Every leaf of a condition in depth-first document order, with whether it is under a `not`. */
function leavesOf(condition: Condition, underNot = false): { leaf: ReturnType<typeof leafOf>; underNot: boolean }[] {
  if ('all' in condition) return condition.all.flatMap((c) => leavesOf(c, underNot));
  if ('any' in condition) return condition.any.flatMap((c) => leavesOf(c, underNot));
  if ('not' in condition) return leavesOf(condition.not, true);
  return [{ leaf: leafOf(condition), underNot }];
}

/** Steps 2–5 by the reasons path (no override: the hint is only asked of records without one). */
function redecide(ctx: Context, fields: Fields): number {
  return decideRecord(ctx.compiled, ctx.section, { fields }, ctx.previous, NOW_MS, ctx.inherited).tier;
}

function literalNext(ctx: Context): Lever | undefined {
  const { compiled, section, record, finalTier } = ctx;
  if ((readOverride(compiled, record.override) ?? -1) >= 0 || finalTier === compiled.tiers.length - 1) return undefined;
  const levers: (Lever & { rank: number; gap: number; leafIndex: number })[] = [];
  section.rules.forEach((rule, ruleIndex) => {
    if (rule.tier <= finalTier || rule.holds(record.fields)) return;
    leavesOf(rule.when).forEach(({ leaf, underNot }, leafIndex) => {
      if (underNot || (leaf.op !== 'gte' && leaf.op !== 'gt')) return;
      const t = leaf.value;
      const raw = record.fields[leaf.field];
      let gap = Infinity;
      if (!isMissing(raw)) {
        const v = readNumber(raw);
        if (v === undefined || (leaf.op === 'gte' ? v >= t : v > t)) return;
        gap = t === 0 ? t - v : (t - v) / Math.abs(t);
      }
      const target = leaf.op === 'gte' ? t : nextUp(t);
      const raised = { ...record.fields, [leaf.field]: target };
      if (!rule.holds(raised) || redecide(ctx, raised) < rule.tier) return;
      const hint: NextHint = { tier: compiled.tiers[rule.tier]?.value ?? '', field: leaf.field, op: leaf.op, value: t };
      levers.push({ hint, ruleIndex, target, rank: rule.tier, gap, leafIndex });
    });
  });
  levers.sort(
    (a, b) =>
      a.rank - b.rank ||
      (a.gap < b.gap ? -1 : a.gap > b.gap ? 1 : 0) ||
      a.ruleIndex - b.ruleIndex ||
      a.leafIndex - b.leafIndex,
  );
  return levers[0];
}

/** The context of every decision of a scenario: section, final tier, previous and inherited tiers. */
function contexts(scenario: Scenario, decisions: readonly Decision[]): Context[] {
  const compiled = compilePolicy(scenario.policy);
  const rank = (tier: string): number => compiled.rankOf.get(tier) ?? -1;
  const previous = new Map<string, KnownPrevious>();
  for (const p of scenario.previous) {
    const r = compiled.rankOf.get(p.tier);
    if (r !== undefined) previous.set(`${p.type}:${p.id}`, { rank: r, sinceMs: Date.parse(p.since) });
  }
  const companyTiers = new Map<string, number>();
  decisions.forEach((d) => d.type === 'company' && companyTiers.set(d.id, rank(d.tier)));
  return scenario.records.map((record, i) => {
    const companyTier = typeof record.companyId === 'string' ? companyTiers.get(record.companyId) : undefined;
    const inherited =
      record.type === 'contact' && compiled.contact.inheritCompany && companyTier !== undefined
        ? { tier: companyTier, companyId: record.companyId ?? '' }
        : undefined;
    return {
      compiled,
      section: record.type === 'company' ? compiled.company : compiled.contact,
      record,
      finalTier: rank(decisions[i]?.tier ?? ''),
      previous: previous.get(`${record.type}:${record.id}`),
      inherited,
    };
  });
}

function run(scenario: Scenario): { decisions: readonly Decision[]; contexts: Context[] } {
  const { decisions } = classify(scenario.policy, scenario.records, scenario.previous, NOW);
  return { decisions, contexts: contexts(scenario, decisions) };
}

/** The largest double below `x`. */
function nextDown(x: number): number {
  return -nextUp(-x);
}

describe('next-tier hint properties (spec §8)', () => {
  test('the hint is §8 read literally, for every record', () => {
    let hinted = 0;
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { decisions, contexts: ctxs } = run(scenario);
        decisions.forEach((decision, i) => {
          const ctx = ctxs[i];
          if (ctx === undefined) throw new Error('no context');
          const expected = literalNext(ctx)?.hint;
          expect(decision.next, `${decision.type} ${decision.id}`).toEqual(expected);
          if (expected !== undefined) hinted++;
        });
      }),
      RUNS,
    );
    // The generators must actually produce hints, or the property says nothing.
    expect(hinted).toBeGreaterThan(100);
  });

  test('the hinted value reaches at least the hinted tier; a smaller one does not, through that lever', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { contexts: ctxs } = run(scenario);
        for (const ctx of ctxs) {
          const lever = literalNext(ctx);
          if (lever === undefined) continue;
          const { field, tier } = lever.hint;
          const rank = ctx.compiled.rankOf.get(tier) ?? -1;
          const rule = ctx.section.rules[lever.ruleIndex];
          if (rule === undefined) throw new Error('no rule');
          const raised = { ...ctx.record.fields, [field]: lever.target };
          expect(redecide(ctx, raised)).toBeGreaterThanOrEqual(rank);
          expect(rule.holds(raised)).toBe(true);
          // Smaller values: the rule of the lever does not hold when the field appears in it only in
          // that leaf (elsewhere in the rule, a smaller value could satisfy another leaf on purpose).
          if (leavesOf(rule.when).filter(({ leaf }) => leaf.field === field).length !== 1) continue;
          const v = readNumber(ctx.record.fields[field]);
          const smaller = [
            nextDown(lever.target),
            lever.hint.value - 1,
            ...(v === undefined ? [] : [v, (v + lever.target) / 2]),
          ];
          for (const y of smaller.filter((s) => s < lever.target)) {
            expect(rule.holds({ ...ctx.record.fields, [field]: y }), `${field} = ${y}`).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });

  test('overridden records and records in the highest tier carry no hint', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { decisions, contexts: ctxs } = run(scenario);
        decisions.forEach((decision, i) => {
          const ctx = ctxs[i];
          if (ctx === undefined) throw new Error('no context');
          const overridden = (readOverride(ctx.compiled, ctx.record.override) ?? -1) >= 0;
          if (overridden || ctx.finalTier === ctx.compiled.tiers.length - 1) expect('next' in decision).toBe(false);
        });
      }),
      RUNS,
    );
  });

  test('the tier-only re-decision agrees with decideRecord', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { contexts: ctxs } = run(scenario);
        for (const ctx of ctxs) {
          const { fields } = ctx.record;
          expect(decideTier(ctx.section, fields, ctx.previous, NOW_MS, ctx.inherited?.tier ?? -1)).toBe(
            redecide(ctx, fields),
          );
        }
      }),
      RUNS,
    );
  });
});
