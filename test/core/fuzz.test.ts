/**
 * Fuzzing the core's two inputs: 1,000 generated invalid policies (the bundled default with one
 * random defect at a random place) each get an error at the defect's exact JSON path and never a
 * crash; 10,000 records with garbage field values (huge numbers, unicode, wrong types, very long
 * strings, nesting) classify without a crash, each with a tier of the policy and readable reasons.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { classify, validatePolicy } from '../../src/core/index.ts';
import type { CanonicalRecord, Policy } from '../../src/core/index.ts';
import { repoRoot } from '../helpers.ts';

const policy = JSON.parse(readFileSync(join(repoRoot, 'policies', 'default.json'), 'utf8')) as Policy;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Segment = string | number;

/** Every object node and every string leaf of a JSON value, with its path. */
function nodes(value: Json, path: Segment[] = []): { objects: Segment[][]; strings: Segment[][] } {
  const out = { objects: [] as Segment[][], strings: [] as Segment[][] };
  if (typeof value === 'string') out.strings.push(path);
  else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const inner = nodes(item, [...path, i]);
      out.objects.push(...inner.objects);
      out.strings.push(...inner.strings);
    });
  } else if (value !== null && typeof value === 'object') {
    out.objects.push(path);
    for (const [key, item] of Object.entries(value)) {
      const inner = nodes(item, [...path, key]);
      out.objects.push(...inner.objects);
      out.strings.push(...inner.strings);
    }
  }
  return out;
}

/** The spec's path format: `company.rules[0].when.gte`; a key that is not a name is quoted: `["x y"]`. */
function pathText(path: readonly Segment[]): string {
  return path
    .map((s, i) => {
      if (typeof s === 'number') return `[${s}]`;
      if (!/^[A-Za-z_$][\w$]*$/.test(s)) return `[${JSON.stringify(s)}]`;
      return i === 0 ? s : `.${s}`;
    })
    .join('');
}

function setAt(root: Json, path: readonly Segment[], value: Json): Json {
  const copy = structuredClone(root);
  let node = copy as Record<string | number, Json>;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, Json>;
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
  return copy;
}

const tree = nodes(policy as unknown as Json);
/** String leaves whose value the schema constrains to a tier, a field name, an order or a label. */
const constrained = tree.strings.filter((path) => {
  const key = path.at(-1);
  return (
    typeof key === 'string' &&
    ['tier', 'maxTier', 'minTier', 'default', 'value', 'label', 'field', 'order', 'inherit'].includes(key)
  );
});

describe('fuzzing', () => {
  test('1,000 invalid policies: each defect reported at its exact path, never a crash', () => {
    const defect = fc.oneof(
      // An unknown key in some object.
      fc.record({
        kind: fc.constant('unknown' as const),
        at: fc.constantFrom(...tree.objects),
        key: fc.constantFrom('zz', 'Gte', 'tiers2', 'x y'),
      }),
      // A constrained string replaced by a value of the wrong type.
      fc.record({
        kind: fc.constant('type' as const),
        at: fc.constantFrom(...constrained),
        value: fc.constantFrom<Json>(12345, true, null, [], { a: 1 }, -0.5),
      }),
    );
    fc.assert(
      fc.property(defect, (d) => {
        const broken =
          d.kind === 'unknown'
            ? setAt(policy as unknown as Json, [...d.at, d.key], 1)
            : setAt(policy as unknown as Json, d.at, d.value);
        const expected = d.kind === 'unknown' ? pathText([...d.at, d.key]) : pathText(d.at);
        const result = validatePolicy(broken);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.problems.length).toBeGreaterThan(0);
        for (const problem of result.problems) expect(problem.message.trim()).not.toBe('');
        expect(result.problems.map((p) => p.path)).toContain(expected === '' ? '(policy)' : expected);
      }),
      { numRuns: 1000, seed: 20261123 },
    );
  });

  test('10,000 records of garbage classify without a crash, each with a tier and reasons', () => {
    const garbage: fc.Arbitrary<unknown> = fc.oneof(
      fc.double(),
      fc.constantFrom(1e308, -1e308, Number.MAX_VALUE, 9e15, -0, Number.NaN),
      fc.bigInt().map(String),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ minLength: 5000, maxLength: 20000 }),
      fc.constantFrom('1,200.50', '$3,000', '１２３', '٣٤٥', '1e999', '0x10', 'true', 'NaN', '', '   ', 'null'),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
    );
    const fields = fc.record(
      {
        dealSize: garbage,
        employees: garbage,
        supportPlan: garbage,
        prefersDigital: garbage,
        leadScore: garbage,
        lifecycleStage: garbage,
      },
      { requiredKeys: [] },
    );
    const samples = fc.sample(fc.tuple(fields, fc.oneof(garbage, fc.constantFrom('high_touch', 'low_touch'))), {
      numRuns: 10_000,
      seed: 7,
    });
    const records = samples.map(([f, override], i): CanonicalRecord => {
      const type = i % 3 === 0 ? 'company' : 'contact';
      return {
        type,
        id: `r${i}`,
        ...(type === 'contact' ? { companyId: `r${i - (i % 3)}` } : {}),
        ...(i % 7 === 0 ? { override } : {}),
        fields: f,
      };
    });
    const { decisions } = classify(policy, records, undefined, new Date('2026-11-23T00:00:00Z'));
    expect(decisions).toHaveLength(10_000);
    const tiers = new Set(policy.tiers.map((t) => t.value));
    for (const decision of decisions) {
      expect(tiers.has(decision.tier), decision.id).toBe(true);
      expect(decision.reasons.length, decision.id).toBeGreaterThan(0);
      for (const reason of decision.reasons) expect(reason.length).toBeLessThan(1000);
    }
  });
});
