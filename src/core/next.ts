/**
 * The next-tier hint of spec §8: "what would it take?" — the one field whose value, raised to a
 * rule's threshold, would move a record up to the next tier it can reach.
 *
 * A lever is a rule `R` of the record's own section whose tier is above the record's final tier and
 * whose `when` does not hold, and a `gte`/`gt` leaf `L` of `R.when` not under a `not`, whose field is
 * missing or reads as a number below the threshold; with that one field set to `t` (`gte`) or to the
 * smallest double above `t` (`gt`), `R.when` must hold and steps 2–5 (same previous tier, same `now`,
 * same inherited company tier; caps and floors included, capacity not) must give at least `R.tier`.
 * The hint is the lever with the lowest `R.tier`, then the smallest relative gap `(t − v) / |t|`
 * (`t − v` when `t = 0`; infinite for a missing value), then the lowest rule index, then the first
 * leaf in depth-first document order.
 *
 * Cost: a section's levers are planned once (rules by tier, their candidate leaves in order); per
 * record, only rules above its tier are looked at, the search stops at the first tier that has a
 * lever, and a leaf is re-decided only when its gap could beat the best found so far. The re-decision
 * works out the tier alone (`decideTier`), without the wording of reasons.
 */
import type { Fields } from './conditions.ts';
import { leafOf } from './conditions.ts';
import type { CompiledPolicy, CompiledRule, CompiledSection } from './compile.ts';
import type { KnownPrevious } from './decide.ts';
import type { Condition } from './policy-types.ts';
import { isMissing, readNumber } from './values.ts';

const DAY_MS = 86_400_000;

/** `"next": {"tier": "high_touch", "field": "dealSize", "op": "gte", "value": 150000}` (spec §8). */
export interface NextHint {
  readonly tier: string;
  readonly field: string;
  readonly op: 'gte' | 'gt';
  /** The threshold as written in the policy (for `gt`, the record needs more than this). */
  readonly value: number;
}

/** A hint with its tier's rank, so that a company moved down by capacity can pick the right one. */
export interface RankedHint {
  readonly rank: number;
  readonly hint: NextHint;
}

const scratch = new DataView(new ArrayBuffer(8));

/** The smallest double greater than `t` (Java's `Math.nextUp`), by stepping its IEEE 754 bits. */
export function nextUp(t: number): number {
  if (Number.isNaN(t) || t === Infinity) return t;
  if (t === 0) return Number.MIN_VALUE;
  scratch.setFloat64(0, t);
  const bits = scratch.getBigUint64(0);
  // Positive doubles grow with their bits; negative ones (sign bit set) shrink in magnitude.
  scratch.setBigUint64(0, t > 0 ? bits + 1n : bits - 1n);
  return scratch.getFloat64(0);
}

/** How far a value `v` is below a threshold `t`, relative to it (spec §8): `(t − v) / |t|`, `t − v` when `t = 0`. */
export function relativeGap(t: number, v: number): number {
  return t === 0 ? t - v : (t - v) / Math.abs(t);
}

interface CandidateLeaf {
  readonly field: string;
  readonly op: 'gte' | 'gt';
  /** The threshold as written. */
  readonly threshold: number;
  /** The value the field is set to: `t` for `gte`, the next double above `t` for `gt`. */
  readonly target: number;
  /**
   * The hint this leaf gives, made once and shared by every record it is the hint of (a million
   * records, a handful of hints): and the same as a one-lever list.
   */
  readonly ranked: RankedHint;
  readonly alone: readonly RankedHint[];
}

interface PlannedRule {
  readonly rule: CompiledRule;
  readonly leaves: readonly CandidateLeaf[];
}

/** The `gte`/`gt` leaves of a condition that are not under a `not`, in depth-first document order. */
function candidateLeaves(condition: Condition, rank: number, tier: string, into: CandidateLeaf[]): CandidateLeaf[] {
  if ('all' in condition) for (const member of condition.all) candidateLeaves(member, rank, tier, into);
  else if ('any' in condition) for (const member of condition.any) candidateLeaves(member, rank, tier, into);
  else if (!('not' in condition)) {
    const leaf = leafOf(condition);
    if (leaf.op === 'gte' || leaf.op === 'gt') {
      const ranked = { rank, hint: { tier, field: leaf.field, op: leaf.op, value: leaf.value } };
      into.push({
        field: leaf.field,
        op: leaf.op,
        threshold: leaf.value,
        target: leaf.op === 'gte' ? leaf.value : nextUp(leaf.value),
        ranked,
        alone: [ranked],
      });
    }
  }
  return into;
}

/** A section's rules that have candidate leaves, by tier ascending, then by index (stable sort). */
const plans = new WeakMap<CompiledSection, readonly PlannedRule[]>();

function planOf(policy: CompiledPolicy, section: CompiledSection): readonly PlannedRule[] {
  let plan = plans.get(section);
  if (plan === undefined) {
    plan = section.rules
      .map((rule) => ({
        rule,
        leaves: candidateLeaves(rule.when, rule.tier, policy.tiers[rule.tier]?.value ?? '', []),
      }))
      .filter((planned) => planned.leaves.length > 0)
      .sort((a, b) => a.rule.tier - b.rule.tier);
    plans.set(section, plan);
  }
  return plan;
}

/**
 * Steps 2–5 of §4/§5 for the tier alone: the same decision as `decideRecord` without an override
 * (a property test holds the two to the same tier), without building any reason.
 */
export function decideTier(
  section: CompiledSection,
  fields: Fields,
  previous: KnownPrevious | undefined,
  nowMs: number,
  inheritedTier: number,
): number {
  let tier = inheritedTier;
  for (const rule of section.rules) if (rule.tier > tier && rule.holds(fields)) tier = rule.tier;
  if (tier < 0) tier = section.defaultTier;
  if (previous !== undefined && tier < previous.rank) {
    if (section.minDaysInTier > 0 && nowMs - previous.sinceMs < section.minDaysInTier * DAY_MS) {
      tier = previous.rank;
    } else if (section.demotionMargin > 0) {
      let relaxed = inheritedTier;
      for (const rule of section.rules) if (rule.tier > relaxed && rule.holdsRelaxed(fields)) relaxed = rule.tier;
      const reached = relaxed < 0 ? section.defaultTier : relaxed;
      tier = Math.max(tier, Math.min(reached, previous.rank));
    }
  }
  for (const cap of section.caps) if (cap.tier < tier && cap.holds(fields)) tier = cap.tier;
  for (const floor of section.floors) if (floor.tier > tier && floor.holds(fields)) tier = floor.tier;
  return tier;
}

export interface LeverInput {
  readonly fields: Fields;
  readonly previous: KnownPrevious | undefined;
  readonly nowMs: number;
  /** The contact's company's final tier when it inherits one, else -1. */
  readonly inheritedTier: number;
}

const NONE: readonly RankedHint[] = [];

/**
 * The best lever of each tier above `lowestFinal`, lowest tier first, up to and including the first
 * tier above `highestFinal` that has one: enough to answer `hintFor` for any final tier between the
 * two. A record whose final tier is known passes it as both (one hint at most comes back); a company
 * that capacity may still move down passes the lowest tier it can end in.
 */
export function findLevers(
  policy: CompiledPolicy,
  section: CompiledSection,
  input: LeverInput,
  lowestFinal: number,
  highestFinal: number,
): readonly RankedHint[] {
  const top = policy.tiers.length - 1;
  if (lowestFinal >= top) return NONE;
  const { fields } = input;
  // The best lever of each tier that has one: the first alone (the usual case allocates nothing).
  let first: CandidateLeaf | undefined;
  let more: RankedHint[] | undefined;
  let bestRank = -1;
  let bestGap = Infinity;
  let best: CandidateLeaf | undefined;
  const settle = (): boolean => {
    if (best === undefined) return false;
    if (first === undefined) first = best;
    else (more ??= [first.ranked]).push(best.ranked);
    best = undefined;
    return bestRank > highestFinal;
  };
  for (const { rule, leaves } of planOf(policy, section)) {
    if (rule.tier <= lowestFinal) continue;
    if (rule.tier !== bestRank) {
      if (settle()) break;
      bestRank = rule.tier;
      bestGap = Infinity;
    }
    if (rule.holds(fields)) continue;
    for (const leaf of leaves) {
      const raw = fields[leaf.field];
      let gap = Infinity;
      if (!isMissing(raw)) {
        const v = readNumber(raw);
        if (v === undefined || (leaf.op === 'gte' ? v >= leaf.threshold : v > leaf.threshold)) continue;
        gap = relativeGap(leaf.threshold, v);
      }
      // Ties keep the earlier rule, then the earlier leaf: only a strictly smaller gap replaces.
      if (best !== undefined && !(gap < bestGap)) continue;
      const raised: Fields = { ...fields, [leaf.field]: leaf.target };
      if (!rule.holds(raised)) continue;
      if (decideTier(section, raised, input.previous, input.nowMs, input.inheritedTier) < rule.tier) continue;
      best = leaf;
      bestGap = gap;
    }
  }
  settle();
  return more ?? first?.alone ?? NONE;
}

/** The hint for a record whose final tier is `finalTier`: the first lever above it. */
export function hintFor(levers: readonly RankedHint[], finalTier: number): NextHint | undefined {
  for (const lever of levers) if (lever.rank > finalTier) return lever.hint;
  return undefined;
}
