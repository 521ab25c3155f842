/**
 * What an incremental state holds (src/core/incremental.ts runs it): the records' entries
 * (incremental-rows.ts), capacity seating, the holds and pending flags that bring records back
 * into a run, the tier counts, and what changed since the last save — and how it is loaded and
 * handed out: decisions, records, rows, the summary.
 *
 * A state holds every company (capacity seating needs them all) but not necessarily every contact.
 * Loaded whole (`load`, or built by a full classification) it holds every contact; loaded with
 * its companies only (`loadCompanies`, with the stored tier counts) it holds the contacts given to
 * it (`addContacts`): a run asks for those it needs. `dropContacts` forgets them between runs.
 * The tier counts are every record's, held or not. Rows, decisions and records are of the records
 * held.
 *
 * A state loaded from a company snapshot (`loadSnapshot`, incremental-snapshot.ts) holds every
 * company's place but not its row: the companies in a capacity tier's ranking are entries
 * without their record, reasons and hint (stubs, `loaded: false`); the others stay in the
 * snapshot's columns (`table`, "cold") until a run needs them. A run is given the rows of the
 * companies it needs (`addCompanies`): before it, those it changes or deletes and those pending
 * or whose hold ends (`companiesToLoad`); during it, those capacity moves (`seatCompanies`).
 */
import type { CapacityReport } from './capacity.ts';
import type { CompiledPolicy } from './compile.ts';
import { TierCounter } from './incremental-counts.ts';
import type { Moved, TierCounts } from './incremental-counts.ts';
import { decisionOf } from './incremental-decisions.ts';
import { DeltaTracker } from './incremental-delta.ts';
import type { IncrementalDelta } from './incremental-delta.ts';
import { ExpiryHeap } from './incremental-heap.ts';
import {
  companyEntryOf,
  ContactsByCompany,
  contactEntryOf,
  fillCompany,
  Interner,
  keyOf,
  rowOf,
  stubCompany,
} from './incremental-rows.ts';
import type { CompanyEntry, Entry, IncrementalRow } from './incremental-rows.ts';
import { Seating } from './incremental-seating.ts';
import { CompanyTable, encodeCompanies } from './incremental-snapshot.ts';
import type { CanonicalRecord, RecordType } from './records.ts';
import type { Decision } from './run.ts';
import type { RunSummary } from './summary.ts';

/** A record whose movement a summary reports, with its tier before the run (null: none). */
export interface MovedRecord {
  readonly type: RecordType;
  readonly id: string;
  readonly before: string | null;
}

export class HeldState {
  readonly compiled: CompiledPolicy;
  protected companies = new Map<string, CompanyEntry>();
  protected contacts = new Map<string, Entry>();
  /** Which (held) contacts to decide again when a company changes tier, appears or goes. */
  protected contactsOf = new ContactsByCompany();
  protected seating: Seating;
  protected companyHolds = new ExpiryHeap();
  protected contactHolds = new ExpiryHeap();
  protected pendingCompanies = new Set<string>();
  protected pendingContacts = new Set<string>();
  protected counts: TierCounter;
  /** Whether every contact is held (after a full classification or `load`); else they are loaded on demand. */
  protected everyContactHeld = true;
  protected lastNowMs: number | undefined;
  /** The rows changed since the caller last took them (`takeChanges`). */
  protected readonly delta = new DeltaTracker();
  /** What the rows loaded since the last reset or drop repeat, held once. */
  protected strings = new Interner();
  /** The company snapshot the state was loaded from (`loadSnapshot`), if any. */
  protected table: CompanyTable | undefined;
  /** Per company of `table`: 1 once `companies` has it (stub or loaded) or it was deleted. */
  protected hot = new Uint8Array(0);
  /** The companies of `table` not hot ("cold"). */
  protected cold = 0;

  constructor(compiled: CompiledPolicy) {
    this.compiled = compiled;
    this.seating = new Seating(compiled);
    this.counts = new TierCounter(compiled);
  }

  /**
   * Adds stored contact rows to a state that loads its contacts on demand (a row of a contact
   * already held is ignored: the state's copy is the newer).
   */
  addContacts(rows: Iterable<IncrementalRow>): void {
    for (const row of rows) {
      if (row.type !== 'contact' || this.contacts.has(row.id)) continue;
      this.holdContact(contactEntryOf(this.compiled, row, this.strings));
    }
  }

  /**
   * Forgets the contacts held (between runs): what a long-lived worker keeps of a state is its
   * companies; the next run loads the contacts it needs again.
   */
  dropContacts(): void {
    this.contacts = new Map();
    this.contactsOf = new ContactsByCompany();
    this.contactHolds = new ExpiryHeap();
    this.pendingContacts = new Set();
    this.strings = new Interner();
    this.everyContactHeld = false;
  }

  /** The current decision of every record held (companies, then contacts); companies not loaded are left out. */
  decisions(): Decision[] {
    const loaded = [...this.companies.values()].filter((entry) => entry.loaded);
    return [
      ...loaded.map((entry) => this.decisionOf('company', entry.id)),
      ...[...this.contacts.keys()].map((id) => this.decisionOf('contact', id)),
    ];
  }

  /** The current decision of one record, or undefined when there is no such record (or it is not held). */
  decision(type: RecordType, id: string): Decision | undefined {
    const entry = this.loadedEntryOf(type, id);
    if (entry === undefined) return undefined;
    return decisionOf(this.compiled, type, id, entry.tier, entry.reasons, entry.next);
  }

  /** A record as last given, or undefined when there is no such record (or it is not held). */
  record(type: RecordType, id: string): CanonicalRecord | undefined {
    return this.loadedEntryOf(type, id)?.record;
  }

  /** The records the state has, held or not. */
  get size(): number {
    return this.counts.total();
  }

  /** The records the state holds in memory (every company, as an entry or in the snapshot, and the contacts). */
  get held(): number {
    return this.companies.size + this.cold + this.contacts.size;
  }

  /** Whether every contact is held (else they are loaded on demand). */
  get holdsEveryContact(): boolean {
    return this.everyContactHeld;
  }

  /** How many records are in each tier: what the store keeps beside the rows. */
  tierCounts(): TierCounts {
    return this.counts.toJSON();
  }

  /**
   * The summary of §6 for the current state: the tier mix of every record (from the counts), the
   * capacity reports, and the movements of the records named in `moved` with their tier before
   * the run (null: none) — a run names the records it decided, a full classification every record.
   */
  summary(moved: Iterable<MovedRecord>): RunSummary {
    const ranks: Moved[] = [];
    for (const { type, id, before } of moved) {
      const entry = this.entryOf(type, id);
      if (entry !== undefined) ranks.push({ type, before, rank: entry.tier });
    }
    return this.counts.summary(this.seating.reports(), ranks);
  }

  /**
   * The rows changed since the last call (or since `fullClassify`, when every row is new, or
   * `load`): what a run saves (incremental-delta.ts).
   */
  takeChanges(): IncrementalDelta {
    return this.delta.take(
      () => this.rows(),
      (type, id) => {
        // A company written by a run has its row loaded (rowOf throws on a stub).
        const entry = this.entryOf(type, id);
        return entry === undefined ? undefined : rowOf(this.compiled, entry);
      },
    );
  }

  /** The capacity reports of §6 for the current state. */
  capacityReports(): CapacityReport[] {
    return this.seating.reports();
  }

  /** The state as rows (plain JSON), one per record held (companies whose row is not loaded left out). */
  *rows(): IterableIterator<IncrementalRow> {
    for (const entry of this.companies.values()) if (entry.loaded) yield rowOf(this.compiled, entry);
    for (const entry of this.contacts.values()) yield rowOf(this.compiled, entry);
  }

  /** Replaces the state with rows written by `rows()` under the same policy, every record's. */
  load(rows: Iterable<IncrementalRow>): void {
    this.reset();
    for (const row of rows) {
      if (row.type === 'company') this.holdCompany(companyEntryOf(this.compiled, row, this.strings));
      else this.holdContact(contactEntryOf(this.compiled, row, this.strings));
      this.counts.add(row.type, this.entryOf(row.type, row.id)?.tier ?? -1, 1);
    }
    this.delta.reset(false);
  }

  /**
   * Replaces the state with every company's row and the stored counts (`tierCounts`), loading
   * contacts on demand: a run adds those it needs (`addContacts`, `applyCompanies`). The rows may
   * also come in pages, by `addCompanies`, before the first run.
   */
  loadCompanies(rows: Iterable<IncrementalRow>, counts: TierCounts): void {
    this.reset();
    this.everyContactHeld = false;
    this.counts.restore('contact', counts.contact);
    this.addCompanies(rows);
    this.delta.reset(false);
  }

  /**
   * More company rows of a state being loaded by `loadCompanies`, or the rows of companies a run
   * of a state loaded from a snapshot needs: a stub gets its record, reasons and hint, a cold
   * company becomes an entry. A company already loaded (or deleted) is ignored: the state's copy
   * is the newer.
   */
  addCompanies(rows: Iterable<IncrementalRow>): void {
    for (const row of rows) {
      if (row.type !== 'company') continue;
      const held = this.companies.get(row.id);
      if (held !== undefined) {
        if (!held.loaded) fillCompany(held, row, this.strings);
        continue;
      }
      if (this.table !== undefined) {
        const i = this.table.indexOf(row.id);
        if (i < 0 || this.hot[i] === 1) continue;
        this.hot[i] = 1;
        this.cold--;
        this.holdCompany(companyEntryOf(this.compiled, row, this.strings));
        continue;
      }
      const entry = companyEntryOf(this.compiled, row, this.strings);
      this.holdCompany(entry);
      this.counts.add('company', entry.tier, 1);
    }
  }

  /**
   * Replaces the state with a company snapshot (`companySnapshot`) and the stored counts, loading
   * companies' rows and contacts on demand. The companies in a capacity tier's ranking become
   * stubs at once (seating needs them); the others stay in the snapshot. False (and the state
   * untouched) when the bytes are not a snapshot for this policy: load the rows instead.
   */
  loadSnapshot(bytes: Uint8Array, counts: TierCounts): boolean {
    const table = CompanyTable.decode(bytes, this.compiled.rankFields.length, this.compiled.tiers.length);
    if (table === undefined) return false;
    this.reset();
    this.everyContactHeld = false;
    this.counts.restore('contact', counts.contact);
    this.table = table;
    this.hot = new Uint8Array(table.size);
    this.cold = table.size;
    const tiers = this.compiled.tiers.length;
    const perTier = new Array<number>(tiers).fill(0);
    // Whether a company of step tier s and tier t is in a capacity tier's ranking, at s · tiers + t.
    const ranked = new Uint8Array(tiers * tiers);
    for (let step = 0; step < tiers; step++) {
      for (let tier = 0; tier < tiers; tier++) ranked[step * tiers + tier] = this.seating.ranks(step, tier) ? 1 : 0;
    }
    const { tier: tierOf, stepTier } = table;
    for (let i = 0; i < table.size; i++) {
      const tier = tierOf[i] ?? -1;
      perTier[tier] = (perTier[tier] ?? 0) + 1;
      if (ranked[(stepTier[i] ?? 0) * tiers + tier] !== 1) continue;
      this.hot[i] = 1;
      this.cold--;
      this.holdCompany(stubCompany(table.place(i)));
    }
    perTier.forEach((n, tier) => {
      this.counts.add('company', tier, n);
    });
    this.delta.reset(false);
    return true;
  }

  /**
   * Every company's place in the compact form of incremental-snapshot.ts, what a worker loads
   * instead of every company's row (`loadSnapshot`); undefined when it cannot be written so.
   */
  companySnapshot(): Uint8Array | undefined {
    const { rankFields, tiers } = this.compiled;
    return encodeCompanies(this.table, this.hot, this.companies, rankFields.length, tiers.length);
  }

  /**
   * The companies whose rows a run at `now` needs before it starts and that are not loaded:
   * those pending (their tier changed in the last run) and those whose hold ends by then.
   */
  companiesToLoad(now: Date): string[] {
    const nowMs = now.getTime();
    const ids: string[] = [];
    const table = this.table;
    if (table !== undefined) {
      const { flags, holdUntil } = table;
      const hot = this.hot;
      for (let i = 0; i < table.size; i++) {
        // A NaN hold (none) is never ≤ now.
        if (hot[i] === 0 && ((flags[i] ?? 0) & 1 || (holdUntil[i] ?? Number.NaN) <= nowMs)) ids.push(table.id(i));
      }
    }
    for (const entry of this.companies.values()) {
      if (!entry.loaded && (entry.pending || (entry.holdUntil !== undefined && entry.holdUntil <= nowMs))) {
        ids.push(entry.id);
      }
    }
    return ids;
  }

  /** Whether the state has this company but not its row (a stub, or cold in the snapshot): load it. */
  needsCompanyRow(id: string): boolean {
    const entry = this.companies.get(id);
    if (entry !== undefined) return !entry.loaded;
    return this.coldIndex(id) >= 0;
  }

  /** The index in `table` of a cold company, or −1. */
  protected coldIndex(id: string): number {
    if (this.table === undefined) return -1;
    const i = this.table.indexOf(id);
    return i >= 0 && this.hot[i] === 0 ? i : -1;
  }

  /** A company's tier (cold ones included), or undefined when the state has no such company. */
  protected companyTier(id: string): number | undefined {
    const entry = this.companies.get(id);
    if (entry !== undefined) return entry.tier;
    const i = this.coldIndex(id);
    return i < 0 ? undefined : this.table?.tier[i];
  }

  protected holdCompany(entry: CompanyEntry): void {
    this.companies.set(entry.id, entry);
    this.seating.restore(entry);
    this.track(entry);
  }

  protected holdContact(entry: Entry): void {
    this.contacts.set(entry.id, entry);
    this.contactsOf.add(entry);
    this.track(entry);
  }

  protected reset(): void {
    this.companies = new Map();
    this.contacts = new Map();
    this.contactsOf = new ContactsByCompany();
    this.seating = new Seating(this.compiled);
    this.companyHolds = new ExpiryHeap();
    this.contactHolds = new ExpiryHeap();
    this.pendingCompanies = new Set();
    this.pendingContacts = new Set();
    this.counts = new TierCounter(this.compiled);
    this.everyContactHeld = true;
    this.lastNowMs = undefined;
    this.strings = new Interner();
    this.table = undefined;
    this.hot = new Uint8Array(0);
    this.cold = 0;
  }

  /** Re-registers a loaded entry's hold and pending flag. */
  protected track(entry: Entry): void {
    if (entry.holdUntil !== undefined)
      this.holdsOf(entry.type).push({ at: entry.holdUntil, key: keyOf(entry.type, entry.id) });
    if (entry.pending) (entry.type === 'company' ? this.pendingCompanies : this.pendingContacts).add(entry.id);
  }

  protected holdsOf(type: RecordType): ExpiryHeap {
    return type === 'company' ? this.companyHolds : this.contactHolds;
  }

  protected decisionOf(type: RecordType, id: string): Decision {
    const decision = this.decision(type, id);
    if (decision === undefined) throw new Error(`no ${type} ${id} in the state`);
    return decision;
  }

  protected entryOf(type: RecordType, id: string): Entry | undefined {
    return type === 'company' ? this.companies.get(id) : this.contacts.get(id);
  }

  /** A record's entry with its row loaded (a stub is not), or undefined. */
  protected loadedEntryOf(type: RecordType, id: string): Entry | undefined {
    if (type === 'contact') return this.contacts.get(id);
    const entry = this.companies.get(id);
    return entry?.loaded === true ? entry : undefined;
  }
}
