/**
 * The decisions of incremental runs, built and compared as `classify` gives them, with the
 * next-tier hint of spec §8 — from the one rule in next.ts (`findLevers`, `hintFor`) — and when a
 * run works the hint out again.
 *
 * A record's hint reads its fields, its override and its final tier; `findLevers` also passes its
 * previous tier, the run's `now` (a `minDaysInTier` hold) and a contact's inherited company tier to
 * its re-decisions, as `classify` does (there they only raise the tier a lever's rule already
 * reaches, so in effect the hint cannot change with them alone). A run re-decides a record whenever
 * any of these can have changed — a contact whenever its company's tier changes — except one: a
 * company's final tier moves with capacity (step 6) while nothing of the company changed. Such a
 * company (seating reports it as touched) gets the hint for its new final tier, worked out with the
 * previous tier it was last decided with, which is still its own: a company whose tier changed is
 * decided again in the next run (it is pending), and one whose hold ended is due.
 */
import type { CompiledPolicy } from './compile.ts';
import type { KnownPrevious } from './decide.ts';
import type { CanonicalRecord, RecordType } from './records.ts';
import type { Decision } from './run.ts';
import { findLevers, hintFor } from './next.ts';
import type { NextHint } from './next.ts';

/** The hint of a record whose final tier is `finalTier`, as `classify` gives it (none when overridden). */
export function hintOf(
  policy: CompiledPolicy,
  record: CanonicalRecord,
  overridden: boolean,
  previous: KnownPrevious | undefined,
  nowMs: number,
  inheritedTier: number,
  finalTier: number,
): NextHint | undefined {
  if (overridden) return undefined;
  const section = record.type === 'company' ? policy.company : policy.contact;
  // The final tier as both bounds: each tier's best lever does not depend on them, so the first
  // lever above it is the one `classify` picks from its wider range.
  const levers = findLevers(
    policy,
    section,
    { fields: record.fields, previous, nowMs, inheritedTier },
    finalTier,
    finalTier,
  );
  return hintFor(levers, finalTier);
}

/** Whether two hints say the same (a loaded row's hint is a copy, not the policy's shared object). */
export function sameHint(a: NextHint | undefined, b: NextHint | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.tier === b.tier && a.field === b.field && a.op === b.op && Object.is(a.value, b.value);
}

/** A decision, with `next` only when there is one (exactOptionalPropertyTypes), as `classify` builds it. */
export function decisionOf(
  policy: CompiledPolicy,
  type: RecordType,
  id: string,
  rank: number,
  reasons: readonly string[],
  next: NextHint | undefined,
): Decision {
  const tier = policy.tiers[rank]?.value ?? '';
  return next === undefined ? { type, id, tier, reasons } : { type, id, tier, reasons, next };
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
