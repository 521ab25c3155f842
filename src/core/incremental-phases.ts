/**
 * The runs of an incremental state (incremental.ts says what a run decides again and why): the
 * companies phase (`applyCompanies`, or `seatCompanies` → `settleCompanies` on a state loaded from
 * a company snapshot), the contacts phase (`applyContacts`), `apply` for both on a state holding
 * every contact, and how each record's decision is settled (tier, reasons, hint, hold, pending).
 * `IncrementalTiering` (incremental.ts) adds the full classification. Pure: no I/O, no clock.
 */
import type { CompiledSection } from './compile.ts';
import { rankValuesOf } from './capacity.ts';
import { decideRecord } from './decide.ts';
import type { KnownPrevious } from './decide.ts';
import { scheduleHold } from './incremental-heap.ts';
import { decisionOf, hintOf, sameHint, sameList } from './incremental-decisions.ts';
import { HeldState } from './incremental-held.ts';
import { BeforeImages } from './incremental-settled.ts';
import { newCompany, newEntry, refOf } from './incremental-rows.ts';
import type { CompanyEntry, Entry } from './incremental-rows.ts';
import { dueIds, timeOf } from './incremental-run.ts';
import type { ContactsToLoad, IncrementalChanges, IncrementalResult, Op, Running } from './incremental-run.ts';
import type { SeatedCompany } from './incremental-seating.ts';
import type { RecordType } from './records.ts';
import type { Decision } from './run.ts';
import type { NextHint } from './next.ts';

export abstract class IncrementalPhases extends HeldState {
  protected running: Running | undefined;
  /** Records decided through steps 1–5 in the current run. */
  protected decided = 0;
  /** While a full classification settles: the decisions its second pass changed, as they were. */
  protected before: BeforeImages | undefined;

  override dropContacts(): void {
    if (this.running !== undefined) throw new Error('a run is under way');
    super.dropContacts();
  }

  protected override reset(): void {
    super.reset();
    this.running = undefined;
  }

  /**
   * One incremental run: applies the changes and decides what they (and the clock) can affect.
   * The state must hold every contact (`fullClassify`, `load`); a state whose contacts are loaded
   * on demand runs in two phases, `applyCompanies` and `applyContacts`, loading between them.
   */
  apply(changes: IncrementalChanges): IncrementalResult {
    if (!this.everyContactHeld) {
      throw new Error('the state holds some contacts only: run applyCompanies, load what it asks, applyContacts');
    }
    this.applyCompanies(changes);
    return this.applyContacts();
  }

  /**
   * A run's first phase: applies the changes, decides the companies they and the clock affect
   * and settles capacity. Contacts are decided by `applyContacts`; before it, a state whose contacts
   * are loaded on demand must be given (`addContacts`) the changed and deleted contacts — best
   * before this call, so that a caller can compare them with what it read — and what this returns.
   * A state loaded from a company snapshot runs it in two steps instead: `seatCompanies`, the
   * companies' rows it asks for, `settleCompanies`.
   */
  applyCompanies(changes: IncrementalChanges): ContactsToLoad {
    const missing = this.seatCompanies(changes);
    if (missing.length > 0) throw new Error(`companies ${missing.join(', ')} are not loaded: use seatCompanies`);
    return this.settleCompanies();
  }

  /**
   * The companies phase up to capacity: applies the changes, decides the companies they and the
   * clock affect and seats them. Returns the companies whose row the state has not loaded and that
   * capacity moved (a stub: `addCompanies` their rows, then `settleCompanies`). Before it, a state
   * loaded from a company snapshot must be given the rows of the companies changed or deleted and
   * of those `companiesToLoad` names; it throws, changing nothing, when one is missing.
   */
  seatCompanies(changes: IncrementalChanges): string[] {
    if (this.running !== undefined) throw new Error('a run is under way: applyContacts first');
    const nowMs = timeOf(changes.now);
    const backwards = this.lastNowMs !== undefined && nowMs < this.lastNowMs;
    if (backwards && !this.everyContactHeld) {
      throw new RangeError('the clock went back: a state that holds some contacts only cannot run (classify in full)');
    }
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
    const missing = [...ops.company.keys(), ...this.companiesToLoad(changes.now)].filter((id) =>
      this.needsCompanyRow(id),
    );
    if (missing.length > 0) throw new Error(`load the rows of companies ${missing.slice(0, 5).join(', ')} first`);
    if (backwards) for (const id of this.companies.keys()) opFor('company', id);
    for (const id of this.pendingCompanies) opFor('company', id);
    this.pendingCompanies = new Set();
    for (const id of dueIds(this.companyHolds, nowMs, (key) => this.entryOf('company', refOf(key).id))) {
      opFor('company', id);
    }
    const touched = this.seatRun(nowMs, ops.company, ops.contact, backwards);
    return [...touched].filter((seated) => !(seated as CompanyEntry).loaded).map((seated) => seated.seat.id);
  }

  /**
   * The end of the companies phase (after `seatCompanies`, the rows it asked for given): the
   * companies' tiers, reasons and hints. Returns the contacts to load before `applyContacts`.
   */
  settleCompanies(): ContactsToLoad {
    const inheritanceChanged = this.settleRun();
    if (this.everyContactHeld) return { companyIds: [], dueBy: undefined };
    return {
      companyIds: this.compiled.contact.inheritCompany ? [...inheritanceChanged] : [],
      dueBy: this.running?.nowMs,
    };
  }

  /** A run's second phase: decides the contacts the changes, the companies and the clock affect. */
  applyContacts(): IncrementalResult {
    const running = this.running;
    if (running === undefined) throw new Error('no run under way: applyCompanies first');
    const { nowMs, contactOps } = running;
    const opFor = (id: string): void => {
      if (!contactOps.has(id)) contactOps.set(id, { drop: false, record: undefined });
    };
    if (running.everyContact) for (const id of this.contacts.keys()) opFor(id);
    for (const id of this.pendingContacts) opFor(id);
    this.pendingContacts = new Set();
    for (const id of dueIds(this.contactHolds, nowMs, (key) => this.entryOf('contact', refOf(key).id))) opFor(id);
    const changed = this.runContacts();
    return { changed, decided: this.decided };
  }

  /**
   * Decides the companies of `companyOps` and seats them; `settleRun` settles them, and the contacts
   * of `contactOps` and of the companies whose inheritance changed are decided by `runContacts`.
   * Returns the companies whose seat, tier or capacity reasons may have changed.
   */
  protected seatRun(
    nowMs: number,
    companyOps: Map<string, Op>,
    contactOps: Map<string, Op>,
    everyContact: boolean,
  ): Set<SeatedCompany> {
    this.lastNowMs = nowMs;
    this.decided = 0;
    const touched = new Set<SeatedCompany>();
    /** Companies decided again (steps 1–5); the others keep their hint unless capacity moves them. */
    const redecided = new Set<SeatedCompany>();
    const inheritanceChanged = new Set<string>();
    const seated = { touched, redecided };
    this.running = { nowMs, contactOps, changed: [], inheritanceChanged, everyContact, seated };
    this.seating.begin();
    for (const [id, op] of companyOps) {
      let entry = this.companies.get(id);
      if (entry !== undefined) this.seating.remove(entry);
      if (entry !== undefined && op.drop) {
        this.companies.delete(id);
        this.counts.add('company', entry.tier, -1);
        this.delta.remove('company', id);
        inheritanceChanged.add(id);
        entry = undefined;
      }
      if (op.record !== undefined) {
        if (entry === undefined) {
          entry = newCompany(op.record, op.previous);
          this.companies.set(id, entry);
          this.counts.add('company', entry.tier, 1);
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
    return touched;
  }

  /** Settles the companies `seatRun` touched: tiers, reasons, hints. Returns those whose inheritance changed. */
  protected settleRun(): Set<string> {
    const running = this.running;
    if (running?.seated === undefined) throw new Error('no companies phase under way: seatCompanies first');
    const { nowMs, changed, inheritanceChanged } = running;
    const { touched, redecided } = running.seated;
    running.seated = undefined;
    for (const seated of touched) {
      const entry = seated as CompanyEntry;
      if (!entry.loaded) throw new Error(`company ${entry.id}: its row is not loaded (addCompanies)`);
      this.delta.write('company', entry.id);
      const reasons = [...entry.stepReasons, ...this.seating.reasonsOf(entry)];
      // Before `settle`: the previous tier is still the one the company was (last) decided with.
      const next =
        redecided.has(entry) || entry.final !== entry.tier
          ? hintOf(this.compiled, entry.record, entry.overrideTier >= 0, this.previousOf(entry), nowMs, -1, entry.final)
          : entry.next;
      if (this.settle(entry, entry.final, reasons, next, nowMs, changed)) inheritanceChanged.add(entry.id);
    }
    return inheritanceChanged;
  }

  /** Decides the run's contacts (`seatRun` and `settleRun` first); the decisions the run changed. */
  protected runContacts(): Decision[] {
    const running = this.running;
    if (running === undefined) throw new Error('no run under way');
    if (running.seated !== undefined) throw new Error('the companies are not settled: settleCompanies first');
    const { nowMs, contactOps, changed } = running;
    if (this.compiled.contact.inheritCompany) {
      for (const companyId of running.inheritanceChanged) {
        for (const id of this.contactsOf.of(companyId)) {
          if (!contactOps.has(id)) contactOps.set(id, { drop: false, record: undefined });
        }
      }
    }
    for (const [id, op] of contactOps) this.runContact(id, op, nowMs, changed);
    this.running = undefined;
    return changed;
  }

  private runContact(id: string, op: Op, nowMs: number, changed: Decision[]): void {
    let entry = this.contacts.get(id);
    if (entry !== undefined && (op.drop || op.record !== undefined)) this.contactsOf.remove(entry);
    if (entry !== undefined && op.drop) {
      this.contacts.delete(id);
      this.counts.add('contact', entry.tier, -1);
      this.delta.remove('contact', id);
      entry = undefined;
    }
    if (op.record !== undefined) {
      if (entry === undefined) {
        entry = newEntry(op.record, op.previous);
        this.contacts.set(id, entry);
        this.counts.add('contact', entry.tier, 1);
      } else {
        entry.record = op.record;
      }
      this.contactsOf.add(entry);
    }
    if (entry === undefined) return;
    this.delta.write('contact', id);
    const section = this.compiled.contact;
    const { companyId } = entry.record;
    const companyTier =
      section.inheritCompany && typeof companyId === 'string' ? this.companyTier(companyId) : undefined;
    const inherited =
      companyTier === undefined || typeof companyId !== 'string' ? undefined : { tier: companyTier, companyId };
    const previous = this.previousOf(entry);
    const decided = decideRecord(this.compiled, section, entry.record, previous, nowMs, inherited);
    const overridden = decided.overrideTier >= 0;
    const next = hintOf(this.compiled, entry.record, overridden, previous, nowMs, companyTier ?? -1, decided.tier);
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
    scheduleHold(this.holdsOf(entry.type), entry, section.minDaysInTier, nowMs);
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
      this.before?.note(entry);
      changed.push(decisionOf(this.compiled, entry.type, entry.id, tier, reasons, next));
    }
    entry.reasons = reasons;
    entry.next = next;
    if (tierChanged) {
      this.counts.add(entry.type, entry.tier, -1);
      this.counts.add(entry.type, tier, 1);
      entry.tier = tier;
      entry.sinceMs = nowMs;
      entry.pending = true;
      (entry.type === 'company' ? this.pendingCompanies : this.pendingContacts).add(entry.id);
    }
    return tierChanged;
  }
}
