/**
 * What `sync()` takes and gives back (engine.ts re-exports all of it): its options, the records a
 * change event named, the progress it reports and the run report.
 */
import type { Mapping } from '../mapping/mapping.ts';
import type { Policy, RecordType, RunSummary } from '../core/index.ts';
import type { InstallationSettings, Store } from '../store/store.ts';
import type { Connector, TierProperties } from './connector.ts';
import type { Reconcile } from './phases/reconcile.ts';
import type { StateCache } from './phases/state.ts';

export interface SyncOptions {
  readonly store: Store;
  readonly connector: Connector;
  readonly mapping: Mapping;
  readonly installationId: string;
  /** The installation's settings as the caller just read them (else the run reads them: the lead-score choice). */
  readonly settings?: InstallationSettings | undefined;
  readonly policy: Policy;
  /** A full sync reads everything (and drops records deleted in the CRM); otherwise only changes. */
  readonly full?: boolean;
  /**
   * Only these records changed (a webhook said so): read them by id, re-classify the whole
   * installation, write what moved. No search, no removals, and the cursors stay where they
   * are (the scheduled incremental runs still look at everything). Needs the connector's
   * `readByIds`/`readDealsByIds`. Not with `full`.
   */
  readonly only?: ChangedRecords | undefined;
  /** Everything but the writes: what would change, and the API calls it would cost. */
  readonly dryRun?: boolean;
  /** How far before the last cursor an incremental read starts (default 5 minutes). */
  readonly overlapMs?: number;
  /** The properties written to (default: the connector's `tierProperties`). */
  readonly tierProperties?: TierProperties;
  readonly clock?: (() => Date) | undefined;
  /** Records per update call (default: the connector's `writeBatchSize`). */
  readonly batchSize?: number | undefined;
  /** Called after every page read and every batch written (for progress bars). */
  readonly onProgress?: ((progress: SyncProgress) => void) | undefined;
  /**
   * Asked after every page read, before classifying and before the CRM writes: true stops the run with a
   * `RunStoppedError` (it may also throw one itself, with a more precise reason). The run is
   * recorded as failed and the cursors stay where they were, so nothing is lost: the next run
   * picks up (tiers recorded but not written are written then). Once the CRM writes have begun,
   * the run finishes.
   */
  readonly shouldStop?: (() => boolean) | undefined;
  /**
   * Where this worker keeps incremental states between runs (default: one per process,
   * phases/state.ts). A fresh cache is a worker that holds nothing: it loads the state from the store.
   */
  readonly stateCache?: StateCache | undefined;
}

/** Records a change event named, by object type (CRM ids). */
export interface ChangedRecords {
  readonly companies: readonly string[];
  readonly contacts: readonly string[];
  readonly deals: readonly string[];
}

/** A run stopped on request (`shouldStop`) before its writes: the next run picks up. */
export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';

  constructor(message = 'stopped before the writes (asked to stop); the next run picks up') {
    super(message);
  }
}

export type SyncProgress =
  | { readonly phase: 'read'; readonly type: 'companies' | 'contacts' | 'deals'; readonly done: number }
  | { readonly phase: 'write'; readonly done: number; readonly total: number };

export interface SyncReport {
  readonly runId: string;
  /** `changes`: a run over the records a change event named (`only`). */
  readonly kind: 'full' | 'incremental' | 'changes';
  readonly dryRun: boolean;
  /** The run's clock when it classified (deal-size windows and days in tier count up to it). */
  readonly classifiedAt: number;
  readonly pulled: { readonly companies: number; readonly contacts: number; readonly deals: number };
  readonly deleted: number;
  /** Records decided: all on a full run (or when the incremental state is built again), else what the changes affect. */
  readonly decided: number;
  /** Records whose tier or reason differ from what was last written (or were never written). */
  readonly changed: number;
  readonly written: number;
  readonly rejected: readonly { readonly type: RecordType; readonly id: string; readonly error: string }[];
  /** Records whose tier changed (not just the reason), the first `MOVES_SHOWN` of them. */
  readonly moves: readonly TierMove[];
  readonly moved: number;
  /** The policy's tier labels by value, to show moves to people. */
  readonly tierLabels: Readonly<Record<string, string>>;
  /** Update calls made (or, in a dry run, that applying would make). */
  readonly writeCalls: number;
  readonly apiCalls: number;
  /** 429 answers the run met (and waited out). */
  readonly rateLimited: number;
  readonly summary: RunSummary;
  /** Why this incremental run built the incremental state again (a full classification), if it did. */
  readonly rebuilt?: string;
  /** A full run's comparison of the incremental state with the full classification (phases/reconcile.ts). */
  readonly reconcile?: Reconcile;
  /** The lead-score property, when the mapping discovers it (lead-score.ts): read, picked now, or none. */
  readonly leadScore?: {
    readonly property: string | null;
    readonly source: string;
    readonly warnings: readonly string[];
  };
}

export interface TierMove {
  readonly type: RecordType;
  readonly id: string;
  readonly from: string | null;
  readonly to: string;
  readonly reasons: readonly string[];
}
