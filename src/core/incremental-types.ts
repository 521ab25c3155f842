/**
 * What incremental runs (incremental.ts) are given and give back: the changes of a run, its result,
 * and the contacts a state that loads them on demand needs before a run's contacts phase.
 */
import type { CanonicalRecord, RecordType } from './records.ts';
import type { Decision } from './run.ts';

export interface RecordRef {
  readonly type: RecordType;
  readonly id: string;
}

export interface IncrementalChanges {
  /** Records created or changed (fields, override, companyId): each replaces the stored one. */
  readonly upserts?: readonly CanonicalRecord[] | undefined;
  /** Records deleted. A record both deleted and upserted in one batch is re-created, with no previous tier. */
  readonly deletes?: readonly RecordRef[] | undefined;
  /** The run's clock. */
  readonly now: Date;
}

export interface IncrementalResult {
  /** The decisions whose tier, reasons or hint changed, new records included: companies first, then contacts. */
  readonly changed: readonly Decision[];
  /** How many records went through steps 1–5 again (the run's work, for measuring). */
  readonly decided: number;
}

/**
 * What a state whose contacts are loaded on demand needs before a run's contacts phase: the
 * contacts (stored rows) of these companies, and those pending or whose hold ends by `dueBy`
 * (`tiering_state`: `company_id`, `pending`, `hold_until`). Nothing when the state holds every contact.
 */
export interface ContactsToLoad {
  readonly companyIds: readonly string[];
  /** Load the pending contacts and those whose hold ends by then (epoch ms); undefined: none. */
  readonly dueBy: number | undefined;
}
