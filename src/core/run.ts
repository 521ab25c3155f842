/**
 * A tiering run. Companies are added first (each decided up to its floors at once, steps 1–5);
 * `settle()` applies capacity over all of them (step 6); then each contact is decided against its
 * company's final tier. `classify` is the whole run over arrays; the CLI streams through the same
 * methods.
 */
import { applyCapacity, rankValuesOf } from './capacity.ts';
import type { CapacityReport, Seatable } from './capacity.ts';
import { compilePolicy } from './compile.ts';
import type { CompiledPolicy } from './compile.ts';
import { decideRecord } from './decide.ts';
import type { KnownPrevious } from './decide.ts';
import { findLevers, hintFor } from './next.ts';
import type { NextHint, RankedHint } from './next.ts';
import type { Policy } from './policy-types.ts';
import type { CanonicalRecord, PreviousTier, RecordType } from './records.ts';
import { SummaryBuilder } from './summary.ts';
import type { RunSummary } from './summary.ts';

export interface Decision {
  readonly type: RecordType;
  readonly id: string;
  readonly tier: string;
  readonly reasons: readonly string[];
  /**
   * What would move the record up (spec §8); absent for an overridden record, a record in the
   * highest tier, and a record with no lever.
   */
  readonly next?: NextHint;
}

export interface ClassifyResult {
  readonly decisions: readonly Decision[];
  readonly summary: RunSummary;
}

/** Thrown when a record's id repeats within its type, or the run is used out of order. */
export class RunInputError extends Error {
  override readonly name = 'RunInputError';
  /** For a repeated id: the 0-based number of the record that had it first (among its type). */
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

/** A company between steps 1–5 and its final decision: what capacity needs, and its levers. */
interface Company extends Seatable {
  /** Its best levers for each tier capacity could still leave it in (spec §8). */
  readonly levers: readonly RankedHint[];
}

/** A decision, with `next` only when there is one (exactOptionalPropertyTypes). */
function decision(
  type: RecordType,
  id: string,
  tier: string,
  reasons: readonly string[],
  next: NextHint | undefined,
): Decision {
  return next === undefined ? { type, id, tier, reasons } : { type, id, tier, reasons, next };
}

export class TieringRun {
  readonly compiled: CompiledPolicy;
  private readonly nowMs: number;
  private readonly previous: Record<RecordType, PreviousTiers> = {
    company: new PreviousTiers(),
    contact: new PreviousTiers(),
  };
  private readonly companies: Company[] = [];
  /** Per tier rank: whether it has a capacity (step 6 can move a company out of it). */
  private readonly capacityAt: boolean[];
  /** id → index in `companies`. */
  private readonly companyIndex = new Map<string, number>();
  private readonly summaryBuilder: SummaryBuilder;
  private capacityReports: CapacityReport[] | undefined;

  constructor(policy: Policy, options: RunOptions) {
    this.compiled = compilePolicy(policy);
    this.capacityAt = policy.tiers.map((_, rank) => this.compiled.capacities.some((c) => c.tier === rank));
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

  /**
   * Steps 1–5 for one company. Every company must be added before `settle()`. A repeated id throws
   * RunInputError whose `firstIndex` is the first company's number.
   */
  addCompany(record: CanonicalRecord): void {
    if (this.capacityReports !== undefined) throw new RunInputError('companies cannot be added after settle()');
    const known = this.companyIndex.get(record.id);
    if (known !== undefined) throw new RunInputError(`company id ${JSON.stringify(record.id)} appears twice`, known);
    const previous = this.previous.company.get(record.id);
    const section = this.compiled.company;
    const decided = decideRecord(this.compiled, section, record, previous, this.nowMs, undefined);
    // Capacity only moves a company down, one tier per oversubscribed tier it passes through, and
    // never out of a tier its floor pins it to: its final tier lies between `lowest` and its tier now.
    let lowest = decided.tier;
    while (this.capacityAt[lowest] === true && decided.floorTier < lowest) lowest--;
    const levers =
      decided.overrideTier >= 0
        ? []
        : findLevers(
            this.compiled,
            section,
            { fields: record.fields, previous, nowMs: this.nowMs, inheritedTier: -1 },
            lowest,
            decided.tier,
          );
    this.companyIndex.set(record.id, this.companies.length);
    this.companies.push({
      id: record.id,
      tier: decided.tier,
      reasons: decided.reasons,
      overrideTier: decided.overrideTier,
      floorTier: decided.floorTier,
      previousRank: previous?.rank ?? -1,
      rankValues: this.compiled.rankFields.length === 0 ? [] : rankValuesOf(this.compiled, record.fields),
      levers,
    });
  }

  /** Step 6 over every company added; returns the capacity reports. */
  settle(): readonly CapacityReport[] {
    if (this.capacityReports !== undefined) return this.capacityReports;
    this.capacityReports = applyCapacity(this.compiled, this.companies);
    this.summaryBuilder.setCapacity(this.capacityReports);
    for (const company of this.companies) this.summaryBuilder.add('company', company.previousRank, company.tier);
    return this.capacityReports;
  }

  /** The final decision of the `index`-th company added (after `settle()`). */
  companyDecisionAt(index: number): Decision {
    this.requireSettled();
    const company = this.companies[index];
    if (company === undefined) throw new RunInputError(`no company number ${index} in this run`);
    return decision(
      'company',
      company.id,
      this.tierValue(company.tier),
      company.reasons,
      hintFor(company.levers, company.tier),
    );
  }

  /**
   * Decides one contact (after `settle()`, so that its company's tier is final). Contact ids are
   * the caller's to check for repeats.
   */
  decideContact(record: CanonicalRecord): Decision {
    this.requireSettled();
    const section = this.compiled.contact;
    const { companyId } = record;
    const companyIndex =
      section.inheritCompany && typeof companyId === 'string' ? this.companyIndex.get(companyId) : undefined;
    const company = companyIndex === undefined ? undefined : this.companies[companyIndex];
    const inherited = company === undefined ? undefined : { tier: company.tier, companyId: company.id };
    const previous = this.previous.contact.get(record.id);
    const decided = decideRecord(this.compiled, section, record, previous, this.nowMs, inherited);
    this.summaryBuilder.add('contact', previous?.rank ?? -1, decided.tier);
    const next =
      decided.overrideTier >= 0
        ? undefined
        : hintFor(
            findLevers(
              this.compiled,
              section,
              { fields: record.fields, previous, nowMs: this.nowMs, inheritedTier: inherited?.tier ?? -1 },
              decided.tier,
              decided.tier,
            ),
            decided.tier,
          );
    return decision('contact', record.id, this.tierValue(decided.tier), decided.reasons, next);
  }

  /** The summary of everything decided so far. */
  summary(): RunSummary {
    return this.summaryBuilder.build();
  }

  private tierValue(rank: number): string {
    return this.compiled.tiers[rank]?.value ?? '';
  }

  private requireSettled(): void {
    if (this.capacityReports === undefined) throw new RunInputError('settle() the companies first');
  }
}

/**
 * Decides every record (spec §4–§6): one decision per record, in input order, and the run summary.
 * The policy must have passed `validatePolicy`. A repeated id within a type throws RunInputError.
 */
export function classify(
  policy: Policy,
  records: readonly CanonicalRecord[],
  previous: Iterable<PreviousTier> | undefined,
  now: Date,
): ClassifyResult {
  const run = new TieringRun(policy, { now, previous });
  for (const record of records) if (record.type === 'company') run.addCompany(record);
  run.settle();
  const contactIds = new Set<string>();
  let companyNumber = 0;
  const decisions = records.map((record) => {
    if (record.type === 'company') return run.companyDecisionAt(companyNumber++);
    if (contactIds.has(record.id)) throw new RunInputError(`contact id ${JSON.stringify(record.id)} appears twice`);
    contactIds.add(record.id);
    return run.decideContact(record);
  });
  return { decisions, summary: run.summary() };
}
