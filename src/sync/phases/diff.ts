/**
 * The diff, pure: from one decision, what was last written for its record and, for a record read
 * this run whose CRM value is not what was last written, that value → what the run does with it
 * (`Outcome`). No store, no connector, no clock: the record and write-back phases act on the outcome.
 *
 * A tier value is the tier, the reason text and the next-tier hint sentence as one string
 * (tier-value.ts); what was last written is kept as hashes of it (last-written.ts). A hint that
 * changed alone (a deal grew, a policy moved a threshold) is a write of that record; a hint that
 * did not is nothing.
 *
 * **The over-capacity-rank rule** (`onlyRankMoved`): an over-capacity reason names the company's
 * rank ("…; ranked 134th by dealSize) → …"), and one company moving above it shifts the rank of
 * every company below — thousands of waitlisted companies and their contacts for one deal. A record
 * whose tier is the one written and whose reason differs from the written one *only* in its ranks is
 * left as it is by incremental and change-event runs; full runs (the nightly reconcile) rewrite it.
 * A record whose CRM value is not what was written (edited by hand, a lost write) is put right,
 * rank and all, by any run.
 */
import type { Decision } from '../../core/index.ts';
import type { LastWritten } from '../last-written.ts';
import type { HintedDecision } from '../next-hint.ts';
import { NO_TIER, reasonText, textHash, tierValue, withoutRank } from '../tier-value.ts';

/** What a run does with one decision. */
export type Outcome =
  /** Nothing: what was last written (and is in the CRM) is what the decision says. */
  | 'unchanged'
  /** Record it (history first), then write it to the CRM. */
  | 'write'
  /** Record it as written and send nothing: the CRM already shows it (e.g. the store was started afresh). */
  | 'in-crm'
  /** Nothing, for now: only an over-capacity rank moved, the nightly full run writes it. */
  | 'rank-only';

/** The value a decision writes: its tier, reason text and hint sentence (tier-value.ts). */
export function wantedValue(decision: HintedDecision): string {
  return tierValue(decision.tier, reasonText(decision.reasons), decision.hint);
}

/**
 * The diff of one decision. `crmValue`: the record's value in the CRM, given only when it is not
 * what was last written (`crmShowsOther`); `full`: a full run, which applies no rank rule.
 */
export function diffDecision(
  decision: HintedDecision,
  before: LastWritten | undefined,
  crmValue: string | undefined,
  full: boolean,
): Outcome {
  const wanted = wantedValue(decision);
  if (crmValue !== undefined) return crmValue === wanted ? 'in-crm' : 'write';
  const wantedHash = textHash(wanted);
  if (!full && onlyRankMoved(decision, before, wanted, wantedHash)) return 'rank-only';
  return before === undefined || !before.written || before.hash !== wantedHash ? 'write' : 'unchanged';
}

/**
 * The over-capacity-rank rule's test: the written tier stays, its value changed, and without
 * ranks it is the same. (The cheap comparisons first: this runs for every decision.)
 */
export function onlyRankMoved(
  decision: HintedDecision,
  before: LastWritten | undefined,
  wanted: string,
  wantedHash: number,
): boolean {
  return (
    before?.written === true &&
    before.tier === decision.tier &&
    before.hash !== wantedHash &&
    textHash(withoutRank(wanted)) === before.ranklessHash
  );
}

/**
 * Whether a record's value as read from the CRM is not what was last written: never written, the
 * write not confirmed, or another value (edited by hand, a write lost in a crash). A record never
 * written and empty in the CRM is not: it is simply new (the diff writes it anyway).
 */
export function crmShowsOther(before: LastWritten | undefined, crmValue: string): boolean {
  if (before === undefined) return crmValue !== NO_TIER;
  return !before.written || textHash(crmValue) !== before.hash;
}

/** Whether the decision moves the record to another tier (not just another reason). */
export function isMove(decision: Decision, before: LastWritten | undefined): boolean {
  return (before?.tier ?? null) !== decision.tier;
}
