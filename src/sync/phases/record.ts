/**
 * Phase 4, record: the decisions the diff says to write, and those the CRM already shows, into the
 * store as they come — the tier (with its next-tier hint) and its history first, so a crash between recording and writing
 * re-writes (the next run writes what is recorded and not marked written) rather than forgets. A
 * chunk at a time: a run never holds all its changed decisions (on a first sync that is every
 * record). A dry run records nothing and only counts.
 */
import type { Store } from '../../store/store.ts';
import type { HintedDecision } from '../next-hint.ts';
import type { Outcome } from './diff.ts';

/** Changed decisions recorded in the store at a time while classifying. */
export const RECORD_CHUNK = 1000;

export interface RecorderOptions {
  readonly store: Store;
  readonly installationId: string;
  readonly runId: string;
  /** The run's classification time: when the tiers are recorded (and marked written). */
  readonly at: number;
  readonly dryRun: boolean;
  /** Decisions recorded at a time (default `RECORD_CHUNK`). */
  readonly chunk?: number;
}

export class Recorder {
  /** Decisions to write (the diff's `write`), by type: what the write-back will send. */
  readonly changed = { company: 0, contact: 0 };
  private readonly options: RecorderOptions;
  private readonly chunk: number;
  private toWrite: HintedDecision[] = [];
  private inCrm: HintedDecision[] = [];

  constructor(options: RecorderOptions) {
    this.options = options;
    this.chunk = options.chunk ?? RECORD_CHUNK;
  }

  /** Takes one decision and its outcome; a promise while a full chunk is being recorded. */
  take(decision: HintedDecision, outcome: Outcome): Promise<void> | undefined {
    if (outcome === 'write') {
      this.changed[decision.type]++;
      if (!this.options.dryRun) this.toWrite.push(decision);
    } else if (outcome === 'in-crm' && !this.options.dryRun) {
      this.inCrm.push(decision);
    }
    return this.toWrite.length + this.inCrm.length >= this.chunk ? this.flush() : undefined;
  }

  /** Records what is held (called once more after the last decision). */
  async flush(): Promise<void> {
    const changes = this.toWrite;
    const shown = this.inCrm;
    if (changes.length === 0 && shown.length === 0) return;
    this.toWrite = [];
    this.inCrm = [];
    const { store, installationId, runId, at } = this.options;
    await store.applyTierChanges(installationId, runId, changes, at);
    // The CRM already shows these: recorded (history and all) and marked written, nothing to send.
    await store.applyTierChanges(installationId, runId, shown, at);
    for (const type of ['company', 'contact'] as const) {
      await store.markWritten(
        installationId,
        type,
        shown.filter((d) => d.type === type).map((d) => d.id),
        at,
      );
    }
  }
}
