/**
 * Incremental runs: the same decisions as `classify` (spec §4–§7), but a run decides only what its
 * changes can affect. `classify(policy, records, previous, now)`, run after run with `previous` the
 * last run's output (`since` moving only when the tier changes), is the oracle; the property test
 * test/core/incremental.property.test.ts holds this module to it after every step.
 *
 * What a run decides again, through steps 1–5:
 * - the records upserted or deleted;
 * - the records whose tier changed in the last run: their previous tier changed, and hysteresis
 *   (§4.3) and incumbency (§4.6) read it;
 * - the records whose `minDaysInTier` hold ends by this run's `now` (§4.3a): a hold is the only
 *   way the clock enters a decision, so a record untouched between two runs decides the same
 *   unless its hold ended;
 * - the contacts of a company whose tier changed, or that appeared or went (inheritance, §5.2).
 * Capacity (step 6) is kept per capacity tier by `Seating`: only companies whose seat can change
 * are looked at, the seat given or taken cascading at most one step per capacity tier.
 *
 * Decisions carry the next-tier hint of spec §8 as `classify` attaches it; incremental-decisions.ts
 * says when a run works it out again.
 *
 * One difference from `classify`, by design: a company moved down by capacity whose own standing
 * did not change keeps the rank in its reason ("ranked 134th") from when it was last decided, even
 * when companies entering or leaving above it shift its rank; any run that touches it writes its
 * current rank. Everything else, reasons included, is what `classify` gives.
 *
 * `now` must not go backwards between runs of one state; when it does, the run decides everything
 * again (correct, not incremental). The module is pure: no I/O, no clock.
 */
import { compilePolicy } from './compile.ts';
import type { CompiledPolicy, CompiledSection } from './compile.ts';
import { rankValuesOf } from './capacity.ts';
import type { CapacityReport } from './capacity.ts';
import { decideRecord } from './decide.ts';
import type { KnownPrevious } from './decide.ts';
import { DeltaTracker } from './incremental-delta.ts';
import type { IncrementalDelta } from './incremental-delta.ts';
import { ExpiryHeap, scheduleHold } from './incremental-heap.ts';
import { decisionOf, hintOf, sameHint, sameList, summaryOfState } from './incremental-decisions.ts';
import {
  companyEntryOf,
  ContactsByCompany,
  contactEntryOf,
  keyOf,
  newCompany,
  newEntry,
  refOf,
  rowOf,
} from './incremental-rows.ts';
import type { CompanyEntry, Entry, IncrementalRow } from './incremental-rows.ts';
import { givenPrevious } from './incremental-rows.ts';
import { Seating } from './incremental-seating.ts';
import type { SeatedCompany } from './incremental-seating.ts';
import type { Policy } from './policy-types.ts';
import type { CanonicalRecord, PreviousTier, RecordType } from './records.ts';
import { RunInputError } from './run.ts';
import type { Decision } from './run.ts';
import type { NextHint } from './next.ts';
import type { RunSummary } from './summary.ts';

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
interface Op {
  drop: boolean;
  record: CanonicalRecord | undefined;
  /** For records created by `fullClassify`: the previous tier given. */
  previous?: KnownPrevious | undefined;
}

function timeOf(now: Date): number {
  const ms = now.getTime();
  if (Number.isNaN(ms)) throw new RangeError('the run needs a valid "now"');
  return ms;
}

export class IncrementalTiering {
  readonly compiled: CompiledPolicy;
  private companies = new Map<string, CompanyEntry>();
  private contacts = new Map<string, Entry>();
  /** Which contacts to decide again when a company changes tier, appears or goes. */
  private contactsOf = new ContactsByCompany();
  private seating: Seating;
  private holds = new ExpiryHeap();
  private pending = new Set<string>();
  private lastNowMs: number | undefined;
  /** Records decided through steps 1–5 in the current run. */
  private decided = 0;
  /** The rows changed since the caller last took them (`takeChanges`). */
  private readonly delta = new DeltaTracker();

  constructor(policy: Policy) {
    this.compiled = compilePolicy(policy);
    this.seating = new Seating(this.compiled);
  }

  /**
   * Decides every record from scratch, as `classify` does, and keeps the state for the next runs.
   * Returns the decisions in input order. A repeated id within a type throws RunInputError.
   */
  fullClassify(
    records: readonly CanonicalRecord[],
    previous: Iterable<PreviousTier> | undefined,
    now: Date,
  ): Decision[] {
    const nowMs = timeOf(now);
    this.reset();
    const given = givenPrevious(this.compiled, previous);
    const ops: Record<RecordType, Map<string, Op>> = { company: new Map(), contact: new Map() };
    for (const record of records) {
      const forType = ops[record.type];
      if (forType.has(record.id))
        throw new RunInputError(`${record.type} id ${JSON.stringify(record.id)} appears twice`);
      forType.set(record.id, { drop: false, record, previous: given.get(keyOf(record.type, record.id)) });
    }
    this.run(nowMs, ops.company, ops.contact);
    this.delta.reset(true);
    return records.map((record) => this.decisionOf(record.type, record.id));
  }

  /** One incremental run: applies the changes and decides what they (and the clock) can affect. */
  apply(changes: IncrementalChanges): IncrementalResult {
    const nowMs = timeOf(changes.now);
    const ops: Record<RecordType, Map<string, Op>> = { company: new Map(), contact: new Map() };
    const opFor = (type: RecordType, id: string): Op => {
      let op = ops[type].get(id);
      if (op === undefined) {
        op = { drop: false, record: undefined };
        ops[type].set(id, op);
      }
      return op;
    };
    for (const { type, id } of changes.deletes ?? []) {
      const op = opFor(type, id);
      op.drop = true;
      op.record = undefined;
    }
    for (const record of changes.upserts ?? []) opFor(record.type, record.id).record = record;
    const backwards = this.lastNowMs !== undefined && nowMs < this.lastNowMs;
    if (backwards) {
      for (const id of this.companies.keys()) opFor('company', id);
      for (const id of this.contacts.keys()) opFor('contact', id);
    }
    for (const key of this.pending) this.opForKey(key, opFor);
    for (const due of this.holds.popDue(nowMs)) {
      const { type, id } = refOf(due.key);
      const entry = this.entryOf(type, id);
      if (entry?.holdUntil === due.at) this.opForKey(due.key, opFor);
    }
    const changed = this.run(nowMs, ops.company, ops.contact);
    return { changed, decided: this.decided };
  }

  /** The current decision of every record (companies, then contacts). */
  decisions(): Decision[] {
    return [
      ...[...this.companies.keys()].map((id) => this.decisionOf('company', id)),
      ...[...this.contacts.keys()].map((id) => this.decisionOf('contact', id)),
    ];
  }

  /** The current decision of one record, or undefined when there is no such record. */
  decision(type: RecordType, id: string): Decision | undefined {
    const entry = this.entryOf(type, id);
    if (entry === undefined) return undefined;
    return decisionOf(this.compiled, type, id, entry.tier, entry.reasons, entry.next);
  }

  /** A record as last given, or undefined when there is no such record. */
  record(type: RecordType, id: string): CanonicalRecord | undefined {
    return this.entryOf(type, id)?.record;
  }

  /** The records the state holds. */
  get size(): number {
    return this.companies.size + this.contacts.size;
  }

  /**
   * The summary of §6 for the current state: every record's tier, with its tier before the run
   * as `before` says (undefined: the same as now), and the capacity reports.
   */
  summary(before: (type: RecordType, id: string) => string | null | undefined): RunSummary {
    const entries = [...this.companies.values(), ...this.contacts.values()];
    return summaryOfState(this.compiled, this.seating.reports(), entries, before);
  }

  /**
   * The rows changed since the last call (or since `fullClassify`, when every row is new, or
   * `load`): what a run saves (incremental-delta.ts).
   */
  takeChanges(): IncrementalDelta {
    return this.delta.take(
      () => this.rows(),
      (type, id) => {
        const entry = this.entryOf(type, id);
        return entry === undefined ? undefined : rowOf(this.compiled, entry);
      },
    );
  }

  /** The capacity reports of §6 for the current state. */
  capacityReports(): CapacityReport[] {
    return this.seating.reports();
  }

  /** The state as rows (plain JSON), one per record. */
  *rows(): IterableIterator<IncrementalRow> {
    for (const entry of this.companies.values()) yield rowOf(this.compiled, entry);
    for (const entry of this.contacts.values()) yield rowOf(this.compiled, entry);
  }

  /** Replaces the state with rows written by `rows()` under the same policy. */
  load(rows: Iterable<IncrementalRow>): void {
    this.reset();
    for (const row of rows) {
      if (row.type === 'company') {
        const entry = companyEntryOf(this.compiled, row);
        this.companies.set(entry.id, entry);
        this.seating.restore(entry);
        this.track(entry);
      } else {
        const entry = contactEntryOf(this.compiled, row);
        this.contacts.set(entry.id, entry);
        this.contactsOf.add(entry);
        this.track(entry);
      }
    }
    this.delta.reset(false);
  }

  private reset(): void {
    this.companies = new Map();
    this.contacts = new Map();
    this.contactsOf = new ContactsByCompany();
    this.seating = new Seating(this.compiled);
    this.holds = new ExpiryHeap();
    this.pending = new Set();
    this.lastNowMs = undefined;
  }

  /** Re-registers a loaded entry's hold and pending flag. */
  private track(entry: Entry): void {
    const key = keyOf(entry.type, entry.id);
    if (entry.holdUntil !== undefined) this.holds.push({ at: entry.holdUntil, key });
    if (entry.pending) this.pending.add(key);
  }

  private decisionOf(type: RecordType, id: string): Decision {
    const decision = this.decision(type, id);
    if (decision === undefined) throw new Error(`no ${type} ${id} in the state`);
    return decision;
  }

  private entryOf(type: RecordType, id: string): Entry | undefined {
    return type === 'company' ? this.companies.get(id) : this.contacts.get(id);
  }

  private opForKey(key: string, opFor: (type: RecordType, id: string) => Op): void {
    const { type, id } = refOf(key);
    opFor(type, id);
  }

  private run(nowMs: number, companyOps: Map<string, Op>, contactOps: Map<string, Op>): Decision[] {
    this.lastNowMs = nowMs;
    this.pending = new Set();
    this.decided = 0;
    const changed: Decision[] = [];
    /** Companies whose contacts inherit something new: tier changed, created or deleted. */
    const inheritanceChanged = new Set<string>();
    this.seating.begin();
    const touched = new Set<SeatedCompany>();
    /** Companies decided again (steps 1–5); the others keep their hint unless capacity moves them. */
    const redecided = new Set<SeatedCompany>();
    for (const [id, op] of companyOps) {
      let entry = this.companies.get(id);
      if (entry !== undefined) this.seating.remove(entry);
      if (entry !== undefined && op.drop) {
        this.companies.delete(id);
        this.delta.remove('company', id);
        inheritanceChanged.add(id);
        entry = undefined;
      }
      if (op.record !== undefined) {
        if (entry === undefined) {
          entry = newCompany(op.record, op.previous);
          this.companies.set(id, entry);
          inheritanceChanged.add(id);
        } else {
          entry.record = op.record;
        }
      }
      if (entry === undefined) continue;
      this.delta.write('company', id);
      this.decideCompany(entry, nowMs);
      this.seating.place(entry);
      touched.add(entry);
      redecided.add(entry);
    }
    this.seating.settle(touched);
    for (const seated of touched) {
      const entry = seated as CompanyEntry;
      this.delta.write('company', entry.id);
      const reasons = [...entry.stepReasons, ...this.seating.reasonsOf(entry)];
      // Before `settle`: the previous tier is still the one the company was (last) decided with.
      const next =
        redecided.has(entry) || entry.final !== entry.tier
          ? hintOf(this.compiled, entry.record, entry.overrideTier >= 0, this.previousOf(entry), nowMs, -1, entry.final)
          : entry.next;
      if (this.settle(entry, entry.final, reasons, next, nowMs, changed)) inheritanceChanged.add(entry.id);
    }
    if (this.compiled.contact.inheritCompany) {
      for (const companyId of inheritanceChanged) {
        for (const id of this.contactsOf.of(companyId)) {
          if (!contactOps.has(id)) contactOps.set(id, { drop: false, record: undefined });
        }
      }
    }
    for (const [id, op] of contactOps) this.runContact(id, op, nowMs, changed);
    return changed;
  }

  private runContact(id: string, op: Op, nowMs: number, changed: Decision[]): void {
    let entry = this.contacts.get(id);
    if (entry !== undefined && (op.drop || op.record !== undefined)) this.contactsOf.remove(entry);
    if (entry !== undefined && op.drop) {
      this.contacts.delete(id);
      this.delta.remove('contact', id);
      entry = undefined;
    }
    if (op.record !== undefined) {
      if (entry === undefined) {
        entry = newEntry(op.record, op.previous);
        this.contacts.set(id, entry);
      } else {
        entry.record = op.record;
      }
      this.contactsOf.add(entry);
    }
    if (entry === undefined) return;
    this.delta.write('contact', id);
    const section = this.compiled.contact;
    const { companyId } = entry.record;
    const company = section.inheritCompany && typeof companyId === 'string' ? this.companies.get(companyId) : undefined;
    const inherited = company === undefined ? undefined : { tier: company.tier, companyId: company.id };
    const previous = this.previousOf(entry);
    const decided = decideRecord(this.compiled, section, entry.record, previous, nowMs, inherited);
    const overridden = decided.overrideTier >= 0;
    const next = hintOf(this.compiled, entry.record, overridden, previous, nowMs, company?.tier ?? -1, decided.tier);
    this.scheduleHold(entry, section, nowMs);
    this.decided++;
    this.settle(entry, decided.tier, decided.reasons, next, nowMs, changed);
  }

  private previousOf(entry: Entry): KnownPrevious | undefined {
    return entry.tier < 0 ? undefined : { rank: entry.tier, sinceMs: entry.sinceMs };
  }

  /** Steps 1–5 for a company, and its ranking key with the previous tier it was decided with. */
  private decideCompany(entry: CompanyEntry, nowMs: number): void {
    const section = this.compiled.company;
    const decided = decideRecord(this.compiled, section, entry.record, this.previousOf(entry), nowMs, undefined);
    entry.stepTier = decided.tier;
    entry.stepReasons = decided.reasons;
    entry.overrideTier = decided.overrideTier;
    entry.floorTier = decided.floorTier;
    const rankValues = this.compiled.rankFields.length === 0 ? [] : rankValuesOf(this.compiled, entry.record.fields);
    entry.seat = { id: entry.id, previousRank: entry.tier, rankValues, company: entry };
    this.scheduleHold(entry, section, nowMs);
    this.decided++;
  }

  private scheduleHold(entry: Entry, section: CompiledSection, nowMs: number): void {
    scheduleHold(this.holds, entry, section.minDaysInTier, nowMs);
  }

  /**
   * Records a record's decision of this run: reports it when it changed (a new hint alone too), and
   * when the tier changed makes it the new previous tier (since now) and marks the record for the
   * next run. True when the tier changed.
   */
  private settle(
    entry: Entry,
    tier: number,
    reasons: readonly string[],
    next: NextHint | undefined,
    nowMs: number,
    changed: Decision[],
  ): boolean {
    const tierChanged = entry.tier !== tier;
    if (tierChanged || !sameList(entry.reasons, reasons) || !sameHint(entry.next, next)) {
      changed.push(decisionOf(this.compiled, entry.type, entry.id, tier, reasons, next));
    }
    entry.reasons = reasons;
    entry.next = next;
    if (tierChanged) {
      entry.tier = tier;
      entry.sinceMs = nowMs;
      entry.pending = true;
      this.pending.add(keyOf(entry.type, entry.id));
    }
    return tierChanged;
  }
}

/** A new, empty incremental state for `policy` (validated first, as for `classify`). */
export function createIncremental(policy: Policy): IncrementalTiering {
  return new IncrementalTiering(policy);
}
