/**
 * The sync engine, one for every connector: pull changes → update the mirror → classify the whole
 * installation (capacity needs every company) → diff each decision against what was last written
 * → record the changed tiers and their history in the store as they come → write them to the CRM
 * from there, a batch at a time → advance the cursors only after the writes are committed, so a
 * crash never skips a change (the next run re-reads the overlap and re-writes anything not marked
 * written).
 */
import { TieringRun } from '../core/index.ts';
import type { CanonicalRecord, Decision, Policy, PreviousTier, RecordType, RunSummary } from '../core/index.ts';
import { dealTotals, DEAL_FIELDS, mapCompany, mapContact, mapDeal, propertiesToRead } from '../mapping/mapping.ts';
import type { Mapping } from '../mapping/mapping.ts';
import type { MirrorDeal, Store } from '../store/store.ts';
import type { Connector, RecordUpdate, TierProperties } from './connector.ts';
import { LastWrittenTable } from './last-written.ts';
import { resolveMapping } from './lead-score.ts';
import { NO_TIER, reasonText, textHash, tierValue, withoutRank } from './tier-value.ts';

export { textHash, withoutRank } from './tier-value.ts';

export type { TierProperties } from './connector.ts';

export const HUBSPOT_TIER_PROPERTIES: TierProperties = {
  tier: 'engagement_model',
  reason: 'engagement_model_reason',
  updatedAt: 'engagement_model_updated_at',
};

export interface SyncOptions {
  readonly store: Store;
  readonly connector: Connector;
  readonly mapping: Mapping;
  readonly installationId: string;
  readonly policy: Policy;
  /** A full sync reads everything (and drops records deleted in the CRM); otherwise only changes. */
  readonly full?: boolean;
  /**
   * Only these records changed (a webhook said so): read them by id, re-classify the whole
   * installation, write what moved. No search, no removals, and the cursors stay where they
   * are (the scheduled incremental runs still look at everything). Needs the connector's
   * `readByIds`/`readDealsByIds`. Not with `full`.
   */
  readonly only?: ChangedRecords | undefined;
  /** Everything but the writes: what would change, and the API calls it would cost. */
  readonly dryRun?: boolean;
  /** How far before the last cursor an incremental read starts (default 5 minutes). */
  readonly overlapMs?: number;
  readonly tierProperties?: TierProperties;
  readonly clock?: (() => Date) | undefined;
  /** Records per update call (HubSpot: 100). */
  readonly batchSize?: number | undefined;
  /** Called after every page read and every batch written (for progress bars). */
  readonly onProgress?: ((progress: SyncProgress) => void) | undefined;
  /**
   * Asked after every page read, before classifying and before the CRM writes: true stops the run with a
   * `RunStoppedError` (it may also throw one itself, with a more precise reason). The run is
   * recorded as failed and the cursors stay where they were, so nothing is lost: the next run
   * picks up (tiers recorded but not written are written then). Once the CRM writes have begun,
   * the run finishes.
   */
  readonly shouldStop?: (() => boolean) | undefined;
}

/** Records a change event named, by object type (CRM ids). */
export interface ChangedRecords {
  readonly companies: readonly string[];
  readonly contacts: readonly string[];
  readonly deals: readonly string[];
}

/** A run stopped on request (`shouldStop`) before its writes: the next run picks up. */
export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';

  constructor(message = 'stopped before the writes (asked to stop); the next run picks up') {
    super(message);
  }
}

export type SyncProgress =
  | { readonly phase: 'read'; readonly type: 'companies' | 'contacts' | 'deals'; readonly done: number }
  | { readonly phase: 'write'; readonly done: number; readonly total: number };

export interface SyncReport {
  readonly runId: string;
  /** `changes`: a run over the records a change event named (`only`). */
  readonly kind: 'full' | 'incremental' | 'changes';
  readonly dryRun: boolean;
  /** The run's clock when it classified (deal-size windows and days in tier count up to it). */
  readonly classifiedAt: number;
  readonly pulled: { readonly companies: number; readonly contacts: number; readonly deals: number };
  readonly deleted: number;
  readonly decided: number;
  /** Records whose tier or reason differ from what was last written (or were never written). */
  readonly changed: number;
  readonly written: number;
  readonly rejected: readonly { readonly type: RecordType; readonly id: string; readonly error: string }[];
  /** Records whose tier changed (not just the reason), the first `MOVES_SHOWN` of them. */
  readonly moves: readonly TierMove[];
  readonly moved: number;
  /** The policy's tier labels by value, to show moves to people. */
  readonly tierLabels: Readonly<Record<string, string>>;
  /** Update calls made (or, in a dry run, that applying would make). */
  readonly writeCalls: number;
  readonly apiCalls: number;
  /** 429 answers the run met (and waited out). */
  readonly rateLimited: number;
  readonly summary: RunSummary;
  /** The lead-score property, when the mapping discovers it (lead-score.ts): read, picked now, or none. */
  readonly leadScore?: {
    readonly property: string | null;
    readonly source: string;
    readonly warnings: readonly string[];
  };
}

export interface TierMove {
  readonly type: RecordType;
  readonly id: string;
  readonly from: string | null;
  readonly to: string;
  readonly reasons: readonly string[];
}

const MOVES_SHOWN = 100;

const CURSOR = { companies: 'companies.modified', contacts: 'contacts.modified', deals: 'deals.modified' } as const;
const DEFAULT_OVERLAP_MS = 5 * 60_000;
const PAGE = 500;
/** Changed decisions recorded in the store at a time while classifying. */
const RECORD_CHUNK = 1000;

export async function sync(options: SyncOptions): Promise<SyncReport> {
  const { store, connector, installationId } = options;
  const clock = options.clock ?? (() => new Date());
  const full = options.full === true;
  const only = options.only;
  if (only !== undefined && full) throw new Error('a full sync reads everything: it cannot be limited to some records');
  if (only !== undefined && (connector.readByIds === undefined || connector.readDealsByIds === undefined)) {
    throw new Error(`the ${connector.crm} connector cannot read records by id: run an incremental sync instead`);
  }
  const dryRun = options.dryRun === true;
  const kind = full ? 'full' : only === undefined ? 'incremental' : 'changes';
  const startedAt = clock().getTime();
  const run = await store.startRun(installationId, dryRun ? `${kind} (dry run)` : kind, startedAt);
  const callsBefore = connector.apiCalls;
  const limitedBefore = connector.rateLimited ?? 0;
  const checkStop = (): void => {
    if (options.shouldStop?.() === true) throw new RunStoppedError();
  };
  try {
    // 0. The properties the mapping leaves to discover (the portal's lead-score property).
    const { mapping, leadScore } = await resolveMapping(store, connector, installationId, options.mapping);
    // 1. Pull changes into the mirror.
    const cursors = await Promise.all(
      (['companies', 'contacts', 'deals'] as const).map(async (type) => {
        const value = full || only !== undefined ? undefined : await store.getCursor(installationId, CURSOR[type]);
        return value === undefined ? undefined : Number(value) - (options.overlapMs ?? DEFAULT_OVERLAP_MS);
      }),
    );
    const pulled = { companies: 0, contacts: 0, deals: 0 };
    // Ids read, for a full sync to drop the mirrored records the CRM no longer has.
    const seen = { company: new Set<string>(), contact: new Set<string>(), deal: new Set<string>() };
    const properties = options.tierProperties ?? connector.tierProperties ?? HUBSPOT_TIER_PROPERTIES;
    // What was last written, so the tier values read back from the CRM can be checked against it;
    // also the previous tiers of the classification (one pass over the store for both).
    const stored = new LastWrittenTable();
    for await (const tier of store.storedTiers(installationId)) stored.add(tier);
    // Records whose tier in the CRM is not what we last wrote (edited by hand, a write lost in a
    // crash, a store started afresh): their value in the CRM, so the diff below compares with it.
    const inCrm = new Map<string, string>();
    for (const [index, type] of (['companies', 'contacts'] as const).entries()) {
      const recordType = type === 'companies' ? 'company' : 'contact';
      const wanted = [...propertiesToRead(mapping, recordType), properties.tier, properties.reason];
      const pages =
        only === undefined
          ? connector.read(type, { properties: wanted, modifiedSince: cursors[index], currency: mapping.currency })
          : only[type].length === 0
            ? []
            : (connector.readByIds?.(type, only[type], wanted) ?? []);
      for await (const page of pages) {
        const records = page.map((object) =>
          recordType === 'company' ? withoutDealFields(mapCompany(mapping, object)) : mapContact(mapping, object),
        );
        await store.upsertRecords(installationId, records, startedAt);
        for (const object of page) {
          if (full) seen[recordType].add(object.id);
          const value = tierValue(object.properties[properties.tier], object.properties[properties.reason]);
          const before = stored.get(recordType, object.id);
          const differs =
            !(before === undefined && value === NO_TIER) && // never written, nothing in the CRM: written anyway
            (before === undefined || !before.written || textHash(value) !== before.hash);
          // Keyed only when there is something to keep or to forget (not per record read).
          if (differs) inCrm.set(`${recordType}\u0000${object.id}`, value);
          else if (inCrm.size > 0) inCrm.delete(`${recordType}\u0000${object.id}`);
        }
        pulled[type] += records.length;
        options.onProgress?.({ phase: 'read', type, done: pulled[type] });
        checkStop();
      }
    }
    if (mapping.deal !== undefined) {
      const dealProperties = propertiesToRead(mapping, 'deal');
      const pages =
        only === undefined
          ? connector.readDeals({ properties: dealProperties, modifiedSince: cursors[2], currency: mapping.currency })
          : only.deals.length === 0
            ? []
            : (connector.readDealsByIds?.(only.deals, dealProperties) ?? []);
      for await (const page of pages) {
        const deals: MirrorDeal[] = [];
        const orphans: string[] = [];
        for (const object of page) {
          if (full) seen.deal.add(object.id);
          if (object.companyId === null) orphans.push(object.id);
          else deals.push({ id: object.id, ...mapDeal(mapping, object, object.companyId) });
        }
        await store.upsertDeals(installationId, deals);
        await store.deleteDeals(installationId, orphans);
        pulled.deals += page.length;
        options.onProgress?.({ phase: 'read', type: 'deals', done: pulled.deals });
        checkStop();
      }
    }
    let deleted = 0;
    if (connector.readRemovals !== undefined && only === undefined) {
      // Before dropping the unseen: a converted lead's history goes to its contact, not away.
      for await (const page of connector.readRemovals(cursors[0])) {
        for (const removal of page) {
          if (removal.successorId !== null) {
            await store.carryOver(installationId, removal.type, removal.id, removal.successorId);
            stored.carryOver(removal.type, removal.id, removal.successorId);
          } else {
            await store.deleteRecords(installationId, removal.type, [removal.id]);
          }
          seen[removal.type].delete(removal.id);
        }
        deleted += page.length;
        checkStop();
      }
    }
    if (full) deleted += await dropUnseen(store, installationId, seen);
    for (const ids of Object.values(seen)) ids.clear();

    // 2. Classify the whole installation, and 3. diff each decision as it comes against what was
    // last written and, for records read this run, what the CRM holds. What changed is recorded in
    // the store as it comes (history first, so a crash re-writes rather than forgets), a chunk at a
    // time, and 4. written to the CRM from there: a run never holds all its changed decisions (on
    // a first sync that is every record).
    checkStop();
    const now = clock();
    const at = now.getTime();
    const changed = { company: 0, contact: 0 };
    let toRecord: Decision[] = [];
    let alreadyInCrm: Decision[] = [];
    const recordChunk = async (): Promise<void> => {
      const changes = toRecord;
      const shown = alreadyInCrm;
      if (changes.length === 0 && shown.length === 0) return;
      toRecord = [];
      alreadyInCrm = [];
      await store.applyTierChanges(installationId, run.id, changes, at);
      // The CRM already shows these (e.g. the store was started afresh): record them, write nothing.
      await store.applyTierChanges(installationId, run.id, shown, at);
      for (const type of ['company', 'contact'] as const) {
        await store.markWritten(
          installationId,
          type,
          shown.filter((d) => d.type === type).map((d) => d.id),
          at,
        );
      }
    };
    const moves: TierMove[] = [];
    let moved = 0;
    let decided = 0;
    const summary = await classifyEach(
      store,
      installationId,
      mapping,
      options.policy,
      now,
      stored.previous(),
      (decision) => {
        decided++;
        const wanted = tierValue(decision.tier, reasonText(decision.reasons));
        const crmValue = inCrm.size === 0 ? undefined : inCrm.get(`${decision.type}\u0000${decision.id}`);
        const before = stored.get(decision.type, decision.id);
        if ((before?.tier ?? null) !== decision.tier) {
          moved++;
          if (moves.length < MOVES_SHOWN) {
            moves.push({
              type: decision.type,
              id: decision.id,
              from: before?.tier ?? null,
              to: decision.tier,
              reasons: decision.reasons,
            });
          }
        }
        const wantedHash = textHash(wanted);
        // Only an over-capacity rank moved ("ranked 134th" → "135th": any company moving above it
        // shifts every rank below): full runs (the nightly reconcile) rewrite it, others leave it, so
        // that one deal does not rewrite thousands of waitlisted companies and their contacts. (A
        // record in `inCrm` shows something else than was written: it is put right, rank and all.)
        if (
          !full &&
          crmValue === undefined &&
          before?.written === true &&
          before.tier === decision.tier &&
          before.hash !== wantedHash &&
          textHash(withoutRank(wanted)) === before.ranklessHash
        ) {
          return;
        }
        let change: boolean;
        if (crmValue !== undefined) {
          change = crmValue !== wanted;
          if (!change && !dryRun) alreadyInCrm.push(decision);
        } else {
          change = before === undefined || !before.written || before.hash !== wantedHash;
        }
        if (change) {
          changed[decision.type]++;
          if (!dryRun) toRecord.push(decision);
        }
        return toRecord.length + alreadyInCrm.length >= RECORD_CHUNK ? recordChunk() : undefined;
      },
    );
    await recordChunk();
    stored.clear();
    inCrm.clear();
    // Last chance to stop before the CRM sees anything: what was recorded stays unwritten, so the
    // next run writes it (no history twice: the tier it records is the one already there).
    checkStop();
    const batchSize = options.batchSize ?? connector.writeBatchSize ?? 100;
    const estimate = (count: number, type: RecordType): number =>
      connector.estimateWriteCalls?.(count, type) ?? Math.ceil(count / batchSize);
    const writeCalls = estimate(changed.company, 'company') + estimate(changed.contact, 'contact');
    const total = changed.company + changed.contact;

    // 4. Write to the CRM what is recorded and not written yet, a batch at a time.
    let written = 0;
    let attempted = 0;
    const rejected: { type: RecordType; id: string; error: string }[] = [];
    if (!dryRun) {
      for (const type of ['company', 'contact'] as const) {
        for await (const batch of store.unwrittenTiers(installationId, type, batchSize)) {
          const updates: RecordUpdate[] = batch.map((tier) => ({
            id: tier.id,
            properties: {
              [properties.tier]: tier.tier,
              [properties.reason]: reasonText(tier.reasons),
              [properties.updatedAt]: (properties.formatTime ?? String)(at),
            },
          }));
          const result = await connector.update(type, updates);
          await store.markWritten(installationId, type, result.written, at);
          await store.clearRejected(installationId, type, result.written);
          await store.reject(
            installationId,
            run.id,
            result.rejected.map((r) => ({ type, recordId: r.id, error: r.error })),
            at,
          );
          written += result.written.length;
          attempted += batch.length;
          options.onProgress?.({ phase: 'write', done: attempted, total: Math.max(total, attempted) });
          for (const r of result.rejected) rejected.push({ type, id: r.id, error: r.error });
        }
      }
      // 5. Only now move the cursors: everything up to the start of this run is in. A run over
      // some records leaves them: it did not look at the others.
      if (only === undefined) {
        for (const type of ['companies', 'contacts', 'deals'] as const) {
          await store.setCursor(installationId, CURSOR[type], String(startedAt));
        }
      }
    }

    const report: SyncReport = {
      runId: run.id,
      kind,
      dryRun,
      classifiedAt: at,
      pulled,
      deleted,
      decided,
      changed: total,
      moves,
      moved,
      tierLabels: Object.fromEntries(options.policy.tiers.map((tier) => [tier.value, tier.label])),
      written,
      rejected,
      writeCalls,
      apiCalls: connector.apiCalls - callsBefore,
      rateLimited: (connector.rateLimited ?? 0) - limitedBefore,
      summary,
      ...(leadScore === undefined
        ? {}
        : { leadScore: { property: leadScore.property, source: leadScore.source, warnings: leadScore.warnings } }),
    };
    await store.finishRun(
      run.id,
      {
        status: rejected.length > 0 ? 'partial' : 'succeeded',
        counts: {
          companies: pulled.companies,
          contacts: pulled.contacts,
          deals: pulled.deals,
          deleted,
          decided: report.decided,
          changed: report.changed,
          written,
          rejected: rejected.length,
          apiCalls: report.apiCalls,
          // The tier mix after the run, for "distribution over time".
          ...Object.fromEntries(
            (['company', 'contact'] as const).flatMap((type) =>
              Object.entries(summary[type].tiers).map(([tier, count]) => [`tiers.${type}.${tier}`, count]),
            ),
          ),
        },
        errors: rejected.slice(0, 100).map((r) => `${r.type} ${r.id}: ${r.error}`),
      },
      clock().getTime(),
    );
    return report;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await store.finishRun(run.id, { status: 'failed', counts: {}, errors: [message] }, clock().getTime());
    throw error;
  }
}

/** Deal totals are worked out at classification time from the mirrored deals, not stored. */
function withoutDealFields(record: CanonicalRecord): CanonicalRecord {
  const dealFields: readonly string[] = DEAL_FIELDS;
  const fields = Object.fromEntries(Object.entries(record.fields).filter(([name]) => !dealFields.includes(name)));
  return { ...record, fields };
}

/** A full sync saw every record the CRM has: mirrored ones it did not see were deleted or merged. */
async function dropUnseen(
  store: Store,
  installationId: string,
  seen: { company: Set<string>; contact: Set<string>; deal: Set<string> },
): Promise<number> {
  let dropped = 0;
  const gone: Record<RecordType, string[]> = { company: [], contact: [] };
  for await (const page of store.records(installationId)) {
    for (const record of page) if (!seen[record.type].has(record.id)) gone[record.type].push(record.id);
  }
  for (const type of ['company', 'contact'] as const) {
    await store.deleteRecords(installationId, type, gone[type]);
    dropped += gone[type].length;
  }
  const goneDeals: string[] = [];
  for await (const deal of store.deals(installationId)) if (!seen.deal.has(deal.id)) goneDeals.push(deal.id);
  await store.deleteDeals(installationId, goneDeals);
  return dropped;
}

/** Classifies every mirrored record with the deal totals and previous tiers from the store. */
export async function classifyInstallation(
  store: Store,
  installationId: string,
  mapping: Mapping,
  policy: Policy,
  now: Date,
): Promise<{ decisions: Decision[]; summary: RunSummary }> {
  const decisions: Decision[] = [];
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
  onDecision: (decision: Decision) => Promise<void> | undefined,
): Promise<RunSummary> {
  const windowDays = mapping.company.deals?.dealSize?.windowDays ?? 365;
  const deals: MirrorDeal[] = [];
  for await (const deal of store.deals(installationId)) deals.push(deal);
  const totals = dealTotals(deals, now.getTime(), windowDays);
  deals.length = 0;
  const run = new TieringRun(policy, { now, previous, withPrevious: true });
  if (previous === undefined) for await (const entry of store.previousTiers(installationId)) run.addPrevious(entry);
  let companies = 0;
  const dealsConfig = mapping.company.deals;
  for await (const page of store.records(installationId, PAGE)) {
    for (const record of page) {
      if (record.type === 'contact') continue;
      const fields = { ...record.fields };
      const total = totals.get(record.id);
      if (dealsConfig?.dealSize !== undefined) fields['dealSize'] = total?.dealSize ?? 0;
      if (dealsConfig?.openDealAmount === true) fields['openDealAmount'] = total?.openDealAmount ?? 0;
      run.addCompany({ ...record, fields });
      companies++;
    }
  }
  totals.clear();
  run.settle();
  // Awaited only when the callback has work in flight (a microtask per decision adds up).
  for (let index = 0; index < companies; index++) {
    const pending = onDecision(run.companyDecisionAt(index));
    if (pending !== undefined) await pending;
  }
  for await (const page of store.records(installationId, PAGE)) {
    for (const record of page) {
      if (record.type !== 'contact') continue;
      const pending = onDecision(run.decideContact(record));
      if (pending !== undefined) await pending;
    }
  }
  return run.summary();
}
