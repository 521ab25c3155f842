/**
 * Settling a full classification (`IncrementalTiering.fullClassify`), so that the next run costs
 * what its changes cost.
 *
 * A record whose tier a run changes is decided again in the next run (it is pending): hysteresis
 * (spec §4.3) and incumbency (§4.6) read its previous tier, which is now the new one, `since` the
 * run's `now`. After a full classification that is every record whose tier moved — all of them the
 * first time, when there are no previous tiers — so the first run after it decided the whole
 * installation (measured: the first webhook run after the first full sync of 500,000 records).
 *
 * So a full classification decides those records again at once, at its own `now`, exactly as the
 * next run would (an incremental run with no changes: the pending records, the capacity seats they
 * move, the contacts of companies whose tier moves), and notes here the decision each record had
 * before that second pass changed it. A record the second pass does not change is settled: its
 * decision is the one written, now made with its own tier as previous tier, its seat ranked and its
 * hold timed from it, as after any run — the next run need not decide it (nothing but a hold ending,
 * which the holds cover, can change it before then). A record the second pass does change
 * (typically: raised by a floor or held by hysteresis, whose reasons gain "held in tier" once its
 * own tier is the previous one) is put back as the full classification decided it — that is what
 * was written — and stays pending: the next run decides it, at its own `now`, as before.
 *
 * A record can be put back alone unless it is a company whose tier the second pass moves: its
 * contacts inherit that tier and its seat moved others. Then nothing is put back and the caller
 * classifies in full again, every changed record pending (correct, not cheaper). We know of no
 * case: the companies seated in a capacity tier the first time are the ones preferred as
 * incumbents the second, and a company moved down keeps its tier (30,000 random scenarios of the
 * oracle's generator, 2026-12-08, never took this way); it is a safeguard, not a proof.
 *
 * The oracle property tests (test/core/incremental*.property.test.ts) hold the next runs to
 * `classify` with the full classification's output as previous tiers; test/core/incremental-settled.test.ts
 * checks that the run after a full classification decides only what its changes affect.
 */
import type { Entry } from './incremental-rows.ts';
import type { NextHint } from './next.ts';

/** A record's decision as the full classification left it. */
interface Before {
  readonly tier: number;
  readonly sinceMs: number;
  readonly reasons: readonly string[];
  readonly next: NextHint | undefined;
}

export class BeforeImages {
  private readonly before = new Map<Entry, Before>();

  /** Notes an entry's decision before the second pass changes it (the first time only). */
  note(entry: Entry): void {
    if (this.before.has(entry)) return;
    this.before.set(entry, { tier: entry.tier, sinceMs: entry.sinceMs, reasons: entry.reasons, next: entry.next });
  }

  /** How many records the second pass changed. */
  get size(): number {
    return this.before.size;
  }

  /** Whether the second pass moved a company's tier: then no record can be put back alone. */
  companyTierMoved(): boolean {
    for (const [entry, before] of this.before) if (entry.type === 'company' && entry.tier !== before.tier) return true;
    return false;
  }

  /**
   * Puts every entry the second pass changed back as the full classification left it, pending;
   * `putBack(entry, tierNow)` is called after each, with the tier the second pass gave it, so that
   * the caller can keep its tier counts and pending sets.
   */
  putBack(putBack: (entry: Entry, tierNow: number) => void): void {
    for (const [entry, before] of this.before) {
      const tierNow = entry.tier;
      entry.tier = before.tier;
      entry.sinceMs = before.sinceMs;
      entry.reasons = before.reasons;
      entry.next = before.next;
      entry.pending = true;
      putBack(entry, tierNow);
    }
    this.before.clear();
  }
}
