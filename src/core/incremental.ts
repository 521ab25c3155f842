/**
 * Incremental runs: the same decisions as `classify` (spec §4–§7), but a run decides only what its
 * changes can affect. `classify(policy, records, previous, now)`, run after run with `previous` the
 * last run's output (`since` moving only when the tier changes), is the oracle; the property test
 * test/core/incremental.property.test.ts holds this module to it after every step.
 *
 * What a run decides again, through steps 1–5:
 * - the records upserted or deleted;
 * - the records whose tier changed in the last run: their previous tier changed, and hysteresis
 *   (§4.3) and incumbency (§4.6) read it (after a full classification, only those whose decision
 *   that changes: it settles the others itself, incremental-settled.ts);
 * - the records whose `minDaysInTier` hold ends by this run's `now` (§4.3a): a hold is the only
 *   way the clock enters a decision, so a record untouched between two runs decides the same
 *   unless its hold ended;
 * - the contacts of a company whose tier changed, or that appeared or went (inheritance, §5.2).
 * Capacity (step 6) is kept per capacity tier by `Seating`: only companies whose seat can change
 * are looked at, the seat given or taken cascading at most one step per capacity tier.
 *
 * Decisions carry the next-tier hint of spec §8 as `classify` attaches it; incremental-decisions.ts
 * says when a run works it out again.
 *
 * One difference from `classify`, by design: a company moved down by capacity whose own standing
 * did not change keeps the rank in its reason ("ranked 134th") from when it was last decided, even
 * when companies entering or leaving above it shift its rank; any run that touches it writes its
 * current rank. Everything else, reasons included, is what `classify` gives.
 *
 * A run has two phases, so that a state need not hold every contact (incremental-held.ts): the
 * companies phase (`applyCompanies`) applies the changes, decides the companies and settles
 * capacity, and says which contacts it needs besides the changed ones — those of the companies whose
 * tier changed, appeared or went, and those pending or whose hold ends by now; the caller loads
 * them (`addContacts`) and the contacts phase (`applyContacts`) decides them. `apply` runs both on
 * a state that holds every contact. A state loaded from a company snapshot (incremental-snapshot.ts)
 * holds not every company's row either: its companies phase is split in two — `seatCompanies`
 * (given the rows of the companies changed and of those `companiesToLoad` names) decides and seats
 * the companies and names those capacity moved whose rows it lacks, `settleCompanies` settles them
 * once given. Whatever the state holds, a run decides the same records.
 *
 * `now` must not go backwards between runs of one state; when it does, the run decides everything
 * again (correct, not incremental; a state that does not hold every contact refuses). The module
 * is pure: no I/O, no clock.
 */
import { compilePolicy } from './compile.ts';
import { BeforeImages } from './incremental-settled.ts';
import { givenPrevious, keyOf } from './incremental-rows.ts';
import { timeOf } from './incremental-run.ts';
import type { Op } from './incremental-run.ts';
import type { Policy } from './policy-types.ts';
import type { CanonicalRecord, PreviousTier, RecordType } from './records.ts';
import { RunInputError } from './run.ts';
import type { Decision } from './run.ts';
import { IncrementalPhases } from './incremental-phases.ts';

export type { ContactsToLoad, IncrementalChanges, IncrementalResult, RecordRef } from './incremental-run.ts';

export class IncrementalTiering extends IncrementalPhases {
  constructor(policy: Policy) {
    super(compilePolicy(policy));
  }

  /**
   * Decides every record from scratch, as `classify` does, and keeps the state for the next runs.
   * Returns the decisions in input order. A repeated id within a type throws RunInputError. The
   * records whose tier it moved are decided again at once with it as their previous tier, so that
   * the next run need not (incremental-settled.ts): up to twice the work of one classification.
   */
  fullClassify(
    records: readonly CanonicalRecord[],
    previous: Iterable<PreviousTier> | undefined,
    now: Date,
  ): Decision[] {
    const nowMs = timeOf(now);
    const decisions = this.classifyAll(records, previous, nowMs);
    // Settled, so that the next run need not decide again every record whose tier moved; when a
    // company's tier would move again, classified anew with every moved record pending.
    if (!this.settleMoved(now)) this.classifyAll(records, previous, nowMs);
    this.delta.reset(true);
    return decisions;
  }

  /** Every record decided from scratch (previous tiers as given): the state, and the decisions in input order. */
  private classifyAll(
    records: readonly CanonicalRecord[],
    previous: Iterable<PreviousTier> | undefined,
    nowMs: number,
  ): Decision[] {
    this.reset();
    const given = givenPrevious(this.compiled, previous);
    const ops: Record<RecordType, Map<string, Op>> = { company: new Map(), contact: new Map() };
    for (const record of records) {
      const forType = ops[record.type];
      if (forType.has(record.id))
        throw new RunInputError(`${record.type} id ${JSON.stringify(record.id)} appears twice`);
      forType.set(record.id, { drop: false, record, previous: given.get(keyOf(record.type, record.id)) });
    }
    this.seatRun(nowMs, ops.company, ops.contact, false);
    this.settleRun();
    this.runContacts();
    return records.map((record) => this.decisionOf(record.type, record.id));
  }

  /**
   * After a full classification, decides the records whose tier it moved again at the same `now`
   * (as the next run would), keeps what that settles and puts back, pending, what it would change
   * (incremental-settled.ts). False, with the state unusable, when a company's tier would move.
   */
  private settleMoved(now: Date): boolean {
    if (this.pendingCompanies.size === 0 && this.pendingContacts.size === 0) return true;
    const before = new BeforeImages();
    this.before = before;
    try {
      this.applyCompanies({ now });
      this.applyContacts();
    } finally {
      this.before = undefined;
    }
    if (before.companyTierMoved()) return false;
    before.putBack((entry, tierNow) => {
      this.counts.add(entry.type, tierNow, -1);
      this.counts.add(entry.type, entry.tier, 1);
      (entry.type === 'company' ? this.pendingCompanies : this.pendingContacts).add(entry.id);
    });
    return true;
  }
}

/** A new, empty incremental state for `policy` (validated first, as for `classify`). */
export function createIncremental(policy: Policy): IncrementalTiering {
  return new IncrementalTiering(policy);
}
