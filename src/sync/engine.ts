/**
 * The sync engine, one for every connector: an orchestration of its phases (src/sync/phases,
 * described in src/sync/README.md):
 *
 * 1. pull — the CRM's changes into the mirror (and what the CRM shows that was not written);
 *    with the policy's `manualEdits: "keepAsOverride"`, the tiers people set by hand become
 *    overrides (hand-edits.ts);
 * 2. decide — an incremental or change-event run: what its changes can affect, from the stored
 *    incremental state (phases/incremental.ts, phases/state.ts); a full run: the whole
 *    installation classified once (capacity needs every company), which gives both its decisions
 *    and the state afresh, compared with the stored one (phases/reconcile.ts);
 * 3. diff — pure: each decision against what was last written → write, already in the CRM,
 *    unchanged, or left for the nightly run (the over-capacity-rank rule);
 * 4. record — the changed tiers and their history into the store as they come, a chunk at a time;
 * 5. write back — to the CRM from the store, a batch at a time; only then the cursors advance, so
 *    a crash never skips a change (the next run re-reads the overlap and re-writes anything not
 *    marked written);
 * 6. report — the run's report and its row in the store.
 *
 * The state is saved after the record phase (what a crash between them loses is re-read and
 * decided again: the cursors have not moved) and before the writes; a dry run saves nothing.
 */
import type { Store } from '../store/store.ts';
import { LastWrittenByIds, LastWrittenTable } from './last-written.ts';
import type { LastWritten } from './last-written.ts';
import { resolveMapping } from './lead-score.ts';
import { diffDecision } from './phases/diff.ts';
import { HandEdits, keepHandEdits } from './phases/hand-edits.ts';
import { decideChanges } from './phases/incremental.ts';
import type { Decided, DecideContext, OnDecision } from './phases/incremental.ts';
import { advanceCursors, pull } from './phases/pull.ts';
import { classifyAndReconcile } from './phases/reconcile.ts';
import type { Reconcile } from './phases/reconcile.ts';
import { processStateCache, stateKey } from './phases/state.ts';
import { Recorder } from './phases/record.ts';
import { buildReport, failRun, finishRun, Tally } from './phases/report.ts';
import { estimateWriteCalls, writeBack, type WriteBack } from './phases/write-back.ts';
import { RunStoppedError, type SyncOptions, type SyncReport } from './types.ts';
import type { HintedDecision } from './next-hint.ts';

export { classifyEach, classifyInstallation } from './phases/classify.ts';
export { textHash, withoutRank } from './tier-value.ts';
export type { TierProperties } from './connector.ts';
export { RunStoppedError } from './types.ts';
export { CURSOR } from './phases/pull.ts';
export { StateCache } from './phases/state.ts';
export type { ChangedRecords, SyncOptions, SyncProgress, SyncReport, TierMove } from './types.ts';

const NO_WRITES: WriteBack = { written: 0, rejected: [] };

export async function sync(options: SyncOptions): Promise<SyncReport> {
  const { store, connector, installationId, only } = options;
  const clock = options.clock ?? (() => new Date());
  const full = options.full === true;
  const kind = runKind(options);
  const dryRun = options.dryRun === true;
  const startedAt = clock().getTime();
  const run = await store.startRun(installationId, dryRun ? `${kind} (dry run)` : kind, startedAt);
  const tally = new Tally(connector);
  const checkStop = (): void => {
    if (options.shouldStop?.() === true) throw new RunStoppedError();
  };
  try {
    // The properties the mapping leaves to discover (the lead-score property).
    const { mapping, leadScore } = await resolveMapping(store, connector, installationId, options.mapping, {
      settings: options.settings,
    });
    const properties = options.tierProperties ?? connector.tierProperties;
    const handEdits = new HandEdits();
    // A full run diffs everything against what was last written; the others read it by id.
    const lastWritten = full
      ? await loadLastWritten(store, installationId)
      : new LastWrittenByIds(store, installationId);
    const base = { store, connector, installationId, mapping, properties, full, only, startedAt, checkStop };
    const reading = { ...base, overlapMs: options.overlapMs, onProgress: options.onProgress };
    const { pulled, deleted, crmValues, changed: pulledChanges } = await pull(reading, lastWritten);
    checkStop();
    await keepHandEdits({ ...base, policy: options.policy, dryRun }, crmValues, lastWritten, handEdits);
    const now = clock();
    const at = now.getTime();
    const recorder = new Recorder({ store, installationId, runId: run.id, at, dryRun });
    const onDecision = (decided: HintedDecision, before: LastWritten | undefined): Promise<void> | undefined => {
      // The reason of a tier kept from a hand edit says who set it and when (hand-edits.ts).
      const d = handEdits.handReasons(decided, options.policy, before);
      tally.decision(d, before);
      return recorder.take(d, diffDecision(d, before, crmValues.get(d.type, d.id), full));
    };
    const cache = options.stateCache ?? processStateCache;
    const key = stateKey(options.policy, mapping);
    const context: DecideContext = { ...base, policy: options.policy, now, key, dryRun, cache };
    const { decided, reconcile } =
      lastWritten instanceof LastWrittenTable
        ? await classifyAll(context, lastWritten, tally, onDecision)
        : { decided: await decideChanges(context, pulledChanges, crmValues, onDecision), reconcile: undefined };
    await recorder.flush();
    crmValues.clear();
    handEdits.clear();
    await decided.save();
    // Last chance to stop before the CRM sees anything: what was recorded stays unwritten, so the
    // next run writes it (no history twice: the tier it records is the one already there).
    checkStop();
    const batchSize = options.batchSize ?? connector.writeBatchSize;
    const changed = recorder.changed.company + recorder.changed.contact;
    const write = { ...base, runId: run.id, batchSize, at, total: changed, onProgress: options.onProgress };
    const writes = dryRun ? NO_WRITES : await writeBack(write);
    // A run over some records leaves the cursors: it did not look at the others.
    if (!dryRun && only === undefined) await advanceCursors(store, installationId, startedAt);
    const writeCalls = estimateWriteCalls(connector, recorder.changed, batchSize);
    const report = buildReport({
      runId: run.id,
      kind,
      dryRun,
      classifiedAt: at,
      pulled,
      deleted,
      tally,
      changed,
      writes,
      writeCalls,
      summary: decided.summary,
      decided: decided.decided,
      policy: options.policy,
      leadScore,
      reconcile,
      rebuilt: decided.rebuilt,
    });
    await finishRun(store, report, clock().getTime());
    return report;
  } catch (error) {
    await failRun(store, run.id, error, clock().getTime());
    throw error;
  }
}

/** The kind of run the options ask for, or why they cannot. */
function runKind(options: SyncOptions): SyncReport['kind'] {
  const { connector, only } = options;
  if (only === undefined) return options.full === true ? 'full' : 'incremental';
  if (options.full === true) throw new Error('a full sync reads everything: it cannot be limited to some records');
  if (connector.readByIds === undefined || connector.readDealsByIds === undefined) {
    throw new Error(`the ${connector.crm} connector cannot read records by id: run an incremental sync instead`);
  }
  return 'changes';
}

/**
 * A full run: every record classified once — its decisions diffed and recorded, and the state built
 * afresh from the same classification and compared with the stored one (phases/reconcile.ts).
 */
async function classifyAll(
  context: DecideContext,
  lastWritten: LastWrittenTable,
  tally: Tally,
  onDecision: OnDecision,
): Promise<{ decided: Decided; reconcile: Reconcile }> {
  const { summary, reconcile, save } = await classifyAndReconcile(context, lastWritten, onDecision);
  lastWritten.clear();
  return { decided: { summary, decided: tally.decided, rebuilt: undefined, save }, reconcile };
}

/** What was last written, to diff against; also the previous tiers of the classification (one pass for both). */
async function loadLastWritten(store: Store, installationId: string): Promise<LastWrittenTable> {
  const table = new LastWrittenTable();
  for await (const tier of store.storedTiers(installationId)) table.add(tier);
  return table;
}
