/**
 * The incremental tiering state of an installation (src/core/incremental*.ts), where runs find it:
 * in the store (src/store/sql/tiering-state.ts: one JSON row per record and a meta row), so any
 * worker can run any installation's next run, and in the worker's memory between its runs
 * (`StateCache`), used only while the store's version is still the one it holds.
 *
 * An incremental run does not load every row: it loads every company's place — the company
 * snapshot of the meta row's version (src/core/incremental-snapshot.ts: tier, seat, hold and
 * ranking keys of every company in one compact value, which capacity seating and inheritance
 * need), or, without one (a state saved before it was kept, a contact erased since), every
 * company's row — with the meta row's tier counts, and then only the rows it needs: of the
 * companies it reads or that are pending or whose hold ends (`loadCompanyRows`), of those capacity
 * moves, and of the contacts it needs (`loadContacts`, the core asking between its phases). What
 * a worker keeps between runs is the companies: the contacts a run loaded are dropped once it is
 * saved. The nightly reconcile compares every record: it loads every row (`loadState`).
 *
 * A stored state is used when its key — a hash of the row format, the policy and the mapping with
 * its discovered properties (the deal-size window, the lead-score property …) — is this run's, and
 * the run's clock is not before the last run's (the rows do not carry the clock; the core's answer
 * to a clock going back is deciding everything again). Otherwise the run builds it again from a
 * full classification.
 *
 * A run saves what it changed (`takeChanges`) from the version it loaded: when another worker saved
 * first the save throws `StaleTieringStateError`, the run fails, nothing of the state is half
 * saved, and the next run continues from the newer state (tiers it recorded are written by then:
 * the record phase comes first). Saved, the state goes (back) into the cache.
 */
import { createHash } from 'node:crypto';
import { createIncremental } from '../../core/index.ts';
import type { IncrementalRow, IncrementalTiering, Policy } from '../../core/index.ts';
import type { Mapping } from '../../mapping/mapping.ts';
import type { Store, TieringStateContactQuery, TieringStateMeta } from '../../store/store.ts';

/** The rows' format: bump when `IncrementalRow` changes meaning (every state is then built again). */
export const STATE_FORMAT = 1;

/** Records a worker keeps in memory over all its installations by default. */
export const DEFAULT_CACHE_RECORDS = 1_000_000;

/** The key of the policy and mapping a state is built under. */
export function stateKey(policy: Policy, mapping: Mapping): string {
  const text = JSON.stringify({ format: STATE_FORMAT, policy, mapping });
  return createHash('sha256').update(text).digest('hex');
}

interface Held {
  /** The meta it is the state of: version, when saved (a state forgotten and built again starts at version 1 again) and key. */
  readonly stamp: string;
  readonly tiering: IncrementalTiering;
}

function stampOf(meta: TieringStateMeta): string {
  return `${meta.version}:${meta.savedAt}:${meta.key}`;
}

/**
 * States a worker holds between runs, by installation, least recently used first out, bounded by
 * the records they hold together. A run takes its state out (so a failed run leaves nothing
 * half-applied behind) and puts it back once saved.
 */
export class StateCache {
  private readonly held = new Map<string, Held>();
  private readonly maxRecords: number;

  constructor(maxRecords = DEFAULT_CACHE_RECORDS) {
    this.maxRecords = maxRecords;
  }

  /** The state held for the installation at exactly this meta, taken out; else undefined. */
  take(installationId: string, meta: TieringStateMeta): IncrementalTiering | undefined {
    const held = this.held.get(installationId);
    this.held.delete(installationId);
    return held?.stamp === stampOf(meta) ? held.tiering : undefined;
  }

  /** Keeps a saved state: its companies (its contacts are dropped), within the bound. */
  put(installationId: string, meta: TieringStateMeta, tiering: IncrementalTiering): void {
    this.held.delete(installationId);
    tiering.dropContacts();
    if (tiering.held > this.maxRecords) return;
    this.held.set(installationId, { stamp: stampOf(meta), tiering });
    let total = 0;
    for (const held of this.held.values()) total += held.tiering.held;
    for (const [id, held] of this.held) {
      if (total <= this.maxRecords) break;
      this.held.delete(id);
      total -= held.tiering.held;
    }
  }

  /** The installations held (most recently used last). */
  installations(): string[] {
    return [...this.held.keys()];
  }
}

/** The cache of this process's runs (`SyncOptions.stateCache` replaces it). */
export const processStateCache = new StateCache();

/** Why a stored state cannot be used by this run, or undefined when it can. */
export function unusable(meta: TieringStateMeta | undefined, key: string, nowMs: number): string | undefined {
  if (meta === undefined) return 'no state yet';
  if (meta.key !== key) return 'the policy or mapping changed';
  if (nowMs < meta.nowMs) return "the clock is before the last run's";
  if (meta.tierCounts === null) return 'the state was saved without tier counts';
  return undefined;
}

/** The whole stored state at `meta`'s version, every contact held (the reconcile's). */
export async function loadState(
  store: Store,
  installationId: string,
  policy: Policy,
  meta: TieringStateMeta,
  cache: StateCache | undefined,
): Promise<IncrementalTiering> {
  const held = cache?.take(installationId, meta);
  if (held?.holdsEveryContact === true) return held;
  const rows: IncrementalRow[] = [];
  for await (const page of store.tieringStateRows(installationId)) rows.push(...page);
  const tiering = createIncremental(policy);
  tiering.load(rows);
  return tiering;
}

/**
 * The stored state at `meta`'s version with its contacts loaded on demand: the cached copy when
 * it is of that version, else the companies and tier counts from the store.
 */
export async function loadCompanies(
  store: Store,
  installationId: string,
  policy: Policy,
  meta: TieringStateMeta,
  cache: StateCache | undefined,
): Promise<IncrementalTiering> {
  const held = cache?.take(installationId, meta);
  if (held !== undefined) return held;
  if (meta.tierCounts === null) throw new Error('the state was saved without tier counts');
  const tiering = createIncremental(policy);
  const snapshot = await store.tieringStateCompanies(installationId);
  if (snapshot?.version === meta.version && snapshot.savedAt === meta.savedAt) {
    if (tiering.loadSnapshot(snapshot.data, meta.tierCounts)) return tiering;
  }
  // Page by page: a page's parsed rows go once their entries are built.
  tiering.loadCompanies([], meta.tierCounts);
  for await (const page of store.tieringStateRows(installationId, undefined, 'company')) tiering.addCompanies(page);
  return tiering;
}

/** Loads the rows of these companies into a state loaded from a company snapshot (none it has loaded already). */
export async function loadCompanyRows(
  store: Store,
  installationId: string,
  tiering: IncrementalTiering,
  ids: Iterable<string>,
): Promise<void> {
  const wanted = [...new Set(ids)].filter((id) => tiering.needsCompanyRow(id));
  if (wanted.length > 0) tiering.addCompanies(await store.tieringStateCompanyRows(installationId, wanted));
}

/** Loads the contact rows a run needs into its state (none when it holds every contact). */
export async function loadContacts(
  store: Store,
  installationId: string,
  tiering: IncrementalTiering,
  query: TieringStateContactQuery,
): Promise<void> {
  if (tiering.holdsEveryContact) return;
  if ((query.ids?.length ?? 0) + (query.companyIds?.length ?? 0) === 0 && query.dueBy === undefined) return;
  tiering.addContacts(await store.tieringStateContacts(installationId, query));
}

/** Saves what the run changed (all rows after a full classification) from `loaded`, and caches it. */
export async function saveState(
  store: Store,
  installationId: string,
  tiering: IncrementalTiering,
  loaded: number | null,
  key: string,
  nowMs: number,
  cache: StateCache | undefined,
  at: number,
): Promise<TieringStateMeta> {
  const delta = tiering.takeChanges();
  const companies = tiering.companySnapshot();
  const meta = await store.saveTieringState(
    installationId,
    {
      expectedVersion: loaded,
      key,
      nowMs,
      rowCount: tiering.size,
      tierCounts: tiering.tierCounts(),
      rows: delta.rows,
      deletes: delta.deletes,
      replace: delta.all,
      companies,
    },
    at,
  );
  // What a worker keeps is the snapshot's form (as a fresh worker would load it): the companies
  // ranked in capacity as entries, the others in its columns — less memory than every company's
  // entry, and the next save copies the columns instead of sorting every company again.
  if (cache !== undefined && companies !== undefined && meta.tierCounts !== null) {
    tiering.loadSnapshot(companies, meta.tierCounts);
  }
  cache?.put(installationId, meta, tiering);
  return meta;
}
