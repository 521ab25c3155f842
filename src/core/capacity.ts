/** Step 6 of spec §4: seats per capacity tier, over all companies of a run at once. */
import type { CompiledCapacity, CompiledPolicy } from './compile.ts';
import { fieldLabel, ordinal, plural } from './format.ts';
import { readNumber } from './values.ts';

/** What capacity needs to know of a company after steps 1–5. */
export interface Seatable {
  readonly id: string;
  tier: number;
  readonly reasons: string[];
  readonly overrideTier: number;
  readonly floorTier: number;
  /** The previous tier's rank, or -1. */
  readonly previousRank: number;
  /** The values of `CompiledPolicy.rankFields`, in that order, as numbers where they read as numbers. */
  readonly rankValues: readonly (number | undefined)[];
}

export interface CapacityReport {
  readonly tier: string;
  readonly label: string;
  readonly seats: number;
  /** Companies in the tier before the check, including those moved down into it from above. */
  readonly demand: number;
  /** Companies held in the tier by an override or a floor: they always keep a seat. */
  readonly pinned: number;
  /** Companies in the tier after the check. */
  readonly seated: number;
  /** Companies that did not get a seat and moved down one tier (the waitlist). */
  readonly movedDown: number;
  /** True when the pinned companies alone need more seats than there are. */
  readonly exceededByPinned: boolean;
}

export function rankValuesOf(
  policy: CompiledPolicy,
  fields: Readonly<Record<string, unknown>>,
): (number | undefined)[] {
  return policy.rankFields.map((field) => readNumber(fields[field]));
}

/** What the ranking order reads of a company: incumbency, its rankBy values, its id. */
export type Ranked = Pick<Seatable, 'id' | 'previousRank' | 'rankValues'>;

export function isPinned(company: Pick<Seatable, 'overrideTier' | 'floorTier'>, tier: number): boolean {
  return company.overrideTier === tier || company.floorTier >= tier;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The ranking order of §4.6: incumbents first (optionally), then each rankBy key, then id. */
export function rankingOrder(policy: CompiledPolicy, capacity: CompiledCapacity): (a: Ranked, b: Ranked) => number {
  const keys = capacity.rankBy.map((key) => ({
    index: policy.rankFields.indexOf(key.field),
    direction: key.descending ? -1 : 1,
  }));
  return (a: Ranked, b: Ranked): number => {
    if (capacity.preferIncumbents) {
      const incumbentA = a.previousRank >= capacity.tier;
      const incumbentB = b.previousRank >= capacity.tier;
      if (incumbentA !== incumbentB) return incumbentA ? -1 : 1;
    }
    for (const key of keys) {
      const x = a.rankValues[key.index];
      const y = b.rankValues[key.index];
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1; // not a number: after every number
        continue;
      }
      if (x !== y) return (x < y ? -1 : 1) * key.direction;
    }
    return compareIds(a.id, b.id);
  };
}

/** Per capacity: the words are built once, not once per company moved down. */
const wordsOf = new WeakMap<CompiledCapacity, string>();

function rankingWords(capacity: CompiledCapacity): string {
  let words = wordsOf.get(capacity);
  if (words === undefined) {
    const keys = capacity.rankBy.map((key) => fieldLabel(key.field).toLowerCase());
    words = (capacity.preferIncumbents ? ['incumbency', ...keys] : keys).join(', ');
    wordsOf.set(capacity, words);
  }
  return words;
}

/**
 * The reason of an unpinned company that kept its seat in a tier over capacity. It carries no rank:
 * another company's deal must not rewrite it.
 */
export function keptReason(policy: CompiledPolicy, capacity: CompiledCapacity): string {
  const label = policy.tiers[capacity.tier]?.label ?? String(capacity.tier);
  return `Kept a ${label} seat (${plural(capacity.seats, 'seat')}; ranked within them by ${rankingWords(capacity)})`;
}

/** The reason of an unpinned company moved down one tier, with its 1-based rank among the unpinned. */
export function overReason(policy: CompiledPolicy, capacity: CompiledCapacity, rank: number): string {
  const { tier } = capacity;
  const label = policy.tiers[tier]?.label ?? String(tier);
  const lowerLabel = policy.tiers[tier - 1]?.label ?? String(tier - 1);
  return `Over ${label} capacity (${plural(capacity.seats, 'seat')}; ranked ${ordinal(rank)} by ${rankingWords(capacity)}) → ${lowerLabel}`;
}

/** Seats the companies tier by tier, moving the unseated down one tier each time, and reports each tier. */
export function applyCapacity(policy: CompiledPolicy, companies: readonly Seatable[]): CapacityReport[] {
  const reports: CapacityReport[] = [];
  for (const capacity of policy.capacities) {
    const tier = capacity.tier;
    const label = policy.tiers[tier]?.label ?? String(tier);
    const members = companies.filter((company) => company.tier === tier);
    const pinned = members.filter((company) => isPinned(company, tier));
    const base = {
      tier: policy.tiers[tier]?.value ?? String(tier),
      label,
      seats: capacity.seats,
      demand: members.length,
      pinned: pinned.length,
      exceededByPinned: pinned.length > capacity.seats,
    };
    if (members.length <= capacity.seats) {
      reports.push({ ...base, seated: members.length, movedDown: 0 });
      continue;
    }
    const unpinned = members.filter((company) => !isPinned(company, tier)).sort(rankingOrder(policy, capacity));
    const open = Math.max(0, capacity.seats - pinned.length);
    // Reasons stay the same while a company's own standing does not change: a seated company's
    // reason carries no rank (another company's deal must not rewrite it), a moved-down one's
    // carries its rank, as the spec's example shows.
    const kept = keptReason(policy, capacity);
    unpinned.forEach((company, index) => {
      if (index < open) {
        company.reasons.push(kept);
      } else {
        company.tier = tier - 1;
        company.reasons.push(overReason(policy, capacity, index + 1));
      }
    });
    reports.push({
      ...base,
      seated: members.length - (unpinned.length - Math.min(open, unpinned.length)),
      movedDown: Math.max(0, unpinned.length - open),
    });
  }
  return reports;
}
