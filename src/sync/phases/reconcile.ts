/**
 * A full run (and the nightly reconcile): one full classification of the mirror gives both what
 * the run writes and the incremental state afresh. Its decisions are handed on as any full
 * classification's (companies, then contacts, each with what was last written for it), with the
 * previous tiers last written; then the fresh state is compared with the stored state brought to
 * the same point — the stored state given, as an incremental run would be, the records whose
 * mirrored copy is not its own and the records it has that the mirror no longer has, at this run's
 * clock (holds ending, deals crossing the window). Each record's tier, reasons and next-tier hint
 * must be the same, the rank in an over-capacity reason excepted (the core keeps a waitlisted
 * company's rank text while its own standing does not change: src/core/incremental.ts). It should
 * find no difference; those it finds are counted in the run report (`reconcile`), the run's counts,
 * and the `righttouch_reconcile_differences_total` counter, a few of them named in a warning; then
 * the fresh state replaces the stored one (corrected).
 *
 * Until 2026-12-07 a full run classified everything twice: streaming (`classifyEach`, the decisions
 * it wrote) and again to build the fresh state. The state's own decisions are the same decisions
 * (the property tests of src/core hold `fullClassify` to `classify`), so they are the ones written.
 * (`fullClassify` decides what it moved a second time, so that the next run need not; what it
 * returns and what is written is the first decision: src/core/incremental-settled.ts.)
 *
 * There is nothing to compare when there is no stored state, or it was built under another policy
 * or mapping, or with a later clock: the fresh state is simply saved.
 */
import type { CanonicalRecord, Decision, IncrementalTiering, RunSummary } from '../../core/index.ts';
import type { TieringStateMeta } from '../../store/store.ts';
import type { LastWrittenTable } from '../last-written.ts';
import { reasonText, withoutRank } from '../tier-value.ts';
import { classifyMirror } from './incremental.ts';
import type { DecideContext, OnDecision } from './incremental.ts';
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

export interface FullRun {
  readonly summary: RunSummary;
  readonly reconcile: Reconcile;
  /** Saves the fresh state (after the record phase); nothing on a dry run. */
  readonly save: () => Promise<void>;
}

/**
 * Classifies the whole mirror once, hands every decision on (companies, then contacts, in the
 * mirror's order) with what was last written for it, then compares the stored state with the fresh
 * one; returns the run's summary, the comparison and the save.
 */
export async function classifyAndReconcile(
  context: DecideContext,
  lastWritten: LastWrittenTable,
  onDecision: OnDecision,
): Promise<FullRun> {
  const { store, installationId, now } = context;
  const meta = await store.tieringStateMeta(installationId);
  const { tiering: fresh, records, summary } = await classifyMirror(context, lastWritten, onDecision);
  const reconcile = await compareWithStored(context, meta, records, fresh);
  records.length = 0;
  const nowMs = now.getTime();
  const save = async (): Promise<void> => {
    if (context.dryRun) return;
    await saveState(store, installationId, fresh, meta?.version ?? null, context.key, nowMs, context.cache, nowMs);
  };
  return { summary, reconcile, save };
}

/** Brings the stored state (when usable) to the fresh one's input and clock, and compares the two. */
async function compareWithStored(
  context: DecideContext,
  meta: TieringStateMeta | undefined,
  records: readonly CanonicalRecord[],
  fresh: IncrementalTiering,
): Promise<Reconcile> {
  const { store, installationId, policy, now, key } = context;
  if (meta === undefined || unusable(meta, key, now.getTime()) !== undefined) {
    return { compared: false, differences: 0, examples: [] };
  }
  // The cached copy is the stored one at this version; it is replaced by the fresh state either way.
  const stored = await loadState(store, installationId, policy, meta, context.cache);
  const mirrored = new Set(records.map((r) => `${r.type}\u0000${r.id}`));
  const upserts = records.filter((r) => JSON.stringify(stored.record(r.type, r.id)) !== JSON.stringify(r));
  const deletes = stored.decisions().filter((d) => !mirrored.has(`${d.type}\u0000${d.id}`));
  stored.apply({ upserts, deletes, now });
  return { compared: true, ...compare(fresh, stored) };
}
