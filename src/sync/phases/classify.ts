/**
 * Phase 2, classify: the whole installation from the mirror (capacity ranks every company, so an
 * incremental run classifies everything, not just what it read), with the deal totals worked out
 * from the mirrored deals over the mapping's window and the previous tiers (minimum time in tier).
 * Each decision is handed on as it is made rather than kept: a run never holds them all, with its
 * next-tier hint as a sentence over the record's values (../next-hint.ts).
 */
import { TieringRun } from '../../core/index.ts';
import type { CanonicalRecord, Policy, PreviousTier, RunSummary } from '../../core/index.ts';
import { dealTotals } from '../../mapping/mapping.ts';
import type { DealTotals } from '../../mapping/mapping.ts';
import type { Mapping } from '../../mapping/mapping.ts';
import type { MirrorDeal, Store } from '../../store/store.ts';
import { conditionFields, pick, withHint } from '../next-hint.ts';
import type { HintedDecision } from '../next-hint.ts';

/** Records read from the store at a time. */
const PAGE = 500;

/** The deal-size window of the mapping (days). */
export function windowDaysOf(mapping: Mapping): number {
  return mapping.company.deals?.dealSize?.windowDays ?? 365;
}

/** A mirrored company as classified: with its deal totals, as the mapping asks for them. */
export function withDealTotals<T extends CanonicalRecord>(
  record: T,
  total: DealTotals | undefined,
  mapping: Mapping,
): T {
  const dealsConfig = mapping.company.deals;
  const fields = { ...record.fields };
  if (dealsConfig?.dealSize !== undefined) fields['dealSize'] = total?.dealSize ?? 0;
  if (dealsConfig?.openDealAmount === true) fields['openDealAmount'] = total?.openDealAmount ?? 0;
  return { ...record, fields };
}

/** Every mirrored record as classified at `now` (companies with their deal totals): a full classification's input. */
export async function mirroredForClassifying(
  store: Store,
  installationId: string,
  mapping: Mapping,
  now: Date,
): Promise<CanonicalRecord[]> {
  const deals: MirrorDeal[] = [];
  for await (const deal of store.deals(installationId)) deals.push(deal);
  const totals = dealTotals(deals, now.getTime(), windowDaysOf(mapping));
  deals.length = 0;
  const records: CanonicalRecord[] = [];
  for await (const page of store.records(installationId, PAGE)) {
    for (const record of page) {
      records.push(record.type === 'company' ? withDealTotals(record, totals.get(record.id), mapping) : record);
    }
  }
  return records;
}

/** Classifies every mirrored record with the deal totals and previous tiers from the store. */
export async function classifyInstallation(
  store: Store,
  installationId: string,
  mapping: Mapping,
  policy: Policy,
  now: Date,
): Promise<{ decisions: HintedDecision[]; summary: RunSummary }> {
  const decisions: HintedDecision[] = [];
  const summary = await classifyEach(store, installationId, mapping, policy, now, undefined, (decision) => {
    decisions.push(decision);
    return undefined;
  });
  return { decisions, summary };
}

/**
 * Classifies every mirrored record, handing each decision to `onDecision` as it is made
 * (companies first, then contacts) rather than keeping them: companies are held (capacity ranks
 * them all), contacts are read a second time from the store, a page at a time. A promise from
 * `onDecision` is waited for before the next decision.
 */
export async function classifyEach(
  store: Store,
  installationId: string,
  mapping: Mapping,
  policy: Policy,
  now: Date,
  /** The previous tiers, when the caller has them at hand; otherwise read from the store. */
  previous: Iterable<PreviousTier> | undefined,
  onDecision: (decision: HintedDecision) => Promise<void> | undefined,
): Promise<RunSummary> {
  const windowDays = windowDaysOf(mapping);
  const deals: MirrorDeal[] = [];
  for await (const deal of store.deals(installationId)) deals.push(deal);
  const totals = dealTotals(deals, now.getTime(), windowDays);
  deals.length = 0;
  const run = new TieringRun(policy, { now, previous, withPrevious: true });
  if (previous === undefined) for await (const entry of store.previousTiers(installationId)) run.addPrevious(entry);
  let companies = 0;
  // Each company's values its hint can be about, until its final decision (after capacity).
  const hintFields = conditionFields(policy);
  const companyValues: Record<string, unknown>[] = [];
  for await (const page of store.records(installationId, PAGE)) {
    for (const record of page) {
      if (record.type === 'contact') continue;
      const company = withDealTotals(record, totals.get(record.id), mapping);
      run.addCompany(company);
      companyValues.push(pick(company.fields, hintFields));
      companies++;
    }
  }
  totals.clear();
  run.settle();
  // Awaited only when the callback has work in flight (a microtask per decision adds up).
  for (let index = 0; index < companies; index++) {
    const pending = onDecision(withHint(run.companyDecisionAt(index), companyValues[index] ?? {}, policy));
    if (pending !== undefined) await pending;
  }
  for await (const page of store.records(installationId, PAGE)) {
    for (const record of page) {
      if (record.type !== 'contact') continue;
      const pending = onDecision(withHint(run.decideContact(record), record.fields, policy));
      if (pending !== undefined) await pending;
    }
  }
  return run.summary();
}
