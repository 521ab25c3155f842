/** The run summary of spec §6: tiers per section, from → to movements, capacity reports. */
import type { CapacityReport } from './capacity.ts';
import type { RecordType } from './records.ts';
import type { Tier } from './policy-types.ts';

export interface Movement {
  /** The previous tier, or null for a record without one (new, or its tier was retired). */
  readonly from: string | null;
  readonly to: string;
  readonly count: number;
}

export interface SectionSummary {
  readonly total: number;
  /** Tier value → records that ended in it, every tier of the policy listed (0 included). */
  readonly tiers: Readonly<Record<string, number>>;
  /** Records whose tier differs from their previous one (records without a previous tier included). */
  readonly changed: number;
  readonly movements: readonly Movement[];
}

export interface RunSummary {
  readonly tiers: readonly Tier[];
  readonly company: SectionSummary;
  readonly contact: SectionSummary;
  /** Whether previous tiers were given: without them, movements are not meaningful. */
  readonly withPrevious: boolean;
  readonly capacity: readonly CapacityReport[];
}

class SectionCounter {
  private total = 0;
  private changed = 0;
  private readonly tierCounts: number[];
  /** (from + 1) * tierCount + to → count; from -1 means no previous tier. */
  private readonly moves = new Map<number, number>();

  private readonly tiers: readonly Tier[];

  constructor(tiers: readonly Tier[]) {
    this.tiers = tiers;
    this.tierCounts = tiers.map(() => 0);
  }

  add(previousRank: number, finalRank: number): void {
    this.count(finalRank, 1);
    this.move(previousRank, finalRank);
  }

  /** `n` records ended in the tier of rank `finalRank` (the tier mix only). */
  count(finalRank: number, n: number): void {
    this.total += n;
    this.tierCounts[finalRank] = (this.tierCounts[finalRank] ?? 0) + n;
  }

  /** A record moved from `previousRank` (-1: none) to `finalRank` (the movements only). */
  move(previousRank: number, finalRank: number): void {
    if (previousRank !== finalRank) this.changed++;
    const key = (previousRank + 1) * this.tiers.length + finalRank;
    this.moves.set(key, (this.moves.get(key) ?? 0) + 1);
  }

  summary(): SectionSummary {
    const n = this.tiers.length;
    const movements = [...this.moves.entries()]
      .sort(([a], [b]) => a - b)
      .map(([key, count]) => {
        const from = Math.floor(key / n) - 1;
        return {
          from: from < 0 ? null : (this.tiers[from]?.value ?? null),
          to: this.tiers[key % n]?.value ?? '',
          count,
        };
      });
    const tiers: Record<string, number> = {};
    this.tiers.forEach((tier, rank) => (tiers[tier.value] = this.tierCounts[rank] ?? 0));
    return { total: this.total, tiers, changed: this.changed, movements };
  }
}

/** Counts decisions as they are made, so a streamed run needs no second pass for its summary. */
export class SummaryBuilder {
  private readonly sections: Record<RecordType, SectionCounter>;
  private capacity: readonly CapacityReport[] = [];

  private readonly tiers: readonly Tier[];
  private readonly withPrevious: boolean;

  constructor(tiers: readonly Tier[], withPrevious: boolean) {
    this.tiers = tiers;
    this.withPrevious = withPrevious;
    this.sections = { company: new SectionCounter(tiers), contact: new SectionCounter(tiers) };
  }

  add(type: RecordType, previousRank: number, finalRank: number): void {
    this.sections[type].add(previousRank, finalRank);
  }

  /** Counts `n` records in a tier without a movement (a state's tier mix, from its counts). */
  count(type: RecordType, finalRank: number, n: number): void {
    this.sections[type].count(finalRank, n);
  }

  /** A movement without counting the record in the tier mix (counted by `count`). */
  move(type: RecordType, previousRank: number, finalRank: number): void {
    this.sections[type].move(previousRank, finalRank);
  }

  setCapacity(reports: readonly CapacityReport[]): void {
    this.capacity = reports;
  }

  build(): RunSummary {
    return {
      tiers: this.tiers,
      company: this.sections.company.summary(),
      contact: this.sections.contact.summary(),
      withPrevious: this.withPrevious,
      capacity: this.capacity,
    };
  }
}
