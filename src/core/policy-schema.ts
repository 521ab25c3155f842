/**
 * The policy schema of spec §2, in zod, strict: unknown keys are problems. `validatePolicy`
 * reports every problem at once, each with its JSON path, and never throws.
 */
import * as z from 'zod';
import { LEAF_OPERATORS } from './policy-types.ts';
import type { Capacity, Condition, Policy, PolicyProblem, Seats } from './policy-types.ts';
import { describeValue, formatPath, problemsFromIssue } from './policy-problems.ts';

export const TIER_VALUE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
/** The `manualEdits` settings: put a hand-set tier back (the default), or keep it as an override. */
export const MANUAL_EDITS = ['revert', 'keepAsOverride'] as const;
const MIN_TIERS = 2;
const MAX_TIERS = 8;

const nonEmptyText = z.string().refine((s) => s.trim() !== '', { error: 'must not be empty' });
const scalar = z.union([z.number(), z.string(), z.boolean()], {
  error: (issue) => `expected a number, a string or true/false, got ${describeValue(issue.input)}`,
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Runs `schema` on a value and re-reports its issues as already-worded custom issues, so that
 * shapes zod cannot tell apart by itself (a condition, a seat count) still get precise messages.
 */
function reportInto(ctx: z.core.$RefinementCtx, schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return;
  for (const issue of result.error.issues) {
    for (const problem of problemsFromIssue(issue)) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: [...problem.segments] });
    }
  }
}

function buildSchema(knownTiers: readonly string[]) {
  const tierSet = new Set(knownTiers);
  const tierList = knownTiers.join(', ');
  const tierRef = z.string().superRefine((value, ctx) => {
    if (!tierSet.has(value)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a tier (${tierList})` });
    }
  });

  const conditionShapes = {
    all: z.strictObject({ all: z.array(z.lazy(() => condition)) }),
    any: z.strictObject({ any: z.array(z.lazy(() => condition)) }),
    not: z.strictObject({ not: z.lazy(() => condition) }),
    leaf: z.strictObject({
      field: nonEmptyText,
      eq: scalar.optional(),
      neq: scalar.optional(),
      gt: z.number().optional(),
      gte: z.number().optional(),
      lt: z.number().optional(),
      lte: z.number().optional(),
      in: z.array(scalar).min(1).optional(),
      notIn: z.array(scalar).min(1).optional(),
      exists: z.boolean().optional(),
    }),
  };

  const condition: z.ZodType<Condition> = z.unknown().superRefine((value, ctx) => {
    if (!isPlainObject(value)) {
      const message =
        value === undefined ? 'is required (a condition)' : `expected a condition object, got ${describeValue(value)}`;
      ctx.addIssue({ code: 'custom', message });
      return;
    }
    const keys = Object.keys(value);
    const kinds = keys.filter((k) => k === 'all' || k === 'any' || k === 'not' || k === 'field');
    const operators = keys.filter((k) => (LEAF_OPERATORS as readonly string[]).includes(k));
    if (kinds.length > 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a condition is exactly one of all, any, not or a leaf with field; found ${kinds.join(', ')}`,
      });
      return;
    }
    const kind = kinds[0] ?? (operators.length > 0 ? 'field' : undefined);
    if (kind === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a condition: {"all": [...]}, {"any": [...]}, {"not": {...}} or {"field": "...", "<operator>": ...}; got keys ${keys.length === 0 ? '(none)' : keys.join(', ')}`,
      });
      return;
    }
    if (kind === 'field' && operators.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          operators.length === 0
            ? `a leaf needs exactly one operator (${LEAF_OPERATORS.join(', ')})`
            : `a leaf has exactly one operator; found ${operators.join(', ')}`,
      });
    }
    reportInto(ctx, kind === 'field' ? conditionShapes.leaf : conditionShapes[kind], value);
  }) as unknown as z.ZodType<Condition>;

  const seatCount = z.int().min(0);
  const seats: z.ZodType<Seats> = z.unknown().superRefine((value, ctx) => {
    if (typeof value === 'number') reportInto(ctx, seatCount, value);
    else if (isPlainObject(value)) {
      reportInto(ctx, z.strictObject({ csms: seatCount, accountsPerCsm: seatCount }), value);
    } else {
      ctx.addIssue({
        code: 'custom',
        message: `expected a whole number ≥ 0 or {"csms": N, "accountsPerCsm": M}, got ${describeValue(value)}`,
      });
    }
  }) as unknown as z.ZodType<Seats>;

  const rule = z.strictObject({ tier: tierRef, when: condition, label: nonEmptyText.optional() });
  const cap = z.strictObject({ maxTier: tierRef, when: condition, label: nonEmptyText.optional() });
  const floor = z.strictObject({ minTier: tierRef, when: condition, label: nonEmptyText.optional() });
  const hysteresis = z.strictObject({
    demotionMargin: z.number().min(0).lt(1).optional(),
    minDaysInTier: z.number().min(0).optional(),
  });
  const capacityEntry = z.strictObject({
    max: seats,
    rankBy: z.array(z.strictObject({ field: nonEmptyText, order: z.enum(['asc', 'desc']) })).min(1),
    preferIncumbents: z.boolean().optional(),
  });
  const capacityRecord = z.record(z.string(), capacityEntry);
  const capacity = z.unknown().superRefine((entries, ctx) => {
    if (isPlainObject(entries)) {
      for (const key of Object.keys(entries)) {
        if (!tierSet.has(key)) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${JSON.stringify(key)} is not a tier (${tierList})` });
        } else if (key === knownTiers[0]) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `capacity on the lowest tier is not allowed: nobody could be moved below ${key}`,
          });
        }
      }
    }
    reportInto(ctx, capacityRecord, entries);
  }) as unknown as z.ZodType<Readonly<Record<string, Capacity>>>;

  const tiers = z
    .array(
      z.strictObject({ value: z.string().regex(TIER_VALUE_PATTERN, { error: tierValueMessage }), label: nonEmptyText }),
    )
    .min(MIN_TIERS)
    .max(MAX_TIERS)
    .superRefine((list, ctx) => {
      const seen = new Map<string, number>();
      list.forEach((tier, index) => {
        const first = seen.get(tier.value);
        if (first === undefined) seen.set(tier.value, index);
        else {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'value'],
            message: `${JSON.stringify(tier.value)} is already tiers[${first}]: tier values must be unique`,
          });
        }
      });
    });

  return z.strictObject({
    version: z.literal(1),
    tiers,
    // RightTouch's extension to spec §2: what a sync does with a tier set by hand in the CRM
    // (src/sync/phases/hand-edits.ts). No decision of the core reads it.
    manualEdits: z.enum(MANUAL_EDITS).optional(),
    company: z
      .strictObject({
        default: tierRef.optional(),
        rules: z.array(rule).optional(),
        caps: z.array(cap).optional(),
        floors: z.array(floor).optional(),
        capacity: capacity.optional(),
        hysteresis: hysteresis.optional(),
      })
      .optional(),
    contact: z
      .strictObject({
        default: tierRef.optional(),
        inherit: z.enum(['company', 'none']).optional(),
        rules: z.array(rule).optional(),
        caps: z.array(cap).optional(),
        floors: z.array(floor).optional(),
        hysteresis: hysteresis.optional(),
      })
      .optional(),
  });
}

function tierValueMessage(): string {
  return 'a tier value starts with a lowercase letter, then up to 63 lowercase letters, digits or _';
}

/** Tier values that are well formed, so references to them can be checked even when others are not. */
function wellFormedTierValues(input: unknown): string[] {
  if (!isPlainObject(input) || !Array.isArray(input['tiers'])) return [];
  const values: string[] = [];
  for (const tier of input['tiers'] as unknown[]) {
    const value = isPlainObject(tier) ? tier['value'] : undefined;
    if (typeof value === 'string' && TIER_VALUE_PATTERN.test(value) && !values.includes(value)) values.push(value);
  }
  return values;
}

export type PolicyValidation =
  { readonly ok: true; readonly policy: Policy } | { readonly ok: false; readonly problems: readonly PolicyProblem[] };

/** Validates parsed JSON as a policy: the policy, or every problem with its path. */
export function validatePolicy(input: unknown): PolicyValidation {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      problems: [{ path: '(policy)', message: `expected a JSON object, got ${describeValue(input)}` }],
    };
  }
  const result = buildSchema(wellFormedTierValues(input)).safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, policy: result.data };
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    for (const raw of problemsFromIssue(issue)) {
      const problem = { path: formatPath(raw.segments), message: raw.message };
      const key = `${problem.path}\u0000${problem.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(problem);
      }
    }
  }
  return { ok: false, problems };
}

/** `path: message`, one per line: how the CLI and the admin API print problems. */
export function formatProblems(problems: readonly PolicyProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}
