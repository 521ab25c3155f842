/**
 * A tiering run: companies first (steps 1–5 each, then capacity over all of them), then contacts,
 * which inherit their company's final tier. `TieringRun` lets a caller stream records through;
 * `classify` is the whole run over arrays.
 */
import { applyCapacity, rankValuesOf } from './capacity.ts';
import type { CapacityReport, Seatable } from './capacity.ts';
import { compilePolicy } from './compile.ts';
import type { CompiledPolicy } from './compile.ts';
import { decideRecord } from './decide.ts';
import type { KnownPrevious } from './decide.ts';
import type { Policy } from './policy-types.ts';
import type { CanonicalRecord, PreviousTier, RecordType } from './records.ts';
import { SummaryBuilder } from './summary.ts';
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

type CompanyState = Seatable;

export class TieringRun {
  readonly compiled: CompiledPolicy;
  private readonly nowMs: number;
  private readonly previous: Record<RecordType, Map<string, KnownPrevious>> = {
    company: new Map(),
    contact: new Map(),
  };
  private readonly companies: CompanyState[] = [];
  private readonly companyIndex = new Map<string, number>();
  private readonly contactIds = new Set<string>();
  private readonly summaryBuilder: SummaryBuilder;
  private capacityReports: CapacityReport[] | undefined;

  constructor(policy: Policy, options: RunOptions) {
    this.compiled = compilePolicy(policy);
    this.nowMs = options.now.getTime();
    if (Number.isNaN(this.nowMs)) throw new RangeError('the run needs a valid "now"');
    for (const entry of options.previous ?? []) this.addPrevious(entry);
    this.summaryBuilder = new SummaryBuilder(policy.tiers, options.withPrevious ?? options.previous !== undefined);
  }

  /** Records a previous tier; one that is no longer a tier of the policy is ignored (spec §7). */
  addPrevious(entry: PreviousTier): void {
    const rank = this.compiled.rankOf.get(entry.tier);
    const sinceMs = Date.parse(entry.since);
    if (rank === undefined) return;
    this.previous[entry.type].set(entry.id, { rank, sinceMs: Number.isNaN(sinceMs) ? -Infinity : sinceMs });
  }

  /** Steps 1–5 for a company. All companies must be added before `settleCompanies`. */
  addCompany(record: CanonicalRecord): void {
    if (this.capacityReports !== undefined) throw new RunInputError('companies were already settled');
    if (this.companyIndex.has(record.id))
      throw new RunInputError(`company id ${JSON.stringify(record.id)} appears twice`);
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

  /** Step 6 over every company added; returns the capacity reports. */
  settleCompanies(): readonly CapacityReport[] {
    if (this.capacityReports !== undefined) return this.capacityReports;
    this.capacityReports = applyCapacity(this.compiled, this.companies);
    this.summaryBuilder.setCapacity(this.capacityReports);
    for (const company of this.companies) this.summaryBuilder.add('company', company.previousRank, company.tier);
    return this.capacityReports;
  }

  get companyCount(): number {
    return this.companies.length;
  }

  /** The final decision of the company added `index`-th (after `settleCompanies`). */
  companyDecisionAt(index: number): Decision {
    this.requireSettled();
    const company = this.companies[index];
    if (company === undefined) throw new RunInputError(`no company number ${index} in this run`);
    return { type: 'company', id: company.id, tier: this.tierValue(company.tier), reasons: company.reasons };
  }

  companyDecision(id: string): Decision | undefined {
    const index = this.companyIndex.get(id);
    return index === undefined ? undefined : this.companyDecisionAt(index);
  }

  /** Decides a contact (after `settleCompanies`, so that its company's tier is final). */
  decideContact(record: CanonicalRecord): Decision {
    this.requireSettled();
    if (this.contactIds.has(record.id))
      throw new RunInputError(`contact id ${JSON.stringify(record.id)} appears twice`);
    this.contactIds.add(record.id);
    const section = this.compiled.contact;
    const companyId = record.companyId;
    const companyIndex =
      section.inheritCompany && typeof companyId === 'string' ? this.companyIndex.get(companyId) : undefined;
    const company = companyIndex === undefined ? undefined : this.companies[companyIndex];
    const inherited = company === undefined ? undefined : { tier: company.tier, companyId: company.id };
    const previous = this.previous.contact.get(record.id);
    const decided = decideRecord(this.compiled, section, record, previous, this.nowMs, inherited);
    this.summaryBuilder.add('contact', previous?.rank ?? -1, decided.tier);
    return { type: 'contact', id: record.id, tier: this.tierValue(decided.tier), reasons: decided.reasons };
  }

  /** The summary of everything decided so far. */
  summary(): RunSummary {
    return this.summaryBuilder.build();
  }

  private tierValue(rank: number): string {
    return this.compiled.tiers[rank]?.value ?? '';
  }

  private requireSettled(): void {
    if (this.capacityReports === undefined) throw new RunInputError('settle the companies before deciding contacts');
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
  for (const record of records) if (record.type === 'company') run.addCompany(record);
  run.settleCompanies();
  let companyNumber = 0;
  const decisions = records.map((record) =>
    record.type === 'company' ? run.companyDecisionAt(companyNumber++) : run.decideContact(record),
  );
  return { decisions, summary: run.summary() };
}
