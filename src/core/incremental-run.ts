/**
 * The vocabulary of an incremental run (incremental.ts): the changes it is given, what it returns,
 * what it asks a state whose rows are loaded on demand to load, and the run under way between its
 * phases.
 */
import type { KnownPrevious } from './decide.ts';
import type { ExpiryHeap } from './incremental-heap.ts';
import type { Entry } from './incremental-rows.ts';
import type { SeatedCompany } from './incremental-seating.ts';
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

/** What a run does to one record: drop it, replace it, and/or decide it again. */
export interface Op {
  drop: boolean;
  record: CanonicalRecord | undefined;
  /** For records created by `fullClassify`: the previous tier given. */
  previous?: KnownPrevious | undefined;
}

/** The ids of the entries whose hold ended by `nowMs` (a popped expiry no longer the entry's is stale). */
export function dueIds(holds: ExpiryHeap, nowMs: number, entryOf: (key: string) => Entry | undefined): string[] {
  const ids: string[] = [];
  for (const due of holds.popDue(nowMs)) {
    const entry = entryOf(due.key);
    if (entry?.holdUntil === due.at) ids.push(entry.id);
  }
  return ids;
}

export function timeOf(now: Date): number {
  const ms = now.getTime();
  if (Number.isNaN(ms)) throw new RangeError('the run needs a valid "now"');
  return ms;
}

/** A run between its companies phase and its contacts phase (`applyCompanies` → `applyContacts`). */
export interface Running {
  readonly nowMs: number;
  readonly contactOps: Map<string, Op>;
  readonly changed: Decision[];
  /** Companies whose contacts inherit something new: tier changed, created or deleted. */
  readonly inheritanceChanged: Set<string>;
  /** The clock went back: every contact is decided again. */
  readonly everyContact: boolean;
  /**
   * Between seating and settling the companies (`seatCompanies` → `settleCompanies`): those whose
   * seat, tier or capacity reasons may have changed, and those decided again; undefined after.
   */
  seated: { readonly touched: Set<SeatedCompany>; readonly redecided: Set<SeatedCompany> } | undefined;
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
