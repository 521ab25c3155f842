/**
 * Property-based tests of the tiering core (spec §1–§6): invariants that must hold for every
 * valid policy and every set of records, checked on random policies and records with fast-check.
 *
 * Caps and floors are generated from a small grammar over "flag" fields (`{field: "f1", eq: true}`,
 * `not`, `all`, `any`) so that the tests can tell whether a cap or floor holds without re-implementing
 * the condition evaluator; rules use the full condition language.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { classify, validatePolicy } from '../../src/core/index.ts';
import type {
  Cap,
  CanonicalRecord,
  Capacity,
  CompanySection,
  Condition,
  ContactSection,
  Decision,
  Floor,
  Hysteresis,
  Policy,
  PreviousTier,
  Rule,
  Scalar,
} from '../../src/core/index.ts';

const NOW = new Date('2026-11-20T00:00:00Z');
const DAY_MS = 86_400_000;
const NUM_RUNS = 200;
const RUNS = { numRuns: NUM_RUNS };

const NUMERIC_FIELDS = ['n0', 'n1'] as const;
const STRING_FIELDS = ['s0', 's1'] as const;
const BOOLEAN_FIELDS = ['b0'] as const;
/** Caps and floors read only these, through `boundHolds`. Rules may read them too. */
const FLAG_FIELDS = ['f0', 'f1', 'f2'] as const;
const RULE_FIELDS = [...NUMERIC_FIELDS, ...STRING_FIELDS, ...BOOLEAN_FIELDS, ...FLAG_FIELDS];
/** Tier strings records and previous tiers may carry: t5..t7 are not tiers of a smaller policy. */
const TIER_STRINGS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];

type Fields = Record<string, unknown>;

/** JSON values (they pass checkRecord) that read as missing and have no string form: String(v) throws. */
const NO_STRING_FORM: readonly unknown[] = [
  JSON.parse('{"toString": null}'),
  JSON.parse('{"toString": 1, "valueOf": 1}'),
  JSON.parse('[{"toString": 1}]'),
];

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/** Thresholds that record values are generated close to, so relaxed comparisons (§4.3b) matter. */
const THRESHOLDS = [100, 50, -20, 0];
const numberValue: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...THRESHOLDS) },
  { weight: 3, arbitrary: fc.integer({ min: -100, max: 100 }) },
  { weight: 1, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 0.5, 1e15, -1e15, Number.MAX_SAFE_INTEGER, 1e300) },
);
const stringValue: fc.Arbitrary<string> = fc.constantFrom(
  'alpha',
  'Beta',
  ' gamma ',
  'é',
  '42',
  ' 7.5 ',
  '-3',
  'true',
  'FALSE',
  '1e3',
  '',
  '  ',
);
const scalarValue: fc.Arbitrary<Scalar> = fc.oneof(numberValue, stringValue, fc.boolean());
const ruleField = fc.constantFrom(...RULE_FIELDS);
/** Comparisons mostly read numeric fields (where they can hold), sometimes any field. */
const comparedField = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NUMERIC_FIELDS) }, ruleField);

/** A leaf with exactly one operator (built as plain JSON, then typed: validatePolicy checks it). */
const leafArb: fc.Arbitrary<Condition> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(comparedField, fc.constantFrom('gt', 'gte', 'lt', 'lte'), numberValue)
      .map(([field, op, value]) => ({ field, [op]: value })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(ruleField, fc.constantFrom('eq', 'neq'), scalarValue)
      .map(([field, op, value]) => ({ field, [op]: value })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(ruleField, fc.constantFrom('in', 'notIn'), fc.array(scalarValue, { minLength: 1, maxLength: 4 }))
      .map(([field, op, value]) => ({ field, [op]: value })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(ruleField, fc.boolean()).map(([field, exists]): Condition => ({ field, exists })),
  },
);

/** A condition nested at most `depth` levels of all/any/not above its leaves. */
function conditionArb(depth: number): fc.Arbitrary<Condition> {
  if (depth === 0) return leafArb;
  const inner = conditionArb(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leafArb },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }).map((all): Condition => ({ all })) },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 3 }).map((any): Condition => ({ any })) },
    { weight: 1, arbitrary: inner.map((not): Condition => ({ not })) },
  );
}
/** A plain threshold on a numeric field: the kind of rule the demotion margin relaxes. */
const thresholdLeaf: fc.Arbitrary<Condition> = fc
  .tuple(fc.constantFrom(...NUMERIC_FIELDS), fc.constantFrom('gt', 'gte', 'lt', 'lte'), fc.constantFrom(...THRESHOLDS))
  .map(([field, op, value]) => ({ field, [op]: value }));
const ruleCondition: fc.Arbitrary<Condition> = fc.oneof(thresholdLeaf, conditionArb(2));
/** Mostly plain thresholds: for exercising hysteresis, whose margin relaxes them. */
const thresholdHeavyCondition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 3, arbitrary: thresholdLeaf },
  { weight: 1, arbitrary: conditionArb(2) },
);

const flagLeaf = fc.constantFrom(...FLAG_FIELDS).map((field): Condition => ({ field, eq: true }));
/** The only conditions caps and floors get: `boundHolds` decides them. */
const boundCondition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 6, arbitrary: flagLeaf },
  { weight: 1, arbitrary: flagLeaf.map((not): Condition => ({ not })) },
  { weight: 1, arbitrary: fc.array(flagLeaf, { maxLength: 2 }).map((all): Condition => ({ all })) },
  { weight: 1, arbitrary: fc.array(flagLeaf, { maxLength: 2 }).map((any): Condition => ({ any })) },
);

/** A flag reads as true the way `eq: true` compares it (§3: booleans, or "true" in any case). */
function readsTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/** Whether a cap/floor condition of the `boundCondition` grammar holds for these fields. */
function boundHolds(when: Condition, fields: Fields): boolean {
  if ('all' in when) return when.all.every((c) => boundHolds(c, fields));
  if ('any' in when) return when.any.some((c) => boundHolds(c, fields));
  if ('not' in when) return !boundHolds(when.not, fields);
  if (when.eq !== true) throw new Error(`not a bound condition: ${JSON.stringify(when)}`);
  return readsTrue(fields[when.field]);
}

const labelArb = fc.constantFrom('Enterprise', 'Prefers digital', 'Premier support', 'Ünïcode ✓');

interface PolicyOptions {
  /** Whether the company section may have a capacity. */
  readonly capacity: boolean;
  /** Whether both sections always have a full hysteresis, and mostly threshold rules (to exercise it). */
  readonly forceHysteresis: boolean;
}

function policyArb(options: PolicyOptions = { capacity: true, forceHysteresis: false }): fc.Arbitrary<Policy> {
  return fc.integer({ min: 2, max: 8 }).chain((n) => {
    const tiers = Array.from({ length: n }, (_, i) => ({ value: `t${i}`, label: `Tier ${i}` }));
    const tierValue = fc.constantFrom(...tiers.map((t) => t.value));
    const rule: fc.Arbitrary<Rule> = fc.record(
      { tier: tierValue, when: options.forceHysteresis ? thresholdHeavyCondition : ruleCondition, label: labelArb },
      { requiredKeys: ['tier', 'when'] },
    );
    const cap: fc.Arbitrary<Cap> = fc.record(
      { maxTier: tierValue, when: boundCondition, label: labelArb },
      { requiredKeys: ['maxTier', 'when'] },
    );
    const floor: fc.Arbitrary<Floor> = fc.record(
      { minTier: tierValue, when: boundCondition, label: labelArb },
      { requiredKeys: ['minTier', 'when'] },
    );
    const hysteresis: fc.Arbitrary<Hysteresis> = fc.record(
      {
        // fc.double alone is uniform over bit patterns (mostly tiny): use mostly whole percentages.
        demotionMargin: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 0, max: 50 }).map((n) => n / 100) },
          { weight: 1, arbitrary: fc.double({ min: 0, max: 0.5, noNaN: true }) },
        ),
        minDaysInTier: fc.integer({ min: 0, max: 60 }),
      },
      { requiredKeys: options.forceHysteresis ? ['demotionMargin', 'minDaysInTier'] : [] },
    );
    const capacityEntry: fc.Arbitrary<Capacity> = fc.record(
      {
        max: fc.oneof(
          fc.integer({ min: 0, max: 12 }),
          fc.record({ csms: fc.integer({ min: 0, max: 4 }), accountsPerCsm: fc.integer({ min: 0, max: 5 }) }),
        ),
        rankBy: fc.array(
          fc.record({ field: fc.constantFrom('n0', 'n1', 's0', 'b0'), order: fc.constantFrom('asc', 'desc') }),
          { minLength: 1, maxLength: 3 },
        ),
        preferIncumbents: fc.boolean(),
      },
      { requiredKeys: ['max', 'rankBy'] },
    );
    // Capacity only on non-lowest tiers (a capacity on the lowest tier is a policy problem).
    const capacity = fc
      .array(fc.option(capacityEntry, { nil: undefined }), { minLength: n - 1, maxLength: n - 1 })
      .map((entries) => {
        const out: Record<string, Capacity> = {};
        entries.forEach((entry, i) => {
          if (entry !== undefined) out[`t${i + 1}`] = entry;
        });
        return out;
      });
    const force = options.forceHysteresis;
    const rules = (maxLength: number) => fc.array(rule, force ? { minLength: 2, maxLength: 8 } : { maxLength });
    const company: fc.Arbitrary<CompanySection> = fc.record(
      {
        default: tierValue,
        rules: rules(6),
        caps: fc.array(cap, { maxLength: 3 }),
        floors: fc.array(floor, { maxLength: 3 }),
        hysteresis,
        ...(options.capacity ? { capacity } : {}),
      },
      { requiredKeys: force ? ['rules', 'hysteresis'] : ['rules'] },
    );
    const contact: fc.Arbitrary<ContactSection> = fc.record(
      {
        default: tierValue,
        inherit: fc.constantFrom('company' as const, 'none' as const),
        rules: rules(4),
        caps: fc.array(cap, { maxLength: 2 }),
        floors: fc.array(floor, { maxLength: 2 }),
        hysteresis,
      },
      { requiredKeys: force ? ['rules', 'hysteresis'] : [] },
    );
    return fc
      .record({ company, contact }, { requiredKeys: force ? ['company', 'contact'] : [] })
      .map((sections): Policy => ({ version: 1, tiers, ...sections }));
  });
}

/** Validates a generated policy; every generated policy must pass (a check of the schema too). */
function validated(policy: Policy): Policy {
  const result = validatePolicy(policy);
  if (!result.ok) {
    throw new Error(`generated policy rejected:\n${result.problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  }
  return result.policy;
}

// ---------------------------------------------------------------------------------------------
// Records and previous tiers
// ---------------------------------------------------------------------------------------------

const numericFieldValue = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .tuple(fc.constantFrom(...THRESHOLDS), fc.constantFrom(-1, -5, -10, -14, -20, 0, 1, 5))
      .map(([t, delta]) => t + delta),
  },
  { weight: 3, arbitrary: fc.integer({ min: -150, max: 150 }) },
  { weight: 1, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom('42', ' 7.5 ', '-3', '+0', '.5', '1,000', 'abc', '', null, true, 1e300) },
);
const stringFieldValue = fc.oneof(stringValue, fc.constantFrom(null, 0, 42, false));
const booleanFieldValue = fc.constantFrom(true, false, 'true', 'False', ' TRUE ', 'yes', 1, 0, null);
const flagFieldValue = fc.constantFrom(true, false, 'true', ' TRUE ', 'false', 'yes', 1, null, '');

const fieldsArb: fc.Arbitrary<Fields> = fc.record(
  {
    n0: numericFieldValue,
    n1: numericFieldValue,
    s0: stringFieldValue,
    s1: stringFieldValue,
    b0: booleanFieldValue,
    f0: flagFieldValue,
    f1: flagFieldValue,
    f2: flagFieldValue,
  },
  { requiredKeys: ['n0', 'n1'] }, // numericFieldValue is missing (null, '') often enough
);

/** Valid tiers (some padded), tiers of larger policies, invalid strings, and no override. */
const overrideArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom(...TIER_STRINGS) },
  { weight: 1, arbitrary: fc.constantFrom(' t1 ', 't0\n', 'T1', 'high_touch', 'nope', null, '', '   ', 3, true) },
);

interface PreviousDraft {
  readonly tier: string;
  /** Days between `since` and NOW (negative: in the future). */
  readonly ageDays: number;
  readonly badSince: boolean;
}
const previousDraftArb: fc.Arbitrary<PreviousDraft | undefined> = fc.option(
  fc.record({
    tier: fc.constantFrom(...TIER_STRINGS, 'retired_tier'),
    ageDays: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: -5, max: 120 }) },
      { weight: 1, arbitrary: fc.double({ min: -5, max: 120, noNaN: true }) },
    ),
    badSince: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  }),
  { nil: undefined, freq: 2 },
);

interface Scenario {
  readonly records: CanonicalRecord[];
  readonly previous: PreviousTier[];
}

function previousOf(type: 'company' | 'contact', id: string, draft: PreviousDraft | undefined): PreviousTier[] {
  if (draft === undefined) return [];
  const since = draft.badSince ? 'not a date' : new Date(NOW.getTime() - draft.ageDays * DAY_MS).toISOString();
  return [{ type, id, tier: draft.tier, since }];
}

const companyDraftArb = fc.record({ fields: fieldsArb, override: overrideArb, previous: previousDraftArb });

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .array(companyDraftArb, { maxLength: 40 })
  .chain((companyDrafts) => {
    const companyIds = companyDrafts.map((_, i) => `co${i}`);
    const companyId: fc.Arbitrary<string | null | undefined> = fc.oneof(
      {
        weight: companyIds.length === 0 ? 0 : 6,
        arbitrary: fc.constantFrom(...(companyIds.length ? companyIds : ['co0'])),
      },
      { weight: 1, arbitrary: fc.constantFrom('unknown-company', 'co999', '') },
      { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
    );
    const contactDraft = fc.record({
      fields: fieldsArb,
      override: overrideArb,
      previous: previousDraftArb,
      companyId,
      // Sometimes a contact shares its id with a company: ids are unique per type only.
      sharesCompanyId: fc.boolean(),
    });
    return fc.tuple(fc.constant(companyDrafts), fc.array(contactDraft, { maxLength: 40 }));
  })
  .chain(([companyDrafts, contactDrafts]) => {
    const records: CanonicalRecord[] = [];
    const previous: PreviousTier[] = [];
    companyDrafts.forEach((draft, i) => {
      const id = `co${i}`;
      records.push(compact({ type: 'company', id, fields: draft.fields, override: draft.override }));
      previous.push(...previousOf('company', id, draft.previous));
    });
    contactDrafts.forEach((draft, i) => {
      const id = draft.sharesCompanyId ? `co${i}` : `ct${i}`;
      records.push(
        compact({ type: 'contact', id, companyId: draft.companyId, fields: draft.fields, override: draft.override }),
      );
      previous.push(...previousOf('contact', id, draft.previous));
    });
    return fc.record({ records: permutation(records), previous: permutation(previous) });
  });

/** Drops keys whose value is undefined (records as they come out of JSON have no such keys). */
function compact(record: Record<string, unknown>): CanonicalRecord {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as CanonicalRecord;
}

function permutation<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}

// ---------------------------------------------------------------------------------------------
// Helpers over decisions
// ---------------------------------------------------------------------------------------------

function rank(policy: Policy, tier: string): number {
  return policy.tiers.findIndex((t) => t.value === tier);
}

/** The rank of a valid override (§1: a string equal to a tier value after trimming), or undefined. */
function overrideRank(policy: Policy, override: unknown): number | undefined {
  if (typeof override !== 'string') return undefined;
  const r = rank(policy, override.trim());
  return r < 0 ? undefined : r;
}

function sectionOf(policy: Policy, type: 'company' | 'contact'): CompanySection | ContactSection | undefined {
  return type === 'company' ? policy.company : policy.contact;
}

/** The lowest maxTier among holding caps, and the highest minTier among holding floors (-1: none). */
function bounds(policy: Policy, record: CanonicalRecord): { cap: number; floor: number } {
  const section = sectionOf(policy, record.type);
  let cap = Infinity;
  let floor = -1;
  for (const c of section?.caps ?? []) {
    if (boundHolds(c.when, record.fields)) cap = Math.min(cap, rank(policy, c.maxTier));
  }
  for (const f of section?.floors ?? []) {
    if (boundHolds(f.when, record.fields)) floor = Math.max(floor, rank(policy, f.minTier));
  }
  return { cap, floor };
}

function key(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

function tiersByKey(policy: Policy, decisions: readonly Decision[]): Map<string, number> {
  return new Map(decisions.map((d) => [key(d.type, d.id), rank(policy, d.tier)]));
}

function expectValidDecisions(policy: Policy, records: readonly CanonicalRecord[], decisions: readonly Decision[]) {
  expect(decisions).toHaveLength(records.length);
  const tierValues = new Set(policy.tiers.map((t) => t.value));
  records.forEach((record, i) => {
    const decision = decisions[i];
    expect(decision?.type).toBe(record.type);
    expect(decision?.id).toBe(record.id);
    expect(tierValues.has(decision?.tier ?? '')).toBe(true);
    expect(Array.isArray(decision?.reasons)).toBe(true);
    expect(decision?.reasons.length).toBeGreaterThan(0);
    for (const reason of decision?.reasons ?? []) {
      expect(typeof reason).toBe('string');
      expect(reason.trim()).not.toBe('');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('tiering core properties', () => {
  test('every generated policy passes validatePolicy', () => {
    fc.assert(
      fc.property(policyArb(), (policy) => {
        // As read back from JSON; every property below also validates the policy as generated.
        const result = validatePolicy(JSON.parse(JSON.stringify(policy)));
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
      RUNS,
    );
  });

  test('1. one valid decision per record, in input order', () => {
    fc.assert(
      fc.property(policyArb(), scenarioArb, (generated, { records, previous }) => {
        const policy = validated(generated);
        const { decisions } = classify(policy, records, previous, NOW);
        expectValidDecisions(policy, records, decisions);
      }),
      RUNS,
    );
  });

  test('2. overrides win; caps are never exceeded unless a floor applies; floors always hold', () => {
    fc.assert(
      fc.property(policyArb(), scenarioArb, (generated, { records, previous }) => {
        const policy = validated(generated);
        const { decisions } = classify(policy, records, previous, NOW);
        records.forEach((record, i) => {
          const tier = rank(policy, decisions[i]?.tier ?? '');
          const override = overrideRank(policy, record.override);
          if (override !== undefined) {
            expect(tier).toBe(override); // capacity never moves an override (§4.1)
            return;
          }
          const { cap, floor } = bounds(policy, record);
          // Caps then floors: tier ≤ cap unless a floor lifts it, and never above the higher of the two.
          if (floor < 0 && cap !== Infinity) expect(tier).toBeLessThanOrEqual(cap);
          if (cap !== Infinity) expect(tier).toBeLessThanOrEqual(Math.max(cap, floor));
          // A holding floor pins the company in capacity, so floors hold after step 6 too.
          expect(tier).toBeGreaterThanOrEqual(floor);
        });
      }),
      RUNS,
    );
  });

  test('3. capacity is never exceeded by unpinned companies', () => {
    fc.assert(
      fc.property(policyArb(), scenarioArb, (generated, { records, previous }) => {
        const policy = validated(generated);
        const { decisions } = classify(policy, records, previous, NOW);
        for (const [tierValue, capacity] of Object.entries(policy.company?.capacity ?? {})) {
          const t = rank(policy, tierValue);
          const max = typeof capacity.max === 'number' ? capacity.max : capacity.max.csms * capacity.max.accountsPerCsm;
          let pinned = 0;
          let unpinned = 0;
          records.forEach((record, i) => {
            if (record.type !== 'company' || decisions[i]?.tier !== tierValue) return;
            const override = overrideRank(policy, record.override);
            const isPinned = override !== undefined ? override === t : bounds(policy, record).floor >= t;
            if (isPinned) pinned++;
            else unpinned++;
          });
          expect(unpinned).toBeLessThanOrEqual(Math.max(0, max - pinned));
          if (pinned === 0) expect(unpinned).toBeLessThanOrEqual(max);
        }
      }),
      RUNS,
    );
  });

  test('4. the order of rules, caps and floors does not change any tier', () => {
    const shuffled = policyArb().chain((policy) =>
      fc.tuple(
        fc.constant(policy),
        fc
          .record({
            companyRules: permutation(policy.company?.rules ?? []),
            companyCaps: permutation(policy.company?.caps ?? []),
            companyFloors: permutation(policy.company?.floors ?? []),
            contactRules: permutation(policy.contact?.rules ?? []),
            contactCaps: permutation(policy.contact?.caps ?? []),
            contactFloors: permutation(policy.contact?.floors ?? []),
          })
          .map((p): Policy => ({
            ...policy,
            ...(policy.company && {
              company: { ...policy.company, rules: p.companyRules, caps: p.companyCaps, floors: p.companyFloors },
            }),
            ...(policy.contact && {
              contact: { ...policy.contact, rules: p.contactRules, caps: p.contactCaps, floors: p.contactFloors },
            }),
          })),
      ),
    );
    fc.assert(
      fc.property(shuffled, scenarioArb, ([original, permuted], { records, previous }) => {
        const a = classify(validated(original), records, previous, NOW).decisions;
        const b = classify(validated(permuted), records, previous, NOW).decisions;
        expect(b.map((d) => d.tier)).toEqual(a.map((d) => d.tier));
      }),
      RUNS,
    );
  });

  // Companies are always checked. Contacts are checked in both directions only when the policy says
  // `inherit: "none"`: a contact that inherits can legitimately end above both its own previous tier
  // and its tier without previous tiers, because its company was held up by the company's previous
  // tier. The lower bound (hysteresis only holds up) holds for every contact, so it is checked always.
  //
  // A quarter of the runs use the scenario's random previous tiers; the others place each previous tier
  // relative to the record's tier without previous tiers (mostly above it: the demotions hysteresis
  // is about), so that the minimum-days and demotion-margin holds are exercised often.
  test('5. hysteresis never promotes and never demotes (policies without capacity)', () => {
    const placed = fc.array(
      fc.option(
        fc.record({
          offset: fc.constantFrom(-1, 0, 1, 1, 1, 2, 3),
          ageDays: fc.oneof(
            { weight: 2, arbitrary: fc.integer({ min: 61, max: 400 }) }, // past any minDaysInTier
            { weight: 2, arbitrary: fc.integer({ min: -2, max: 90 }) },
            { weight: 1, arbitrary: fc.double({ min: -2, max: 90, noNaN: true }) },
          ),
        }),
        { nil: undefined, freq: 4 },
      ),
      { minLength: 80, maxLength: 80 },
    );
    fc.assert(
      fc.property(
        policyArb({ capacity: false, forceHysteresis: true }),
        scenarioArb,
        fc.option(placed, { nil: undefined, freq: 4 }),
        (generated, scenario, placements) => {
          const policy = validated(generated);
          const { records } = scenario;
          const without = classify(policy, records, undefined, NOW).decisions;
          const previous =
            placements === undefined
              ? scenario.previous
              : records.flatMap((record, i): PreviousTier[] => {
                  const placement = placements[i];
                  if (placement === undefined) return [];
                  const r = rank(policy, without[i]?.tier ?? '') + placement.offset;
                  const tier = policy.tiers[r]?.value ?? 'retired_tier';
                  const since = new Date(NOW.getTime() - placement.ageDays * DAY_MS).toISOString();
                  return [{ type: record.type, id: record.id, tier, since }];
                });
          const withPrevious = classify(policy, records, previous, NOW).decisions;
          const previousRank = new Map(previous.map((p) => [key(p.type, p.id), rank(policy, p.tier)]));
          const inheritNone = policy.contact?.inherit === 'none';
          records.forEach((record, i) => {
            const before = rank(policy, without[i]?.tier ?? '');
            const after = rank(policy, withPrevious[i]?.tier ?? '');
            expect(after).toBeGreaterThanOrEqual(before);
            if (record.type === 'company' || inheritNone) {
              const p = previousRank.get(key(record.type, record.id)) ?? -1; // -1: none, or a retired tier
              expect(after).toBeLessThanOrEqual(Math.max(before, p));
            }
          });
        },
      ),
      RUNS,
    );
  });

  test('6. permuting the records does not change any tier', () => {
    const permuted = scenarioArb.chain((scenario) =>
      fc.tuple(fc.constant(scenario), permutation(scenario.records), permutation(scenario.previous)),
    );
    fc.assert(
      fc.property(policyArb(), permuted, (generated, [{ records, previous }, records2, previous2]) => {
        const policy = validated(generated);
        const a = tiersByKey(policy, classify(policy, records, previous, NOW).decisions);
        const b = tiersByKey(policy, classify(policy, records2, previous2, NOW).decisions);
        expect(b).toEqual(a);
      }),
      RUNS,
    );
  });

  // The smallest case the robustness property below finds (kept as an example so it fails every
  // time, not only when the random run happens to hit it): a missing-by-shape field value explained
  // by an `exists: false` rule. `{"toString": null}` is valid JSON and passes checkRecord.
  test('a field value with no string form does not break the reasons', () => {
    const policy = validated({
      version: 1,
      tiers: [
        { value: 't0', label: 'Tier 0' },
        { value: 't1', label: 'Tier 1' },
      ],
      company: { rules: [{ tier: 't1', when: { field: 'n0', exists: false } }] },
    });
    for (const value of NO_STRING_FORM) {
      const records = [compact({ type: 'company', id: 'co0', fields: { n0: value } })];
      const { decisions } = classify(policy, records, undefined, NOW);
      expectValidDecisions(policy, records, decisions);
      expect(decisions[0]?.tier).toBe('t1');
    }
  });

  test('garbage field values never make classify throw', () => {
    const garbage: fc.Arbitrary<unknown> = fc.oneof(
      fc.anything({
        maxDepth: 2,
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withObjectString: true,
        withNullPrototype: true,
        withTypedArray: true,
        withSparseArray: true,
        stringUnit: 'grapheme',
      }),
      fc.double(),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, NaN, '1'.repeat(400), '9'.repeat(400) + '.5'),
      // Shapes plain JSON can carry that have no usable string form (String(value) throws).
      { weight: 2, arbitrary: fc.constantFrom(...NO_STRING_FORM) },
    );
    // Overrides stay JSON values: any JSON value is either a valid tier or reported as ignored.
    const garbageOverride = fc.oneof(overrideArb, fc.jsonValue());
    const garbageFields = fc.dictionary(fc.oneof(fc.constantFrom(...RULE_FIELDS), fc.string()), garbage, {
      maxKeys: 10,
    });
    const garbageRecords = fc
      .tuple(
        fc.array(fc.record({ fields: garbageFields, override: garbageOverride }), { maxLength: 15 }),
        fc.array(
          fc.record({
            fields: garbageFields,
            override: garbageOverride,
            companyId: fc.constantFrom('co0', 'co1', 'x'),
          }),
          { maxLength: 15 },
        ),
      )
      .map(([companies, contacts]) => [
        ...companies.map((c, i) => compact({ type: 'company', id: `co${i}`, ...c })),
        ...contacts.map((c, i) => compact({ type: 'contact', id: `ct${i}`, ...c })),
      ]);
    fc.assert(
      fc.property(policyArb(), garbageRecords, (generated, records) => {
        const policy = validated(generated);
        const { decisions } = classify(policy, records, undefined, NOW);
        expectValidDecisions(policy, records, decisions);
      }),
      RUNS,
    );
  });
});
