/**
 * The next-tier hint (spec §8) as the sentence the sync writes to the CRM's next-hint
 * property/field and keeps with the stored tier: `formatNextHint` of the decision's `next` over the
 * record's own values ("Deal size 120,000 is 30,000 short of High-touch (≥ 150,000)"), empty when
 * the decision has none. The sentence is part of what the diff compares (tier-value.ts), so it is
 * written only when it changed. Its relative gap (spec §8: `(t − v) / |t|`, `t − v` when `t = 0`)
 * is stored with it for the overview's "closest to the next tier"; a missing value has none (last).
 */
import { formatNextHint, isMissing, readNumber, relativeGap } from '../core/index.ts';
import type { Condition, Decision, Policy } from '../core/index.ts';

/** A decision with its next-tier hint as a sentence ('' when there is none) and its relative gap. */
export interface HintedDecision extends Decision {
  readonly hint: string;
  /** Null without a hint, or when the hint's field has no value. */
  readonly hintGap: number | null;
}

/** The sentence for a decision's hint over the record's values; '' without one. */
export function hintText(decision: Decision, fields: Readonly<Record<string, unknown>>, policy: Policy): string {
  return decision.next === undefined ? '' : formatNextHint(decision.next, fields, policy.tiers);
}

/** The relative gap of a decision's hint (spec §8), null without a hint or a value that reads as a number. */
export function hintGap(decision: Decision, fields: Readonly<Record<string, unknown>>): number | null {
  const next = decision.next;
  if (next === undefined) return null;
  const raw = fields[next.field];
  const value = isMissing(raw) ? undefined : readNumber(raw);
  return value === undefined ? null : relativeGap(next.value, value);
}

/** The decision with its hint sentence and gap. */
export function withHint(
  decision: Decision,
  fields: Readonly<Record<string, unknown>>,
  policy: Policy,
): HintedDecision {
  return { ...decision, hint: hintText(decision, fields, policy), hintGap: hintGap(decision, fields) };
}

/**
 * The fields the company rules' conditions name: a company's hint can only be about one of them,
 * so the classify phase keeps only these of each company until its final decision is known.
 */
export function conditionFields(policy: Policy): ReadonlySet<string> {
  const fields = new Set<string>();
  const walk = (condition: Condition): void => {
    if ('all' in condition) condition.all.forEach(walk);
    else if ('any' in condition) condition.any.forEach(walk);
    else if ('not' in condition) walk(condition.not);
    else fields.add(condition.field);
  };
  for (const rule of policy.company?.rules ?? []) walk(rule.when);
  return fields;
}

/** Just the named fields of a record's values. */
export function pick(fields: Readonly<Record<string, unknown>>, names: ReadonlySet<string>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const name of names) if (name in fields) kept[name] = fields[name];
  return kept;
}
