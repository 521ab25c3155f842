/**
 * Phase 2 of an incremental or change-event run: decide what the run's changes can affect, from
 * the stored incremental state (state.ts), instead of classifying the whole installation.
 *
 * The changes handed to the core (`IncrementalTiering.apply`): the companies and contacts the pull
 * read or removed (a record read whose copy is the state's own is left out: the overlap re-reads
 * cost nothing); the companies whose deal totals can have changed — a deal read names its company
 * (and the one it left), and a won deal whose close date crossed the edge of the deal-size window
 * (`windowDays`) between the last run's clock and this run's changes its company's total without
 * anyone touching it (found by close time in the store) — each with its totals worked out again
 * from its own deals. A record not in the mirror any more is a removal. The core adds what the
 * changes and the clock can affect: contacts of a company whose tier changed, capacity seats,
 * records whose `minDaysInTier` hold ended.
 *
 * Only the decisions the run changed are diffed, with those of the records it gave the core (the
 * hint sentence names the record's value: it can change while the decision does not) and of
 * records whose CRM value is not what was last written (read this run: `CrmValues`), against what
 * was last written for those records alone (read by id). The summary's tier mix is the state's
 * (its tier counts); its movements are those of the records the run decided.
 *
 * The state is loaded with its companies' places only (state.ts: the company snapshot); the rows of
 * the companies the run reads (and whose deals it read) and of the contacts it reads are loaded by
 * id before they are compared, then those of the companies pending or whose hold ended; the core's
 * companies phase says which companies capacity moved (their rows are loaded before it settles
 * them) and which contacts to load before its contacts phase (of companies whose tier changed,
 * appeared or went; pending; hold ended).
 *
 * Without a usable state (none yet, another policy or mapping, the clock gone back) the run builds
 * it: a full classification of the mirror with the previous tiers last written, every decision
 * diffed as a full classification's would be, every row saved.
 */
import { createIncremental } from '../../core/index.ts';
import type {
  CanonicalRecord,
  Decision,
  IncrementalTiering,
  Policy,
  RecordType,
  RunSummary,
} from '../../core/index.ts';
import { dealTotals } from '../../mapping/mapping.ts';
import type { Mapping } from '../../mapping/mapping.ts';
import type { Store } from '../../store/store.ts';
import { LastWrittenByIds, LastWrittenTable } from '../last-written.ts';
import type { LastWritten } from '../last-written.ts';
import { withHint } from '../next-hint.ts';
import type { HintedDecision } from '../next-hint.ts';
import { mirroredForClassifying, windowDaysOf, withDealTotals } from './classify.ts';
import type { Changed, CrmValues } from './pull.ts';
import { loadCompanies, loadCompanyRows, loadContacts, saveState, unusable } from './state.ts';
import type { StateCache } from './state.ts';

const DAY_MS = 86_400_000;

export interface DecideContext {
  readonly store: Store;
  readonly installationId: string;
  readonly mapping: Mapping;
  readonly policy: Policy;
  readonly now: Date;
  /** The state key of this policy and mapping (state.ts). */
  readonly key: string;
  readonly dryRun: boolean;
  readonly cache: StateCache | undefined;
}

/** Each decision to diff, with what was last written for its record. */
export type OnDecision = (decision: HintedDecision, before: LastWritten | undefined) => Promise<void> | undefined;

export interface Decided {
  readonly summary: RunSummary;
  /** Records decided (steps 1–5) in the run. */
  readonly decided: number;
  /** Why the state was built again (a full classification), or undefined. */
  readonly rebuilt: string | undefined;
  /** Saves the state (after the record phase, at the run's classification time); nothing on a dry run. */
  readonly save: () => Promise<void>;
}

export async function decideChanges(
  context: DecideContext,
  changed: Changed,
  crmValues: CrmValues,
  onDecision: OnDecision,
): Promise<Decided> {
  const { store, installationId, policy, now, key } = context;
  const nowMs = now.getTime();
  const meta = await store.tieringStateMeta(installationId);
  const why = unusable(meta, key, nowMs);
  if (meta === undefined || why !== undefined) return rebuildState(context, meta?.version ?? null, why, onDecision);
  const cache = context.dryRun ? undefined : context.cache;
  const tiering = await loadCompanies(store, installationId, policy, meta, cache);
  // The contacts read (to compare with the state's copies, and to delete), then what the
  // companies phase asks: the contacts of companies whose tier changed, appeared or went, and
  // those pending or whose hold ended.
  await loadContacts(store, installationId, tiering, { ids: [...changed.contact] });
  const { upserts, deletes } = await changesOf(context, changed, meta.nowMs, tiering);
  const crmShown = [...crmValues.refs()].filter((ref) => ref.type === 'company').map((ref) => ref.id);
  await loadCompanyRows(store, installationId, tiering, [...tiering.companiesToLoad(now), ...crmShown]);
  const seated = tiering.seatCompanies({ upserts, deletes, now });
  await loadCompanyRows(store, installationId, tiering, seated);
  const toLoad = tiering.settleCompanies();
  await loadContacts(store, installationId, tiering, toLoad);
  const result = tiering.applyContacts();
  const decisions = new Map<string, Decision>();
  for (const d of result.changed) decisions.set(`${d.type}\u0000${d.id}`, d);
  // A record given to the core may keep its decision and yet not its hint sentence, which names
  // its value ("Deal size 16,300 is 83,700 short …"); the CRM showing another value is put right.
  for (const { type, id } of [...upserts, ...crmValues.refs()]) {
    const d = tiering.decision(type, id);
    if (d !== undefined && !decisions.has(`${type}\u0000${id}`)) decisions.set(`${type}\u0000${id}`, d);
  }
  const lastWritten = new LastWrittenByIds(store, installationId);
  for (const type of ['company', 'contact'] as const) {
    const ids = [...decisions.values()].filter((d) => d.type === type).map((d) => d.id);
    await lastWritten.load(type, ids);
  }
  for (const type of ['company', 'contact'] as const) {
    for (const d of decisions.values()) {
      if (d.type !== type) continue;
      const pending = onDecision(hinted(tiering, d, policy), lastWritten.get(d.type, d.id));
      if (pending !== undefined) await pending;
    }
  }
  const moved = [...decisions.values()].map(({ type, id }) => ({
    type,
    id,
    before: lastWritten.get(type, id)?.tier ?? null,
  }));
  const summary = tiering.summary(moved);
  const save = async (): Promise<void> => {
    if (!context.dryRun) await saveState(store, installationId, tiering, meta.version, key, nowMs, cache, nowMs);
  };
  return { summary, decided: result.decided, rebuilt: undefined, save };
}

function hinted(tiering: IncrementalTiering, decision: Decision, policy: Policy): HintedDecision {
  return withHint(decision, tiering.record(decision.type, decision.id)?.fields ?? {}, policy);
}

/** What the core is given: records changed (with deal totals for companies) and records gone. */
async function changesOf(
  context: DecideContext,
  changed: Changed,
  lastNowMs: number,
  tiering: IncrementalTiering,
): Promise<{ upserts: CanonicalRecord[]; deletes: { type: RecordType; id: string }[] }> {
  const { store, installationId, mapping, now } = context;
  const nowMs = now.getTime();
  const companyIds = new Set([...changed.company, ...changed.dealCompanies]);
  if (mapping.company.deals?.dealSize !== undefined) {
    const window = windowDaysOf(mapping) * DAY_MS;
    // Won deals leaving the window (closed in (last − W, now − W]) or entering it (closed in (last, now]).
    const crossed = [
      ...(await store.companiesWithWonDealsClosedIn(installationId, lastNowMs - window, nowMs - window)),
      ...(await store.companiesWithWonDealsClosedIn(installationId, lastNowMs, nowMs)),
    ];
    for (const id of crossed) companyIds.add(id);
  }
  await loadCompanyRows(store, installationId, tiering, companyIds);
  const companies = await store.recordsByIds(installationId, 'company', [...companyIds]);
  const deals = await store.dealsOfCompanies(
    installationId,
    companies.map((c) => c.id),
  );
  const totals = dealTotals(deals, nowMs, windowDaysOf(mapping));
  const contacts = await store.recordsByIds(installationId, 'contact', [...changed.contact]);
  const upserts: CanonicalRecord[] = [];
  for (const record of [...companies.map((c) => withDealTotals(c, totals.get(c.id), mapping)), ...contacts]) {
    const held = tiering.record(record.type, record.id);
    if (held === undefined || JSON.stringify(held) !== JSON.stringify(record)) upserts.push(record);
  }
  const found = new Set([...companies, ...contacts].map((r) => `${r.type}\u0000${r.id}`));
  const deletes: { type: RecordType; id: string }[] = [];
  for (const [type, ids] of [
    ['company', companyIds],
    ['contact', changed.contact],
  ] as const) {
    for (const id of ids) {
      if (!found.has(`${type}\u0000${id}`) && tiering.record(type, id) !== undefined) deletes.push({ type, id });
    }
  }
  return { upserts, deletes };
}

/**
 * Builds the state from a full classification of the mirror (previous tiers: what was last
 * written), handing every decision on as a full classification's; `expected`: the stored version
 * the save replaces (null: none).
 */
export async function rebuildState(
  context: DecideContext,
  expected: number | null,
  why: string | undefined,
  onDecision: OnDecision,
): Promise<Decided> {
  const { store, installationId, now, key } = context;
  const lastWritten = new LastWrittenTable();
  for await (const tier of store.storedTiers(installationId)) lastWritten.add(tier);
  const { tiering, records, summary } = await classifyMirror(context, lastWritten, onDecision);
  lastWritten.clear();
  const nowMs = now.getTime();
  const save = async (): Promise<void> => {
    if (!context.dryRun) await saveState(store, installationId, tiering, expected, key, nowMs, context.cache, nowMs);
  };
  return { summary, decided: records.length, rebuilt: why, save };
}

/**
 * One full classification of the mirror (previous tiers: what was last written), every decision
 * handed on with what was last written for it — companies, then contacts — and the summary with
 * every record's movement. Returns the state it built and the records (the reconcile compares with
 * them). Shared by a rebuild and a full run (reconcile.ts).
 */
export async function classifyMirror(
  context: DecideContext,
  lastWritten: LastWrittenTable,
  onDecision: OnDecision,
): Promise<{ tiering: IncrementalTiering; records: CanonicalRecord[]; summary: RunSummary }> {
  const { store, installationId, policy, now } = context;
  const records = await mirroredForClassifying(store, installationId, context.mapping, now);
  const tiering = createIncremental(policy);
  const decisions = tiering.fullClassify(records, lastWritten.previous(), now);
  for (const type of ['company', 'contact'] as const) {
    for (let index = 0; index < decisions.length; index++) {
      const decision = decisions[index];
      if (decision?.type !== type) continue;
      const hinted = withHint(decision, records[index]?.fields ?? {}, policy);
      const pending = onDecision(hinted, lastWritten.get(type, decision.id));
      if (pending !== undefined) await pending;
    }
  }
  decisions.length = 0;
  const summary = tiering.summary(
    records.map(({ type, id }) => ({ type, id, before: lastWritten.get(type, id)?.tier ?? null })),
  );
  return { tiering, records, summary };
}
