/**
 * Step 6 of spec §4 kept up to date between runs instead of recomputed: per capacity tier, the
 * pinned members are counted and the unpinned ones are kept in ranking order in an OrderTree. A
 * tier's seated members are the first `max(0, seats − pinned)` of its tree; the others are moved
 * down one tier and are members of the tier below (when it has a capacity too), as in
 * `applyCapacity`.
 *
 * A batch: `begin()` notes, per tier, where the seat boundary is (the first unseated member) and
 * whether the tier is over capacity; `remove`/`place` take out and put back the changed companies;
 * `settle()` walks the capacity tiers from the highest down. In each, the only members whose
 * seat can have changed are the ones put in during the batch and the ones between the old and the
 * new boundary — a few per change, so a batch costs O(changes · log n), not a re-sort. A seat
 * given or taken moves one company into or out of the tier below, which is then settled in turn
 * (at most one step per capacity tier). When a tier crosses its capacity either way, every seated
 * member's reasons change (the "kept a seat" sentence comes and goes, as `applyCapacity` writes
 * it only for a tier over capacity): those are reported too, O(seats) once per crossing.
 */
import { isPinned, keptReason, overReason, rankingOrder } from './capacity.ts';
import type { CapacityReport, Ranked } from './capacity.ts';
import type { CompiledCapacity, CompiledPolicy } from './compile.ts';
import { OrderTree } from './incremental-tree.ts';

/** A company's ranking key as it was decided; replaced (never changed) when the company is re-decided. */
export interface Seat extends Ranked {
  readonly company: SeatedCompany;
}

/** What seating reads and writes of a company. */
export interface SeatedCompany {
  /** The tier after steps 1–5. */
  readonly stepTier: number;
  readonly overrideTier: number;
  readonly floorTier: number;
  readonly seat: Seat;
  /** The tier after step 6 (≤ stepTier); during a batch, where the company is so far. */
  final: number;
}

interface Snapshot {
  /** The first unseated member before the batch; undefined when every member was seated. */
  readonly cut: Seat | undefined;
  readonly over: boolean;
}

interface TierSeats {
  readonly capacity: CompiledCapacity;
  readonly tree: OrderTree<Seat>;
  pinned: number;
  /** Companies put in during the current batch (their seat is decided in `settle`). */
  readonly added: Set<SeatedCompany>;
  snapshot: Snapshot;
}

export class Seating {
  private readonly policy: CompiledPolicy;
  /** By tier rank; undefined for tiers without a capacity. */
  private readonly byTier: (TierSeats | undefined)[];

  constructor(policy: CompiledPolicy) {
    this.policy = policy;
    this.byTier = policy.tiers.map(() => undefined);
    for (const capacity of policy.capacities) {
      this.byTier[capacity.tier] = {
        capacity,
        tree: new OrderTree<Seat>(rankingOrder(policy, capacity)),
        pinned: 0,
        added: new Set(),
        snapshot: { cut: undefined, over: false },
      };
    }
  }

  /** Notes each capacity tier's boundary before the batch's changes. */
  begin(): void {
    for (const seats of this.byTier) {
      if (seats === undefined) continue;
      seats.added.clear();
      const open = this.open(seats);
      seats.snapshot = { cut: seats.tree.at(open), over: this.over(seats) };
    }
  }

  /** Takes a company out of every capacity tier it is a member of (its chain from stepTier down to final). */
  remove(company: SeatedCompany): void {
    for (let tier = company.stepTier; tier >= company.final; tier--) this.leave(company, tier);
  }

  /** Puts a company (re-)decided through steps 1–5 in at its step tier, seated for now. */
  place(company: SeatedCompany): void {
    company.final = company.stepTier;
    this.join(company, company.stepTier);
  }

  /** Whether a company of this step tier and final tier is a member of a capacity tier's ranking. */
  ranks(stepTier: number, final: number): boolean {
    for (let tier = stepTier; tier >= final; tier--) if (this.byTier[tier] !== undefined) return true;
    return false;
  }

  /** Puts a company in as stored (its `final` already settled): for loading rows. */
  restore(company: SeatedCompany): void {
    for (let tier = company.stepTier; tier >= company.final; tier--) this.join(company, tier);
  }

  /**
   * Settles the batch, highest capacity tier first; adds to `touched` every company whose seat,
   * tier or capacity reasons may have changed.
   */
  settle(touched: Set<SeatedCompany>): void {
    for (const capacity of this.policy.capacities) {
      const seats = this.byTier[capacity.tier];
      if (seats !== undefined) this.settleTier(seats, touched);
    }
  }

  /** The capacity sentences of a settled company, highest tier first, as `applyCapacity` writes them. */
  reasonsOf(company: SeatedCompany): string[] {
    const reasons: string[] = [];
    for (let tier = company.stepTier; tier >= company.final; tier--) {
      const seats = this.byTier[tier];
      if (seats === undefined || isPinned(company, tier)) continue;
      if (tier > company.final) {
        reasons.push(overReason(this.policy, seats.capacity, seats.tree.countLess(company.seat) + 1));
      } else if (this.over(seats)) {
        reasons.push(keptReason(this.policy, seats.capacity));
      }
    }
    return reasons;
  }

  /** The capacity reports of §6, as `applyCapacity` gives them, from the counts alone. */
  reports(): CapacityReport[] {
    return this.policy.capacities.flatMap((capacity) => {
      const seats = this.byTier[capacity.tier];
      if (seats === undefined) return [];
      const unpinned = seats.tree.size;
      const seatedUnpinned = Math.min(this.open(seats), unpinned);
      return [
        {
          tier: this.policy.tiers[capacity.tier]?.value ?? String(capacity.tier),
          label: this.policy.tiers[capacity.tier]?.label ?? String(capacity.tier),
          seats: capacity.seats,
          demand: seats.pinned + unpinned,
          pinned: seats.pinned,
          seated: seats.pinned + seatedUnpinned,
          movedDown: unpinned - seatedUnpinned,
          exceededByPinned: seats.pinned > capacity.seats,
        },
      ];
    });
  }

  private settleTier(seats: TierSeats, touched: Set<SeatedCompany>): void {
    const { tree, capacity } = seats;
    const tier = capacity.tier;
    const open = this.open(seats);
    const size = tree.size;
    const newCut = Math.min(open, size);
    const oldCut = seats.snapshot.cut === undefined ? size : tree.countLess(seats.snapshot.cut);
    const candidates = new Set(seats.added);
    for (let i = Math.min(oldCut, newCut); i < Math.max(oldCut, newCut); i++) {
      const seat = tree.at(i);
      if (seat !== undefined) candidates.add(seat.company);
    }
    for (const company of candidates) {
      const shouldSit = tree.countLess(company.seat) < open;
      const sits = company.final === tier;
      if (shouldSit && !sits) {
        for (let below = tier - 1; below >= company.final; below--) this.leave(company, below);
        company.final = tier;
        touched.add(company);
      } else if (!shouldSit && sits) {
        company.final = tier - 1;
        this.join(company, tier - 1);
        touched.add(company);
      }
    }
    if (this.over(seats) !== seats.snapshot.over) {
      // The "kept a seat" sentence of every seated member comes or goes.
      let i = 0;
      for (const seat of tree) {
        if (i++ >= newCut) break;
        touched.add(seat.company);
      }
    }
  }

  private join(company: SeatedCompany, tier: number): void {
    const seats = this.byTier[tier];
    if (seats === undefined) return;
    if (isPinned(company, tier)) {
      seats.pinned++;
    } else {
      seats.tree.insert(company.seat);
      seats.added.add(company);
    }
  }

  private leave(company: SeatedCompany, tier: number): void {
    const seats = this.byTier[tier];
    if (seats === undefined) return;
    if (isPinned(company, tier)) {
      seats.pinned--;
    } else {
      seats.tree.delete(company.seat);
      seats.added.delete(company);
    }
  }

  private open(seats: TierSeats): number {
    return Math.max(0, seats.capacity.seats - seats.pinned);
  }

  private over(seats: TierSeats): boolean {
    return seats.pinned + seats.tree.size > seats.capacity.seats;
  }
}
