/**
 * What RightTouch keeps per installation (one CRM portal or org). One interface, implemented once
 * in SQL (`sql/sql-store.ts`) over SQLite (the embedded default, `sqlite.ts`) or PostgreSQL
 * (`postgres.ts`, when DATABASE_URL is set: see `createStore` in index.ts), which add only their
 * connection and bulk writes (README.md); every method is async so that both fit.
 */
import type {
  CanonicalRecord,
  IncrementalRow,
  Policy,
  PreviousTier,
  RecordRef,
  RecordType,
  TierCounts,
} from '../core/index.ts';
import type { DisplayedRecord, RecordDisplay } from '../mapping/display.ts';

export type { DisplayedRecord, RecordDisplay };

export type Crm = 'hubspot' | 'salesforce';

export interface Installation {
  readonly id: string;
  readonly crm: Crm;
  /** The CRM's own id: HubSpot portal id, Salesforce org id. */
  readonly externalId: string;
  readonly name: string | null;
  readonly createdAt: number;
  /** `needs_reconnect` when the CRM revoked our access (the admin must install again). */
  readonly status: InstallationStatus;
  readonly statusDetail: string | null;
  readonly settings: InstallationSettings;
}

export type InstallationStatus = 'active' | 'needs_reconnect' | 'uninstalled';

export interface InstallationSettings {
  /** Minutes between incremental syncs (default 15). */
  readonly syncEveryMinutes?: number;
  /** Where tier changes are posted (e.g. a Slack incoming webhook), if anywhere. */
  readonly notifyUrl?: string;
  /**
   * The contact property a mapping's `{ "discover": "lead-score" }` reads: picked once (by setup or
   * the first sync) and kept, so the score a portal is tiered on does not change by itself.
   */
  readonly leadScoreProperty?: string;
  /** Setup keeps a list per tier in the CRM (HubSpot lists, Salesforce list views); default true. */
  readonly crmLists?: boolean;
  /** Salesforce: setup places the fields on page and compact layouts; default true. */
  readonly crmLayouts?: boolean;
}

/** A list per tier setup keeps in the CRM (the shape of the sync layer's `CrmList`). */
export interface StoredCrmList {
  /** `companies`/`contacts` (HubSpot), `Account`/`Contact`/`Lead` (Salesforce). */
  readonly object: string;
  readonly tier: string;
  readonly name: string;
  /** The CRM's id (HubSpot listId, Salesforce list view id). */
  readonly id: string;
  readonly url?: string;
}

export interface ApiKey {
  readonly id: string;
  /** The one installation the key may touch; null: every installation (a self-hosted admin). */
  readonly installationId: string | null;
  readonly label: string;
}

export interface PolicyVersion {
  readonly version: number;
  readonly policy: Policy;
  readonly createdAt: number;
}

export interface MirrorDeal {
  readonly id: string;
  readonly companyId: string;
  readonly amount: number | null;
  readonly closedWon: boolean;
  readonly closed: boolean;
  readonly closeTime: number | null;
}

/** The tier last written for a record, with its reasons and since when it has had it. */
export interface StoredTier {
  readonly type: RecordType;
  readonly id: string;
  readonly tier: string;
  readonly reasons: readonly string[];
  /** The next-tier hint sentence written with it (spec §8), null when there is none. */
  readonly hint?: string | null;
  /** The hint's relative gap (spec §8: (t − v) / |t|), null without a hint or a value. */
  readonly hintGap?: number | null;
  readonly since: number;
  readonly writtenAt: number | null;
}

/** A record whose tier, reasons or next-tier hint changed in a run. */
export interface TierChange {
  readonly type: RecordType;
  readonly id: string;
  readonly tier: string;
  readonly reasons: readonly string[];
  /** The next-tier hint sentence (spec §8); absent or empty when there is none. */
  readonly hint?: string | undefined;
  /** Its relative gap (spec §8); absent or null without a hint or a value. */
  readonly hintGap?: number | null | undefined;
}

/** A record with a next-tier hint, for the overview's "closest to the next tier". */
export interface NextTierCandidate {
  readonly type: RecordType;
  readonly id: string;
  readonly tier: string;
  readonly hint: string;
  /** (t − v) / |t| (spec §8); null when the field has no value (such records come last). */
  readonly gap: number | null;
  /** What people know it by (name, domain), from the mirror; null when the mapping gave nothing. */
  readonly display: RecordDisplay | null;
}

export interface HistoryEntry {
  readonly type: RecordType;
  readonly recordId: string;
  readonly oldTier: string | null;
  readonly newTier: string;
  readonly reasons: readonly string[];
  readonly runId: string;
  readonly at: number;
}

/** A search of the mirror by what people know a record by (sql/find.ts). */
export interface RecordQuery {
  /** An id (matched exactly), or the start of a name, domain or email (any case). */
  readonly text: string;
  /** Only this type; both when left out. */
  readonly type?: RecordType | undefined;
  /** The most matches to return (default 20, at most 100). */
  readonly limit?: number | undefined;
}

/** A record found, with what it is known by (null: the mapping reads nothing for it) and its current tier. */
export interface FoundRecord {
  readonly type: RecordType;
  readonly id: string;
  readonly display: RecordDisplay | null;
  readonly tier: string | null;
}

export interface FoundRecords {
  /** By name (records without one last). */
  readonly matches: readonly FoundRecord[];
  /** There are more matches than the page holds: type more of the name. */
  readonly more: boolean;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'partial';

export interface RunRecord {
  readonly id: string;
  readonly installationId: string;
  readonly kind: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly counts: Readonly<Record<string, number>> | null;
  readonly errors: readonly string[] | null;
}

export interface RejectedRow {
  readonly type: RecordType;
  readonly recordId: string;
  readonly runId: string;
  readonly error: string;
  readonly payload: unknown;
  readonly attempts: number;
  readonly updatedAt: number;
}

/** The meta row of an installation's incremental state (sql/tiering-state.ts). */
export interface TieringStateMeta {
  /** Moves up with every save. */
  readonly version: number;
  /** What the rows were built under (policy, mapping, row format): the sync's state key. */
  readonly key: string;
  /** The clock of the run that saved it (epoch ms). */
  readonly nowMs: number;
  /** The rows the state has. */
  readonly rows: number;
  /** How many records of each type are in each tier; null for a state saved before they were kept. */
  readonly tierCounts: TierCounts | null;
  readonly savedAt: number;
}

/**
 * Which contact rows a run loads (any of): by id, by the company their record names, and — with
 * `dueBy` — those pending (tier changed in the last run) or whose hold ends by then (epoch ms).
 */
export interface TieringStateContactQuery {
  readonly ids?: readonly string[];
  readonly companyIds?: readonly string[];
  readonly dueBy?: number | undefined;
}

/** The company snapshot of an installation's incremental state (src/core/incremental-snapshot.ts). */
export interface TieringStateCompanies {
  /** The meta row's version and saved_at it was saved with: it is that state's only then. */
  readonly version: number;
  readonly savedAt: number;
  readonly data: Uint8Array;
}

/** What a run saves of the incremental state. */
export interface TieringStateSave {
  /** The version the run loaded; null when there was no state. */
  readonly expectedVersion: number | null;
  readonly key: string;
  readonly nowMs: number;
  /** The state's rows after the save. */
  readonly rowCount: number;
  /** The state's tier counts after the save. */
  readonly tierCounts: TierCounts;
  /** Rows added or replaced. */
  readonly rows: readonly IncrementalRow[];
  /** Rows removed (ignored with `replace`). */
  readonly deletes: readonly RecordRef[];
  /** Every row not in `rows` goes: the state after a full classification. */
  readonly replace?: boolean;
  /** Every company's place after the save (the company snapshot); undefined: none is kept. */
  readonly companies?: Uint8Array | undefined;
}

/** Another worker saved the incremental state since this run loaded it: nothing was saved. */
export class StaleTieringStateError extends Error {
  override readonly name = 'StaleTieringStateError';

  constructor(installationId: string, expectedVersion: number | null) {
    super(
      `the tiering state of installation ${installationId} is no longer at version ${expectedVersion ?? 'none'}` +
        ' (another run saved first): nothing saved, the next run continues from the newer state',
    );
  }
}

export interface Store {
  migrate(): Promise<number>;
  close(): Promise<void>;

  upsertInstallation(crm: Crm, externalId: string, name?: string | null): Promise<Installation>;
  getInstallation(id: string): Promise<Installation | undefined>;
  listInstallations(): Promise<Installation[]>;
  /** How many installations there are, whatever their status (one COUNT: `/healthz`). */
  countInstallations(): Promise<number>;

  setInstallationStatus(id: string, status: InstallationStatus, detail: string | null): Promise<void>;
  /** Replaces the settings whole; where others may change them at once, use updateSettings. */
  saveSettings(id: string, settings: InstallationSettings): Promise<void>;
  /**
   * Changes the settings atomically: `change` (synchronous, no I/O) gets them as stored and gives
   * the new ones, under the row's lock, so concurrent updates of different fields all stay.
   * The settings before and after; undefined when there is no such installation.
   */
  updateSettings(
    id: string,
    change: (current: InstallationSettings) => InstallationSettings,
  ): Promise<{ readonly before: InstallationSettings; readonly after: InstallationSettings } | undefined>;
  /** The lists per tier the last setup kept in the CRM, in the order it reported them. */
  crmLists(installationId: string): Promise<StoredCrmList[]>;
  /** Replaces them with what a setup reported. */
  saveCrmLists(installationId: string, lists: readonly StoredCrmList[], at: number): Promise<void>;

  /**
   * Takes (or renews) the lease `name` for `holder` until now + ttlMs, unless another holder has
   * it unexpired. True when `holder` has it now.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Who holds the lease `name` and until when (epoch ms; it may have expired), if anyone. */
  leaseHolder(name: string): Promise<{ readonly holder: string; readonly expiresAt: number } | undefined>;
  /**
   * Hands the lease `name` from `from` to `to` (until now + ttlMs) if `from` still holds it,
   * expired or not, in one compare-and-set; true when it did. For a holder known to be dead.
   */
  takeOverLease(name: string, from: string, to: string, ttlMs: number, now: number): Promise<boolean>;

  /** Stores an API key by its hash (the key itself is shown once, never stored). */
  createApiKey(keyHash: string, installationId: string | null, label: string, at: number): Promise<ApiKey>;
  findApiKey(keyHash: string): Promise<ApiKey | undefined>;

  /** Records a webhook event id; false when it was already recorded (a redelivery). */
  recordWebhookEvent(id: string, at: number): Promise<boolean>;
  /** Forgets event ids received before `before` (HubSpot retries for up to 3 days). */
  pruneWebhookEvents(before: number): Promise<number>;

  /** Saves a new policy version and makes it the active one; earlier versions stay listed. */
  savePolicy(installationId: string, policy: Policy): Promise<PolicyVersion>;
  activePolicy(installationId: string): Promise<PolicyVersion | undefined>;
  listPolicies(installationId: string): Promise<PolicyVersion[]>;

  /**
   * Erases everything held about one record (mirror row, tier, history, rejected row): a privacy
   * deletion. The number of rows deleted.
   */
  eraseRecord(installationId: string, type: RecordType, id: string): Promise<number>;
  /** The app was uninstalled: keeps only the installation row (status `uninstalled`) and policies (erase.ts). */
  forgetInstallation(installationId: string, at: number): Promise<void>;
  /** Deletes installations uninstalled before `before`, with their policies; their ids. */
  purgeUninstalled(before: number): Promise<string[]>;

  /** Mirrors records, with what each is known by when it says (`display`, kept to find it by). */
  upsertRecords(installationId: string, records: readonly DisplayedRecord[], at: number): Promise<void>;
  deleteRecords(installationId: string, type: RecordType, ids: readonly string[]): Promise<void>;
  /**
   * A record became another (a lead converted into a contact, a loser merged into a winner): its
   * tier history moves to the successor, and its current tier too when the successor has none
   * (marked unwritten: the successor's CRM record does not show it yet). The old record is gone.
   */
  carryOver(installationId: string, type: RecordType, fromId: string, toId: string): Promise<void>;
  /** Every mirrored record, companies first (capacity needs them before contacts), in pages. */
  records(installationId: string, pageSize?: number): AsyncIterable<CanonicalRecord[]>;
  /** Mirrored records by id, or by the start of their name, domain or email (sql/find.ts). */
  findRecords(installationId: string, query: RecordQuery): Promise<FoundRecords>;
  upsertDeals(installationId: string, deals: readonly MirrorDeal[]): Promise<void>;
  deleteDeals(installationId: string, ids: readonly string[]): Promise<void>;
  deals(installationId: string): AsyncIterable<MirrorDeal>;

  /** A sealed secret (see secrets.ts): the store never sees it in clear. */
  getSecret(name: string): Promise<string | undefined>;
  putSecret(name: string, sealed: string, at: number): Promise<void>;
  /** Removes a secret; true if this call removed it (so a single-use secret is used once). */
  deleteSecret(name: string): Promise<boolean>;
  getCursor(installationId: string, name: string): Promise<string | undefined>;
  setCursor(installationId: string, name: string, value: string): Promise<void>;
  /** Several cursors of an installation in one statement: those set, by name. */
  getCursors(installationId: string, names: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** Sets several cursors of an installation in one statement. */
  setCursors(installationId: string, values: Readonly<Record<string, string>>): Promise<void>;

  /** The last tiers as previous tiers for the next run. */
  previousTiers(installationId: string): AsyncIterable<PreviousTier>;
  storedTier(installationId: string, type: RecordType, id: string): Promise<StoredTier | undefined>;
  /** Every current tier of the installation. */
  storedTiers(installationId: string): AsyncIterable<StoredTier>;
  /**
   * Records changed tiers (and reasons) of a run in one transaction: the current tier per record,
   * and a history row for every change of tier.
   */
  applyTierChanges(installationId: string, runId: string, changes: readonly TierChange[], at: number): Promise<void>;
  /**
   * Tiers of one type recorded but not yet written to the CRM (`written_at` unset), of records
   * still mirrored (a deleted record's tier is kept for its history, never written), by id, in
   * pages. Paged by key, so marking a page written while going through them skips nothing.
   */
  unwrittenTiers(installationId: string, type: RecordType, pageSize?: number): AsyncIterable<StoredTier[]>;
  /** Marks records as written to the CRM at `at`. */
  markWritten(installationId: string, type: RecordType, ids: readonly string[], at: number): Promise<void>;
  history(installationId: string, type: RecordType, recordId: string): Promise<HistoryEntry[]>;
  /**
   * The mirrored records of a type with a next-tier hint, smallest relative gap first (no value
   * last, then by id), at most `limit`: from the stored tiers, no classification.
   */
  closestToNextTier(installationId: string, type: RecordType, limit: number): Promise<NextTierCandidate[]>;

  /** The incremental state's meta row, undefined when there is no state. */
  tieringStateMeta(installationId: string): Promise<TieringStateMeta | undefined>;
  /** The incremental state's rows (of one type when given: companies to load contacts on demand), in pages. */
  tieringStateRows(installationId: string, pageSize?: number, type?: RecordType): AsyncIterable<IncrementalRow[]>;
  /** The incremental state's contact rows a run needs (each once, in no particular order). */
  tieringStateContacts(installationId: string, query: TieringStateContactQuery): Promise<IncrementalRow[]>;
  /** The company rows of the incremental state with these ids (those it has). */
  tieringStateCompanyRows(installationId: string, ids: readonly string[]): Promise<IncrementalRow[]>;
  /** The company snapshot last saved, if any (compare its version with the meta row's). */
  tieringStateCompanies(installationId: string): Promise<TieringStateCompanies | undefined>;
  /**
   * Saves a run's rows, removals and meta in one transaction, only when the state is still at
   * `expectedVersion`; otherwise saves nothing and throws `StaleTieringStateError`. The new meta.
   */
  saveTieringState(installationId: string, save: TieringStateSave, at: number): Promise<TieringStateMeta>;
  /** Forgets the incremental state (the next run builds it again from a full classification). */
  clearTieringState(installationId: string): Promise<void>;
  /** Mirrored records of a type by id (those not mirrored are left out). */
  recordsByIds(installationId: string, type: RecordType, ids: readonly string[]): Promise<CanonicalRecord[]>;
  /** The mirrored deals of these companies. */
  dealsOfCompanies(installationId: string, companyIds: readonly string[]): Promise<MirrorDeal[]>;
  /** The companies these deals are mirrored under. */
  companiesOfDeals(installationId: string, dealIds: readonly string[]): Promise<string[]>;
  /** The companies with a won deal closed in `(after, upTo]` (epoch ms). */
  companiesWithWonDealsClosedIn(installationId: string, after: number, upTo: number): Promise<string[]>;
  /** The current tiers of these records of one type. */
  storedTiersOf(installationId: string, type: RecordType, ids: readonly string[]): Promise<StoredTier[]>;

  /** Starts a run; a run of the installation still marked running (its process died) ends as failed, "interrupted". */
  startRun(installationId: string, kind: string, at: number): Promise<RunRecord>;
  finishRun(
    runId: string,
    result: { status: RunStatus; counts: Record<string, number>; errors: readonly string[] },
    at: number,
  ): Promise<RunRecord>;
  listRuns(installationId: string, limit?: number): Promise<RunRecord[]>;

  /** Adds or refreshes rejected rows (attempts count up); cleared ones are those written since. */
  reject(
    installationId: string,
    runId: string,
    rows: readonly { type: RecordType; recordId: string; error: string; payload?: unknown }[],
    at: number,
  ): Promise<void>;
  clearRejected(installationId: string, type: RecordType, recordIds: readonly string[]): Promise<void>;
  listRejected(installationId: string): Promise<RejectedRow[]>;
}
