/**
 * The scenarios of the incremental-run oracles (incremental.property.test.ts, with the state
 * held or handed over whole; incremental-lazy.property.test.ts, with its contacts loaded on
 * demand): random policies, records and change sequences, and the oracle's helpers — decisions as
 * comparable lines (the over-capacity rank exempt), the world a step changes, the previous tiers
 * of the next run, the saved copy of the rows as a store keeps it.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { createIncremental, validatePolicy } from '../../src/core/index.ts';
import type {
  CanonicalRecord,
  Capacity,
  Condition,
  Decision,
  IncrementalRow,
  IncrementalTiering,
  Policy,
  PreviousTier,
  RecordType,
} from '../../src/core/index.ts';

export const START = Date.parse('2026-11-01T00:00:00Z');
export const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Policies: few fields and thresholds, so that changes cross them often.
// ---------------------------------------------------------------------------------------------

const NUMERIC = ['n0', 'n1'] as const;
const FLAGS = ['f0', 'f1'] as const;
const THRESHOLDS = [0, 50, 100];

const thresholdLeaf: fc.Arbitrary<Condition> = fc
  .tuple(fc.constantFrom(...NUMERIC), fc.constantFrom('gt', 'gte', 'lt', 'lte'), fc.constantFrom(...THRESHOLDS))
  .map(([field, op, value]) => ({ field, [op]: value }));
const flagLeaf: fc.Arbitrary<Condition> = fc.constantFrom(...FLAGS).map((field) => ({ field, eq: true }));
const ruleCondition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 5, arbitrary: thresholdLeaf },
  { weight: 1, arbitrary: flagLeaf },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(thresholdLeaf, flagLeaf), { minLength: 1, maxLength: 2 }).map((any) => ({ any })),
  },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(thresholdLeaf, flagLeaf), { minLength: 1, maxLength: 2 }).map((all) => ({ all })),
  },
  { weight: 1, arbitrary: thresholdLeaf.map((not) => ({ not })) },
);
const boundCondition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 4, arbitrary: flagLeaf },
  { weight: 1, arbitrary: flagLeaf.map((not) => ({ not })) },
);
const hysteresisArb = fc.record(
  { demotionMargin: fc.constantFrom(0, 0.1, 0.3, 0.3), minDaysInTier: fc.constantFrom(0, 1, 3, 10, 10) },
  { requiredKeys: ['minDaysInTier'] },
);

export function policyArb(): fc.Arbitrary<Policy> {
  return fc.integer({ min: 2, max: 5 }).chain((n) => {
    const tiers = Array.from({ length: n }, (_, i) => ({ value: `t${i}`, label: `Tier ${i}` }));
    const tier = fc.constantFrom(...tiers.map((t) => t.value));
    const rules = (max: number) => fc.array(fc.record({ tier, when: ruleCondition }), { maxLength: max });
    const caps = fc.array(fc.record({ maxTier: tier, when: boundCondition }), { maxLength: 2 });
    const floors = fc.array(fc.record({ minTier: tier, when: boundCondition }), { maxLength: 2 });
    const capacityEntry: fc.Arbitrary<Capacity> = fc.record(
      {
        max: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }) },
          {
            weight: 1,
            arbitrary: fc.record({
              csms: fc.integer({ min: 0, max: 2 }),
              accountsPerCsm: fc.integer({ min: 1, max: 2 }),
            }),
          },
        ),
        rankBy: fc.array(
          fc.record({ field: fc.constantFrom('n0', 'n1', 'f0'), order: fc.constantFrom('asc', 'desc') }),
          {
            minLength: 1,
            maxLength: 2,
          },
        ),
        preferIncumbents: fc.boolean(),
      },
      { requiredKeys: ['max', 'rankBy'] },
    );
    // Mostly several capacity tiers, so that seats cascade.
    const capacity = fc
      .array(fc.option(capacityEntry, { nil: undefined, freq: 3 }), { minLength: n - 1, maxLength: n - 1 })
      .map((entries) => {
        const out: Record<string, Capacity> = {};
        entries.forEach((entry, i) => {
          if (entry !== undefined) out[`t${i + 1}`] = entry;
        });
        return out;
      });
    return fc
      .record({
        company: fc.record(
          { default: tier, rules: rules(5), caps, floors, capacity, hysteresis: hysteresisArb },
          { requiredKeys: ['rules', 'capacity', 'hysteresis'] },
        ),
        contact: fc.record(
          {
            default: tier,
            inherit: fc.constantFrom('company' as const, 'company' as const, 'none' as const),
            rules: rules(3),
            caps,
            floors,
            hysteresis: hysteresisArb,
          },
          { requiredKeys: ['inherit', 'hysteresis'] },
        ),
      })
      .map((sections): Policy => {
        const result = validatePolicy({ version: 1, tiers, ...sections });
        if (!result.ok) throw new Error(`generated policy rejected: ${JSON.stringify(result.problems)}`);
        return result.policy;
      });
  });
}

// ---------------------------------------------------------------------------------------------
// Records and changes: small ids, so that shrunk counterexamples read easily.
// ---------------------------------------------------------------------------------------------

const COMPANY_IDS = ['co0', 'co1', 'co2', 'co3', 'co4', 'co5'];
const CONTACT_IDS = ['ct0', 'ct1', 'ct2', 'ct3', 'ct4', 'ct5'];
const numericValue = fc.constantFrom<unknown>(-1, 0, 1, 49, 50, 51, 55, 95, 100, 105, 120, null, 'abc', ' 60 ');
const flagValue = fc.constantFrom<unknown>(true, false, null, 'TRUE');
/** Valid tiers (one padded), a tier no policy has, an empty override, none. */
const overrideValue = fc.constantFrom<unknown>(undefined, undefined, 't0', 't1', 't2', ' t1 ', 't9', '');
const initialOverride = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: overrideValue },
);

type Field = 'n0' | 'n1' | 'f0' | 'f1';
const fieldChange = fc.oneof(
  fc.tuple(fc.constantFrom<Field>('n0', 'n1'), numericValue),
  fc.tuple(fc.constantFrom<Field>('f0', 'f1'), flagValue),
);

type Change =
  | {
      readonly op: 'set';
      readonly type: RecordType;
      readonly id: string;
      readonly field: Field;
      readonly value: unknown;
    }
  | { readonly op: 'override'; readonly type: RecordType; readonly id: string; readonly value: unknown }
  | { readonly op: 'moveContact'; readonly id: string; readonly companyId: string | null }
  | { readonly op: 'delete'; readonly type: RecordType; readonly id: string };

const target = fc.oneof(
  fc.record({ type: fc.constant<RecordType>('company'), id: fc.constantFrom(...COMPANY_IDS) }),
  fc.record({ type: fc.constant<RecordType>('contact'), id: fc.constantFrom(...CONTACT_IDS) }),
);
const changeArb: fc.Arbitrary<Change> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(target, fieldChange).map(([t, [field, value]]): Change => ({ op: 'set', ...t, field, value })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(target, overrideValue).map(([t, value]): Change => ({ op: 'override', ...t, value })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...CONTACT_IDS), fc.constantFrom<string | null>(...COMPANY_IDS, 'co9', null))
      .map(([id, companyId]): Change => ({ op: 'moveContact', id, companyId })),
  },
  { weight: 1, arbitrary: target.map((t): Change => ({ op: 'delete', ...t })) },
);

export interface Step {
  readonly changes: readonly Change[];
  /** Days the clock moves before this run. */
  readonly days: number;
  /**
   * This run is done by another worker, from the last run's rows (as JSON). Not when the clock
   * goes back: rows do not carry the last run's time (the caller keeps the clock monotonic).
   */
  readonly handOff: boolean;
}
export const stepArb: fc.Arbitrary<Step> = fc.record({
  changes: fc.array(changeArb, { maxLength: 3 }),
  // Now and then the clock goes back a day: the state must notice and decide everything again.
  days: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(0, 0, 0.25, 1, 1, 2, 4, 11) },
    { weight: 1, arbitrary: fc.constant(-1) },
  ),
  handOff: fc.boolean(),
});

const recordArb = (type: RecordType, id: string): fc.Arbitrary<CanonicalRecord> =>
  fc
    .record({ n0: numericValue, n1: numericValue, f0: flagValue, f1: flagValue })
    .chain((fields) =>
      fc
        .record({ override: initialOverride, companyId: fc.constantFrom<string | null>(...COMPANY_IDS, 'co9', null) })
        .map(({ override, companyId }) =>
          compact({ type, id, fields, override, ...(type === 'contact' ? { companyId } : {}) }),
        ),
    );
export const initialArb = fc
  .tuple(fc.subarray(COMPANY_IDS, { minLength: 1 }), fc.subarray(CONTACT_IDS))
  .chain(([companies, contacts]) =>
    fc.tuple(...companies.map((id) => recordArb('company', id)), ...contacts.map((id) => recordArb('contact', id))),
  );
/** Some records start with a previous tier (t9: a tier no policy has), entered some days before the start. */
export const initialPreviousArb = fc.array(
  fc.record({ tier: fc.constantFrom('t0', 't1', 't2', 't3', 't9'), ageDays: fc.constantFrom(0, 1, 2, 5, 20) }),
  { minLength: 12, maxLength: 12 },
);

function compact(record: Record<string, unknown>): CanonicalRecord {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as CanonicalRecord;
}

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

export function keyOf(type: string, id: string): string {
  return `${type}:${id}`;
}

const OVER_RANK = /^(Over .+ capacity \(.+; ranked )[\d,]+(?:st|nd|rd|th)( by .+)$/;

/**
 * One line per record, sorted: `company:co1 → t2 | next t3 if n0 gte 100 | reason | reason` (the
 * next-tier hint, spec §8, or `no hint`), the rank in an over-capacity sentence replaced by `#`
 * (the one exemption). Lines diff readably when a run goes wrong.
 */
export function lines(decisions: Iterable<Decision>): string[] {
  const out: string[] = [];
  for (const d of decisions) {
    const reasons = d.reasons.map((r) => r.replace(OVER_RANK, '$1#$2'));
    const next =
      d.next === undefined ? 'no hint' : `next ${d.next.tier} if ${d.next.field} ${d.next.op} ${d.next.value}`;
    out.push([`${keyOf(d.type, d.id)} → ${d.tier}`, next, ...reasons].join(' | '));
  }
  return out.sort();
}

/** Asserts equal lines; expect() only on a difference (it is slow, and this runs thousands of times). */
export function expectSame(actual: string[], expected: string[], context: string): void {
  if (actual.length !== expected.length || actual.some((line, i) => line !== expected[i])) {
    expect(actual, context).toEqual(expected);
  }
}

/** Applies one step's changes to the world; returns the run's batch. */
export function applyChanges(world: Map<string, CanonicalRecord>, changes: readonly Change[]) {
  const deleted = new Set<string>();
  const touched = new Set<string>();
  for (const change of changes) {
    const type: RecordType = change.op === 'moveContact' ? 'contact' : change.type;
    const key = keyOf(type, change.id);
    touched.add(key);
    if (change.op === 'delete') {
      world.delete(key);
      deleted.add(key);
      continue;
    }
    const before = world.get(key) ?? { type, id: change.id, fields: {} };
    if (change.op === 'set') world.set(key, { ...before, fields: { ...before.fields, [change.field]: change.value } });
    else if (change.op === 'override') world.set(key, compact({ ...before, override: change.value }));
    else world.set(key, { ...before, companyId: change.companyId });
  }
  const upserts = [...touched].flatMap((key) => {
    const record = world.get(key);
    return record === undefined ? [] : [record];
  });
  const deletes = [...deleted].map((key) => {
    const [type, id] = key.split(':') as [RecordType, string];
    return { type, id };
  });
  return { upserts, deletes, deleted };
}

/** The previous tiers of the next run: this run's tiers, `since` kept while the tier stays. */
export function nextPrevious(previous: Map<string, PreviousTier>, decisions: readonly Decision[], now: Date) {
  const next = new Map<string, PreviousTier>();
  for (const d of decisions) {
    const key = keyOf(d.type, d.id);
    const before = previous.get(key);
    next.set(
      key,
      before?.tier === d.tier ? before : { type: d.type, id: d.id, tier: d.tier, since: now.toISOString() },
    );
  }
  return next;
}

/** A state loaded from rows as a store gives them back (JSON). */
export function loaded(rows: Iterable<IncrementalRow>, policy: Policy): IncrementalTiering {
  const next = createIncremental(policy);
  next.load(JSON.parse(JSON.stringify([...rows])) as IncrementalRow[]);
  return next;
}

/** Applies what the state changed since the last take to the saved copy, as a store does. */
export function save(saved: Map<string, IncrementalRow>, state: IncrementalTiering): void {
  const delta = state.takeChanges();
  if (delta.all) saved.clear();
  for (const { type, id } of delta.deletes) saved.delete(keyOf(type, id));
  for (const row of delta.rows) saved.set(keyOf(row.type, row.id), JSON.parse(JSON.stringify(row)) as IncrementalRow);
}

/** The rows as sorted JSON lines, to compare a saved copy with the live state. */
export function rowLines(rows: Iterable<IncrementalRow>): string[] {
  return [...rows].map((row) => JSON.stringify(row)).sort();
}

export const scenarioArb = fc.record({
  policy: policyArb(),
  initial: initialArb,
  initialPrevious: initialPreviousArb,
  steps: fc.array(stepArb, { minLength: 10, maxLength: 30 }),
});
