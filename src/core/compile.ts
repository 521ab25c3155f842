/** A validated policy turned into what the engine runs: tier ranks, compiled predicates, seat counts. */
import { compileCondition } from './conditions.ts';
import type { Predicate } from './conditions.ts';
import type { Condition, ContactSection, CompanySection, Policy, Seats, Tier } from './policy-types.ts';

export interface CompiledRule {
  readonly tier: number;
  readonly label: string | undefined;
  readonly when: Condition;
  readonly holds: Predicate;
  /** The same condition relaxed by the section's demotion margin (spec §4.3b). */
  readonly holdsRelaxed: Predicate;
}

export interface CompiledBound {
  readonly tier: number;
  readonly label: string | undefined;
  readonly when: Condition;
  readonly holds: Predicate;
}

export interface CompiledSection {
  readonly defaultTier: number;
  readonly rules: readonly CompiledRule[];
  readonly caps: readonly CompiledBound[];
  readonly floors: readonly CompiledBound[];
  readonly demotionMargin: number;
  readonly minDaysInTier: number;
  /** Contacts: whether the company's final tier joins the candidates. */
  readonly inheritCompany: boolean;
}

export interface CompiledCapacity {
  readonly tier: number;
  readonly seats: number;
  readonly rankBy: readonly { readonly field: string; readonly descending: boolean }[];
  readonly preferIncumbents: boolean;
}

export interface CompiledPolicy {
  readonly policy: Policy;
  readonly tiers: readonly Tier[];
  readonly rankOf: ReadonlyMap<string, number>;
  readonly company: CompiledSection;
  readonly contact: CompiledSection;
  /** Capacities from the highest tier down: the order step 6 checks them in. */
  readonly capacities: readonly CompiledCapacity[];
  /** Every field some capacity ranks by, so companies keep just those values. */
  readonly rankFields: readonly string[];
}

export function seatCount(seats: Seats): number {
  return typeof seats === 'number' ? seats : seats.csms * seats.accountsPerCsm;
}

function compileSection(
  section: CompanySection | ContactSection | undefined,
  rankOf: ReadonlyMap<string, number>,
  inheritCompany: boolean,
): CompiledSection {
  const rank = (value: string): number => {
    const r = rankOf.get(value);
    if (r === undefined) throw new Error(`policy refers to unknown tier ${JSON.stringify(value)}: validate it first`);
    return r;
  };
  const margin = section?.hysteresis?.demotionMargin ?? 0;
  return {
    defaultTier: section?.default === undefined ? 0 : rank(section.default),
    rules: (section?.rules ?? []).map((rule) => ({
      tier: rank(rule.tier),
      label: rule.label,
      when: rule.when,
      holds: compileCondition(rule.when),
      holdsRelaxed: compileCondition(rule.when, margin),
    })),
    caps: (section?.caps ?? []).map((cap) => ({
      tier: rank(cap.maxTier),
      label: cap.label,
      when: cap.when,
      holds: compileCondition(cap.when),
    })),
    floors: (section?.floors ?? []).map((floor) => ({
      tier: rank(floor.minTier),
      label: floor.label,
      when: floor.when,
      holds: compileCondition(floor.when),
    })),
    demotionMargin: margin,
    minDaysInTier: section?.hysteresis?.minDaysInTier ?? 0,
    inheritCompany,
  };
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  const rankOf = new Map(policy.tiers.map((tier, index) => [tier.value, index] as const));
  const capacities: CompiledCapacity[] = Object.entries(policy.company?.capacity ?? {})
    .map(([tier, capacity]) => ({
      tier: rankOf.get(tier) ?? -1,
      seats: seatCount(capacity.max),
      rankBy: capacity.rankBy.map((key) => ({ field: key.field, descending: key.order === 'desc' })),
      preferIncumbents: capacity.preferIncumbents ?? true,
    }))
    .filter((capacity) => capacity.tier > 0)
    .sort((a, b) => b.tier - a.tier);
  const rankFields = [...new Set(capacities.flatMap((c) => c.rankBy.map((key) => key.field)))];

  return {
    policy,
    tiers: policy.tiers,
    rankOf,
    company: compileSection(policy.company, rankOf, false),
    contact: compileSection(policy.contact, rankOf, (policy.contact?.inherit ?? 'company') === 'company'),
    capacities,
    rankFields,
  };
}
