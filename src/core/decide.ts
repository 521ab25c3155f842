/** Steps 1–5 of spec §4 and §5 for one record: override, rules, hysteresis, caps, floors. */
import { explainCondition } from './conditions.ts';
import type { Fields } from './conditions.ts';
import type { CompiledBound, CompiledPolicy, CompiledRule, CompiledSection } from './compile.ts';
import { formatInputValue, formatNumber, overrideReason } from './format.ts';

const DAY_MS = 86_400_000;

/** A previous tier that is still a tier of the policy, with its `since` as epoch milliseconds. */
export interface KnownPrevious {
  readonly rank: number;
  readonly sinceMs: number;
}

export interface Inherited {
  readonly tier: number;
  readonly companyId: string;
}

export interface Provisional {
  tier: number;
  readonly reasons: string[];
  /** The valid override's rank, or -1. */
  readonly overrideTier: number;
  /** The highest `minTier` among the floors that hold, or -1 (capacity pins these). */
  readonly floorTier: number;
}

export interface RecordInput {
  readonly override?: unknown;
  readonly fields: Fields;
}

/** A valid override's rank; -1 for none; `undefined` when a value was set but is not a tier. */
export function readOverride(policy: CompiledPolicy, override: unknown): number | undefined {
  if (override === undefined || override === null) return -1;
  if (typeof override !== 'string') return undefined;
  const trimmed = override.trim();
  if (trimmed === '') return -1;
  return policy.rankOf.get(trimmed);
}

function tierLabel(policy: CompiledPolicy, rank: number): string {
  return policy.tiers[rank]?.label ?? String(rank);
}

function ruleReason(policy: CompiledPolicy, rule: CompiledRule, fields: Fields, margin = 0): string {
  const why = explainCondition(rule.when, fields, margin);
  const label = rule.label === undefined ? '' : ` (${rule.label})`;
  return `${why}${label} → ${tierLabel(policy, rule.tier)}`;
}

function boundReason(bound: CompiledBound, fields: Fields): string {
  return bound.label ?? explainCondition(bound.when, fields);
}

/** The highest tier among holding rules (and the inherited tier), or -1 when none holds. */
function highest(rules: readonly CompiledRule[], fields: Fields, relaxed: boolean): CompiledRule | undefined {
  let best: CompiledRule | undefined;
  for (const rule of rules) {
    if ((best === undefined || rule.tier > best.tier) && (relaxed ? rule.holdsRelaxed(fields) : rule.holds(fields))) {
      best = rule;
    }
  }
  return best;
}

/**
 * Decides steps 1–5 for one record of `section`. `inherited` is the contact's company's final
 * tier, when it inherits one. The result is provisional for companies (capacity comes next).
 */
export function decideRecord(
  policy: CompiledPolicy,
  section: CompiledSection,
  record: RecordInput,
  previous: KnownPrevious | undefined,
  nowMs: number,
  inherited: Inherited | undefined,
): Provisional {
  const reasons: string[] = [];
  const { fields } = record;

  // 1. Override.
  const overrideTier = readOverride(policy, record.override);
  if (overrideTier === undefined) {
    reasons.push(
      `Ignored invalid override ${formatInputValue(record.override)} (not one of ${policy.tiers.map((t) => t.value).join(', ')})`,
    );
  } else if (overrideTier >= 0) {
    reasons.push(overrideReason(tierLabel(policy, overrideTier)));
    return { tier: overrideTier, reasons, overrideTier, floorTier: -1 };
  }

  // 2. Rules (and, for contacts, the inherited company tier): the highest wins.
  const bestRule = highest(section.rules, fields, false);
  const inheritedTier = inherited?.tier ?? -1;
  let tier = Math.max(bestRule?.tier ?? -1, inheritedTier);
  if (tier < 0) {
    tier = section.defaultTier;
    reasons.push(`No rule matched → ${tierLabel(policy, tier)} (default)`);
  } else {
    if (bestRule !== undefined && bestRule.tier === tier) reasons.push(ruleReason(policy, bestRule, fields));
    if (inherited !== undefined && inheritedTier === tier) {
      reasons.push(`Inherited ${tierLabel(policy, tier)} from company ${inherited.companyId}`);
    }
  }

  // 3. Hysteresis: only ever holds a record at (or towards) its previous tier. When the record
  // ends in the same tier without it (a floor raises it there anyway), the reasons are those of
  // that path: the reason that decides, and the same run after run.
  const plain = bound(policy, section, fields, tier, [...reasons]);
  if (previous !== undefined && tier < previous.rank) {
    const heldReasons = [...reasons];
    const held = applyHysteresis(policy, section, fields, previous, nowMs, tier, inheritedTier, heldReasons);
    const withHysteresis = bound(policy, section, fields, held, heldReasons);
    if (withHysteresis.tier !== plain.tier) return withHysteresis;
  }
  return plain;
}

/** Steps 4 (caps) and 5 (floors): a contract outranks a preference. */
function bound(
  policy: CompiledPolicy,
  section: CompiledSection,
  fields: Fields,
  start: number,
  reasons: string[],
): Provisional {
  let tier = start;
  for (const cap of section.caps) {
    if (cap.tier < tier && cap.holds(fields)) {
      tier = cap.tier;
      reasons.push(`Capped at ${tierLabel(policy, tier)}: ${boundReason(cap, fields)}`);
    }
  }
  let floorTier = -1;
  for (const floor of section.floors) {
    if (floor.holds(fields)) {
      floorTier = Math.max(floorTier, floor.tier);
      if (floor.tier > tier) {
        tier = floor.tier;
        reasons.push(`Raised to ${tierLabel(policy, tier)}: ${boundReason(floor, fields)}`);
      }
    }
  }
  return { tier, reasons, overrideTier: -1, floorTier };
}

function applyHysteresis(
  policy: CompiledPolicy,
  section: CompiledSection,
  fields: Fields,
  previous: KnownPrevious,
  nowMs: number,
  base: number,
  inheritedTier: number,
  reasons: string[],
): number {
  const previousLabel = tierLabel(policy, previous.rank);
  const { minDaysInTier, demotionMargin } = section;
  if (minDaysInTier > 0 && nowMs - previous.sinceMs < minDaysInTier * DAY_MS) {
    // The date it entered the tier, not a count of days: the reason must not change every day.
    const since = new Date(previous.sinceMs).toISOString().slice(0, 10);
    reasons.push(
      `Held at ${previousLabel}: in the tier since ${since}, under the ${formatNumber(minDaysInTier)}-day minimum (rules alone give ${tierLabel(policy, base)})`,
    );
    return previous.rank;
  }
  if (demotionMargin > 0) {
    const relaxedRule = highest(section.rules, fields, true);
    const relaxedTier = Math.max(relaxedRule?.tier ?? -1, inheritedTier);
    const reached = relaxedTier < 0 ? section.defaultTier : relaxedTier;
    const held = Math.max(base, Math.min(reached, previous.rank));
    if (held !== base && relaxedRule !== undefined) {
      const of = relaxedRule.label === undefined ? '' : ` of ${relaxedRule.label}`;
      const why = explainCondition(relaxedRule.when, fields, demotionMargin);
      reasons.push(
        `Held at ${tierLabel(policy, held)} within the ${formatNumber(demotionMargin * 100)}% demotion margin${of}: ${why} (rules alone give ${tierLabel(policy, base)})`,
      );
      return held;
    }
  }
  return base;
}
