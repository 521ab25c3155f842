/**
 * The full run's check of the incremental state (the nightly reconcile): after classifying
 * everything as always, it builds the state afresh from a full classification of the mirror (with
 * the same previous tiers), and compares it with the stored state brought to the same point — the
 * stored state given, as an incremental run would be, the records whose mirrored copy is not its
 * own and the records it has that the mirror no longer has, at this run's clock (holds ending,
 * deals crossing the window). Each record's tier, reasons and next-tier hint must be the same, the
 * rank in an over-capacity reason excepted (the core keeps a waitlisted company's rank text while
 * its own standing does not change: src/core/incremental.ts). It should find no difference; those
 * it finds are counted in the run report (`reconcile`), the run's counts, and the
 * `righttouch_reconcile_differences_total` counter, a few of them named in a warning; then the
 * fresh state replaces the stored one (corrected).
 *
 * There is nothing to compare when there is no stored state, or it was built under another policy
 * or mapping, or with a later clock: the fresh state is simply saved.
 */
import { createIncremental } from '../../core/index.ts';
import type { Decision, IncrementalTiering, PreviousTier } from '../../core/index.ts';
import { reasonText, withoutRank } from '../tier-value.ts';
import { mirroredForClassifying } from './classify.ts';
import type { DecideContext } from './incremental.ts';
import { loadState, saveState, unusable } from './state.ts';

/** Differences a report names. */
export const EXAMPLES_SHOWN = 5;

export interface Reconcile {
  /** Whether there was a stored state built under this policy and mapping to compare with. */
  readonly compared: boolean;
  /** Records whose stored (incremental) decision is not the full classification's. */
  readonly differences: number;
  /** The first `EXAMPLES_SHOWN` of them, for people. */
  readonly examples: readonly string[];
}

function sameDecision(a: Decision, b: Decision): boolean {
  return (
    a.tier === b.tier &&
    withoutRank(reasonText(a.reasons)) === withoutRank(reasonText(b.reasons)) &&
    JSON.stringify(a.next ?? null) === JSON.stringify(b.next ?? null)
  );
}

function describe(d: Decision | undefined): string {
  return d === undefined ? 'none' : `${d.tier} (${reasonText(d.reasons)})`;
}

/** Compares the fresh state with the stored one brought to now; the count and examples. */
function compare(fresh: IncrementalTiering, stored: IncrementalTiering): { differences: number; examples: string[] } {
  let differences = 0;
  const examples: string[] = [];
  for (const want of fresh.decisions()) {
    const have = stored.decision(want.type, want.id);
    if (have !== undefined && sameDecision(have, want)) continue;
    differences++;
    if (examples.length < EXAMPLES_SHOWN) {
      examples.push(`${want.type} ${want.id}: incremental ${describe(have)}, full ${describe(want)}`);
    }
  }
  return { differences, examples };
}

/** Builds the fresh state, compares the stored one with it, and returns the result with the save. */
export async function reconcileState(
  context: DecideContext,
  previous: Iterable<PreviousTier>,
): Promise<{ reconcile: Reconcile; save: () => Promise<void> }> {
  const { store, installationId, policy, now, key } = context;
  const nowMs = now.getTime();
  const meta = await store.tieringStateMeta(installationId);
  const records = await mirroredForClassifying(store, installationId, context.mapping, now);
  const fresh = createIncremental(policy);
  fresh.fullClassify(records, previous, now);
  let reconcile: Reconcile = { compared: false, differences: 0, examples: [] };
  if (meta !== undefined && unusable(meta, key, nowMs) === undefined) {
    // The cached copy is the stored one at this version; it is replaced below either way.
    const stored = await loadState(store, installationId, policy, meta, context.cache);
    const mirrored = new Set(records.map((r) => `${r.type}\u0000${r.id}`));
    const upserts = records.filter((r) => JSON.stringify(stored.record(r.type, r.id)) !== JSON.stringify(r));
    const deletes = stored.decisions().filter((d) => !mirrored.has(`${d.type}\u0000${d.id}`));
    stored.apply({ upserts, deletes, now });
    reconcile = { compared: true, ...compare(fresh, stored) };
  }
  records.length = 0;
  const save = async (): Promise<void> => {
    if (context.dryRun) return;
    await saveState(store, installationId, fresh, meta?.version ?? null, key, nowMs, context.cache, nowMs);
  };
  return { reconcile, save };
}
