/**
 * A tiering run. Records are added in input order: each company is decided up to its floors at
 * once (steps 1–5), each contact is kept with just the fields the policy reads. `settle()` applies
 * capacity over all companies (step 6); `decisions()` then yields one decision per record in input
 * order, deciding each contact from its company's final tier as it goes. `classify` is the whole
 * run over arrays.
 */
import { applyCapacity, rankValuesOf } from './capacity.ts';
import type { CapacityReport, Seatable } from './capacity.ts';
import { compilePolicy } from './compile.ts';
import type { CompiledPolicy } from './compile.ts';
import { decideRecord } from './decide.ts';
import type { KnownPrevious } from './decide.ts';
import type { Fields } from './conditions.ts';
import type { Policy } from './policy-types.ts';
import type { CanonicalRecord, PreviousTier, RecordType } from './records.ts';
import { SummaryBuilder } from './summary.ts';
import { U32List } from './u32-list.ts';
import type { RunSummary } from './summary.ts';

export interface Decision {
  readonly type: RecordType;
  readonly id: string;
  readonly tier: string;
  readonly reasons: readonly string[];
}

export interface ClassifyResult {
  readonly decisions: readonly Decision[];
  readonly summary: RunSummary;
}

/** Thrown when a record's id repeats within its type, or the run is used out of order. */
export class RunInputError extends Error {
  override readonly name = 'RunInputError';
  /** For a repeated id: the 0-based input position of the record that had it first. */
  readonly firstIndex: number | undefined;

  constructor(message: string, firstIndex?: number) {
    super(message);
    this.firstIndex = firstIndex;
  }
}

export interface RunOptions {
  /** The run's clock: hysteresis counts days in tier up to this instant. */
  readonly now: Date;
  readonly previous?: Iterable<PreviousTier> | undefined;
  /**
   * Whether previous tiers were given at all (the summary reports movements only then).
   * Defaults to true when `previous` is given.
   */
  readonly withPrevious?: boolean | undefined;
}

/**
 * Contacts wait for their companies' final tiers in columns, not as objects: a million of them
 * then cost a few arrays of values rather than two million small objects for the GC to trace.
 */
class ContactColumns {
  readonly ids: string[] = [];
  readonly companyIds: unknown[] = [];
  /** Contact index → override, only for contacts that have one set. */
  readonly overrides = new Map<number, unknown>();
  readonly values: unknown[][];
  private readonly fieldNames: readonly string[];

  constructor(fieldNames: readonly string[]) {
    this.fieldNames = fieldNames;
    this.values = fieldNames.map(() => []);
  }

  push(record: CanonicalRecord): void {
    const index = this.ids.length;
    this.ids.push(record.id);
    this.companyIds.push(record.companyId);
    if (record.override !== undefined && record.override !== null) this.overrides.set(index, record.override);
    const { fields } = record;
    for (let f = 0; f < this.fieldNames.length; f++) {
      const name = this.fieldNames[f] ?? '';
      this.values[f]?.push(Object.hasOwn(fields, name) ? fields[name] : undefined);
    }
  }

  /** The contact's fields (those the policy reads), as a short-lived object. */
  fields(index: number): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    for (let f = 0; f < this.fieldNames.length; f++) {
      const value = this.values[f]?.[index];
      if (value !== undefined) fields[this.fieldNames[f] ?? ''] = value;
    }
    return fields;
  }

  clear(): void {
    this.ids.length = 0;
    this.companyIds.length = 0;
    this.overrides.clear();
    for (const column of this.values) column.length = 0;
  }
}

const COMPANY = 1;
const CONTACT = 2;

/**
 * Previous tiers by record id: a map to a slot, and the slots' ranks and times in typed arrays, so
 * half a million previous tiers are not half a million small objects for the GC to trace.
 */
class PreviousTiers {
  private readonly slots = new Map<string, number>();
  private ranks = new Uint8Array(1 << 10);
  private since = new Float64Array(1 << 10);

  set(id: string, rank: number, sinceMs: number): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(id, slot);
      if (slot === this.ranks.length) {
        const ranks = new Uint8Array(slot * 2);
        ranks.set(this.ranks);
        this.ranks = ranks;
        const since = new Float64Array(slot * 2);
        since.set(this.since);
        this.since = since;
      }
    }
    this.ranks[slot] = rank;
    this.since[slot] = sinceMs;
  }

  get(id: string): KnownPrevious | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    return { rank: this.ranks[slot] ?? 0, sinceMs: this.since[slot] ?? 0 };
  }
}

export class TieringRun {
  readonly compiled: CompiledPolicy;
  private readonly nowMs: number;
  private readonly previous: Record<RecordType, PreviousTiers> = {
    company: new PreviousTiers(),
    contact: new PreviousTiers(),
  };
  /** Per record, in input order: COMPANY or CONTACT. */
  private readonly order = new U32List();
  private readonly companies: Seatable[] = [];
  /** id → index in `companies`, and the record's input position (for repeated ids). */
  private readonly companyIndex = new Map<string, number>();
  private readonly companyPositions: number[] = [];
  private readonly contacts: ContactColumns;
  private readonly contactIds = new Set<string>();
  private readonly summaryBuilder: SummaryBuilder;
  private capacityReports: CapacityReport[] | undefined;
  private decided = false;

  constructor(policy: Policy, options: RunOptions) {
    this.compiled = compilePolicy(policy);
    this.contacts = new ContactColumns(this.compiled.contactFields);
    this.nowMs = options.now.getTime();
    if (Number.isNaN(this.nowMs)) throw new RangeError('the run needs a valid "now"');
    for (const entry of options.previous ?? []) this.addPrevious(entry);
    this.summaryBuilder = new SummaryBuilder(policy.tiers, options.withPrevious ?? options.previous !== undefined);
  }

  /** Records a previous tier; one that is no longer a tier of the policy is ignored (spec §7). */
  addPrevious(entry: PreviousTier): void {
    const rank = this.compiled.rankOf.get(entry.tier);
    if (rank === undefined) return;
    const sinceMs = entry.sinceMs ?? Date.parse(entry.since);
    this.previous[entry.type].set(entry.id, rank, Number.isNaN(sinceMs) ? -Infinity : sinceMs);
  }

  /** Adds the next record in input order. Throws RunInputError when its id repeats within its type. */
  add(record: CanonicalRecord): void {
    if (this.capacityReports !== undefined) throw new RunInputError('records cannot be added after settle()');
    const position = this.order.length;
    if (record.type === 'company') {
      try {
        this.addCompany(record);
      } catch (error) {
        if (error instanceof RunInputError && error.firstIndex !== undefined) {
          throw new RunInputError(error.message, this.companyPositions[error.firstIndex]);
        }
        throw error;
      }
      this.companyPositions.push(position);
      this.order.push(COMPANY);
    } else {
      if (this.contactIds.has(record.id)) {
        throw new RunInputError(
          `contact id ${JSON.stringify(record.id)} appears twice`,
          this.contactPosition(record.id),
        );
      }
      this.contactIds.add(record.id);
      this.contacts.push(record);
      this.order.push(CONTACT);
    }
  }

  /** Step 6 over every company added; returns the capacity reports. */
  settle(): readonly CapacityReport[] {
    if (this.capacityReports !== undefined) return this.capacityReports;
    this.capacityReports = applyCapacity(this.compiled, this.companies);
    this.summaryBuilder.setCapacity(this.capacityReports);
    for (const company of this.companies) this.summaryBuilder.add('company', company.previousRank, company.tier);
    return this.capacityReports;
  }

  /**
   * One decision per record added, in input order (after `settle()`; once). Each contact is
   * decided as it is reached and then let go, so memory shrinks while the output is written.
   */
  *decisions(): Generator<Decision> {
    if (this.capacityReports === undefined)
      throw new RunInputError('settle() the companies before asking for decisions');
    if (this.decided) throw new RunInputError('decisions() can be read once per run');
    this.decided = true;
    let company = 0;
    let contact = 0;
    for (let position = 0; position < this.order.length; position++) {
      if (this.order.at(position) === COMPANY) {
        yield this.companyDecision(company++);
      } else {
        yield this.decideContact(contact++);
      }
    }
    this.contacts.clear();
    this.contactIds.clear();
  }

  /** The summary of everything decided so far. */
  summary(): RunSummary {
    return this.summaryBuilder.build();
  }

  /**
   * Steps 1–5 for one company, for callers that stream companies and contacts separately (the CLI).
   * A repeated id throws RunInputError whose `firstIndex` is the first company's number.
   */
  addCompany(record: CanonicalRecord): void {
    if (this.capacityReports !== undefined) throw new RunInputError('records cannot be added after settle()');
    const known = this.companyIndex.get(record.id);
    if (known !== undefined) throw new RunInputError(`company id ${JSON.stringify(record.id)} appears twice`, known);
    const previous = this.previous.company.get(record.id);
    const decided = decideRecord(this.compiled, this.compiled.company, record, previous, this.nowMs, undefined);
    this.companyIndex.set(record.id, this.companies.length);
    this.companies.push({
      id: record.id,
      tier: decided.tier,
      reasons: decided.reasons,
      overrideTier: decided.overrideTier,
      floorTier: decided.floorTier,
      previousRank: previous?.rank ?? -1,
      rankValues: this.compiled.rankFields.length === 0 ? [] : rankValuesOf(this.compiled, record.fields),
    });
  }

  /** The final decision of the `index`-th company added (after `settle()`). */
  companyDecisionAt(index: number): Decision {
    if (this.capacityReports === undefined) throw new RunInputError('settle() the companies first');
    return this.companyDecision(index);
  }

  /**
   * Decides one contact that was not `add`ed (after `settle()`), for callers that stream contacts
   * themselves; such callers check contact ids for repeats.
   */
  decideContactRecord(record: CanonicalRecord): Decision {
    if (this.capacityReports === undefined) throw new RunInputError('settle() the companies first');
    return this.decideContactOf(record.id, record.companyId, record.override, record.fields);
  }

  private companyDecision(index: number): Decision {
    const company = this.companies[index];
    if (company === undefined) throw new RunInputError(`no company number ${index} in this run`);
    return { type: 'company', id: company.id, tier: this.tierValue(company.tier), reasons: company.reasons };
  }

  private decideContact(index: number): Decision {
    const contacts = this.contacts;
    return this.decideContactOf(
      contacts.ids[index] ?? '',
      contacts.companyIds[index],
      contacts.overrides.get(index),
      contacts.fields(index),
    );
  }

  private decideContactOf(id: string, companyId: unknown, override: unknown, fields: Fields): Decision {
    const section = this.compiled.contact;
    const contact = { override, fields };
    const companyIndex =
      section.inheritCompany && typeof companyId === 'string' ? this.companyIndex.get(companyId) : undefined;
    const company = companyIndex === undefined ? undefined : this.companies[companyIndex];
    const inherited = company === undefined ? undefined : { tier: company.tier, companyId: company.id };
    const previous = this.previous.contact.get(id);
    const decided = decideRecord(this.compiled, section, contact, previous, this.nowMs, inherited);
    this.summaryBuilder.add('contact', previous?.rank ?? -1, decided.tier);
    return { type: 'contact', id, tier: this.tierValue(decided.tier), reasons: decided.reasons };
  }

  /** The input position of the contact with this id (only needed to report a repeated id). */
  private contactPosition(id: string): number | undefined {
    const index = this.contacts.ids.indexOf(id);
    let seen = -1;
    for (let position = 0; position < this.order.length; position++) {
      if (this.order.at(position) === CONTACT && ++seen === index) return position;
    }
    return undefined;
  }

  private tierValue(rank: number): string {
    return this.compiled.tiers[rank]?.value ?? '';
  }
}

/**
 * Decides every record (spec §4–§6): one decision per record, in input order, and the run summary.
 * The policy must have passed `validatePolicy`.
 */
export function classify(
  policy: Policy,
  records: readonly CanonicalRecord[],
  previous: Iterable<PreviousTier> | undefined,
  now: Date,
): ClassifyResult {
  const run = new TieringRun(policy, { now, previous });
  for (const record of records) run.add(record);
  run.settle();
  const decisions = [...run.decisions()];
  return { decisions, summary: run.summary() };
}
