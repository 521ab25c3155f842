/**
 * How many records of each type a state has in each tier, kept up to date run after run, so that
 * the summary of spec §6 (every record's tier mix) needs no pass over every record: a state whose
 * contacts are loaded on demand (src/core/incremental.ts, `loadCompanies`) does not hold them all.
 * The store keeps the counts beside the rows (the meta row) and hands them back with the companies.
 *
 * The summary's movements (from → to) are those of the records a run names — the ones it decided,
 * with what was last written for them — not of every record: a run's summary says what the run
 * moved. A full classification names every record, which gives `classify`'s summary.
 */
import type { CapacityReport } from './capacity.ts';
import type { CompiledPolicy } from './compile.ts';
import type { RecordType } from './records.ts';
import { SummaryBuilder } from './summary.ts';
import type { RunSummary } from './summary.ts';

/** Tier value → records in it, per record type (plain JSON, as the store keeps it). */
export type TierCounts = Readonly<Record<RecordType, Readonly<Record<string, number>>>>;

/** A record a summary reports a movement of: its tier before the run (null: none) and now. */
export interface Moved {
  readonly type: RecordType;
  readonly before: string | null;
  readonly rank: number;
}

export class TierCounter {
  private readonly policy: CompiledPolicy;
  private readonly byType: Record<RecordType, number[]>;

  constructor(policy: CompiledPolicy) {
    this.policy = policy;
    this.byType = { company: policy.tiers.map(() => 0), contact: policy.tiers.map(() => 0) };
  }

  /** Counts `delta` more records of `type` in the tier of rank `rank` (no tier, -1: nothing). */
  add(type: RecordType, rank: number, delta: number): void {
    const counts = this.byType[type];
    if (rank >= 0 && rank < counts.length) counts[rank] = (counts[rank] ?? 0) + delta;
  }

  /** Replaces the counts of one type with stored ones; a tier this policy does not have throws. */
  restore(type: RecordType, counts: Readonly<Record<string, number>>): void {
    const into = this.byType[type];
    into.fill(0);
    for (const [tier, count] of Object.entries(counts)) {
      const rank = this.policy.rankOf.get(tier);
      if (rank === undefined || !Number.isSafeInteger(count) || count < 0) {
        throw new RangeError(`stored ${type} count ${JSON.stringify(tier)}: ${count} (classify in full)`);
      }
      into[rank] = count;
    }
  }

  total(type?: RecordType): number {
    const types: readonly RecordType[] = type === undefined ? ['company', 'contact'] : [type];
    return types.reduce((sum, t) => sum + this.byType[t].reduce((a, b) => a + b, 0), 0);
  }

  toJSON(): TierCounts {
    const of = (type: RecordType): Record<string, number> =>
      Object.fromEntries(this.policy.tiers.map((tier, rank) => [tier.value, this.byType[type][rank] ?? 0]));
    return { company: of('company'), contact: of('contact') };
  }

  /** The summary of §6: the tier mix from the counts, the movements of `moved`, the capacity reports. */
  summary(capacity: readonly CapacityReport[], moved: Iterable<Moved>): RunSummary {
    const builder = new SummaryBuilder(this.policy.tiers, true);
    builder.setCapacity(capacity);
    for (const type of ['company', 'contact'] as const) {
      this.byType[type].forEach((count, rank) => {
        builder.count(type, rank, count);
      });
    }
    for (const { type, before, rank } of moved) {
      const was = before === null ? -1 : (this.policy.rankOf.get(before) ?? -1);
      builder.move(type, was, rank);
    }
    return builder.build();
  }
}
