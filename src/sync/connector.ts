/**
 * What the sync engine needs of a CRM connector. Connectors (connectors/hubspot,
 * connectors/salesforce) speak their CRM's API; the engine speaks only this. What differs between
 * CRMs — the properties tiers are written to, how many records a write takes, score properties no
 * longer updated — is a connector fact here, so no CRM name is needed in the engine or the server.
 */
import type { RecordType, Tier } from '../core/index.ts';
import type { CrmObject } from '../mapping/mapping.ts';

export type ObjectType = 'companies' | 'contacts' | 'deals';

/** A deal with the company it counts for (its primary company association), if any. */
export interface CrmDeal extends CrmObject {
  readonly companyId: string | null;
}

export interface ReadOptions {
  /** The CRM properties to read (from the mapping). */
  readonly properties: readonly string[];
  /**
   * Incremental: only objects modified at or after this time (epoch ms; the engine already
   * subtracted its overlap window). Absent: a full read of every object.
   */
  readonly modifiedSince?: number | undefined;
  /** The mapping's `currency`: `corporate` asks for money converted to the corporate currency (where the CRM has one). */
  readonly currency?: 'corporate' | 'record' | undefined;
}

export interface RecordUpdate {
  readonly id: string;
  /** Property name → value, as the CRM expects it (text). */
  readonly properties: Readonly<Record<string, string>>;
}

export interface WriteResult {
  readonly written: readonly string[];
  /** Records the CRM refused (deleted, merged, invalid), with its reason. */
  readonly rejected: readonly { readonly id: string; readonly error: string }[];
}

export interface SetupReport {
  /** What was created or changed ("created property engagement_model on companies", …). */
  readonly changes: readonly string[];
  /**
   * The lists per tier setup keeps (HubSpot lists, Salesforce list views), for the admin UI to
   * link to; absent when the connector keeps none or the installation turned them off.
   */
  readonly lists?: readonly CrmList[];
  /** What setup could not do and left to an admin (e.g. a layout it may not change). */
  readonly warnings?: readonly string[];
}

/** A list of records in one tier that setup created or keeps in the CRM. */
export interface CrmList {
  /** The CRM's object: `companies`/`contacts` (HubSpot), `Account`/`Contact`/`Lead` (Salesforce). */
  readonly object: string;
  /** The tier's value (`engagement_model`). */
  readonly tier: string;
  /** The list's name as the CRM shows it ("Engagement model: High-touch companies"). */
  readonly name: string;
  /** The CRM's id for it (HubSpot listId, Salesforce list view id or full name). */
  readonly id: string;
  /** Where a person opens it in the CRM, when known. */
  readonly url?: string;
}

/** What an installation lets setup do beyond the properties/fields (both default to on). */
export interface SetupOptions {
  /** Keep a list per tier (HubSpot lists, Salesforce list views). */
  readonly lists?: boolean;
  /** Salesforce: put the fields on the page layouts and the tier on the compact layouts. */
  readonly layouts?: boolean;
  /**
   * The lists a previous setup reported (`SetupReport.lists`, kept by the caller): found again by
   * id, so a list someone renamed in the CRM is still the same list.
   */
  readonly knownLists?: readonly CrmList[];
}

export interface PreflightReport {
  /** Mapped properties the CRM does not have, per object type. */
  readonly missingProperties: Readonly<Partial<Record<ObjectType, readonly string[]>>>;
  readonly problems: readonly string[];
  /** What works but not as well as it could (e.g. a change stream not fully set up). */
  readonly warnings?: readonly string[];
}

/**
 * A score property the CRM has on contacts. `kind`: what the CRM's lead-scoring tool made it (a
 * combined score, or a fit or engagement score), `legacy` for one the CRM no longer updates
 * (`Connector.frozenScoreProperties`), `other` for any other score-typed property.
 */
export interface ScoreProperty {
  readonly name: string;
  readonly label: string;
  readonly kind: 'combined' | 'fit' | 'engagement' | 'other' | 'legacy';
}

/** The CRM properties/fields RightTouch writes (created by `setup`), and how a time is written. */
export interface TierProperties {
  readonly tier: string;
  readonly reason: string;
  /** Where the next-tier hint sentence goes (spec §8; written empty when there is none). */
  readonly next: string;
  readonly updatedAt: string;
  /** The value of `updatedAt` for a time (epoch ms), as the CRM takes it; default: the milliseconds as text. */
  readonly formatTime?: (epochMs: number) => string;
}

/**
 * Who last set a record's tier property in the CRM, and when, from the CRM's own history
 * (HubSpot's property history, Salesforce's field history). `byPerson`: a person set it by hand
 * (what counts as that is the connector's to say, in its README); `by` names them (a user's
 * name, else an id), or the source for anything else (an app, a workflow, an import).
 */
export interface TierSetter {
  /** The value set (the tier value as written to the tier property), or null for a cleared one. */
  readonly value: string | null;
  /** When (epoch ms). */
  readonly at: number;
  readonly byPerson: boolean;
  readonly by: string;
}

/** A record that left the CRM since a time: deleted, merged into another, or converted (a lead into a contact). */
export interface Removal {
  readonly type: RecordType;
  readonly id: string;
  /** The record that carries on (merge winner, converted contact), or null when simply deleted. */
  readonly successorId: string | null;
  readonly reason: 'deleted' | 'merged' | 'converted';
}

/** A live stream of CRM changes (where the CRM has one). */
export interface ChangeStreamOptions {
  /** Where to resume: -1 new changes only, -2 all retained, or the last replay id handled. */
  readonly replayFrom: number;
  /** Records changed (not by RightTouch); `replayId` to resume after it. */
  readonly onChange: (change: { readonly replayId: number; readonly recordIds: readonly string[] }) => void;
  /** The stream's session expired: cancel and subscribe again (after a call that refreshes it). */
  readonly onAuthFailure: () => void;
  /** The CRM accepted the subscription; `resumed`: from `replayFrom` (else from now: changes may have been missed). */
  readonly onSubscribed?: (info: { readonly channels: readonly string[]; readonly resumed: boolean }) => void;
  /** The CRM refused the subscription, or the stream stopped delivering (`error` is the CRM's text). */
  readonly onFailure?: (failure: ChangeStreamFailure) => void;
}

export interface ChangeStreamFailure {
  /** `invalid-replay`: the stored replay id is no longer retained (resubscribe from now and resync). */
  readonly kind: 'invalid-replay' | 'subscribe' | 'connect';
  readonly error: string;
}

/**
 * How a CRM takes writes, known without credentials (each connector exports its own, for the
 * server's policy preview; connectors/platforms.ts has them by CRM).
 */
export interface WriteLimits {
  /** Records the engine hands to one `update` call. */
  readonly writeBatchSize: number;
  /** Records one write request carries at most: a policy preview counts the update calls by it. */
  readonly recordsPerWriteCall: number;
}

export interface Connector extends WriteLimits {
  readonly crm: 'hubspot' | 'salesforce';
  /** The properties/fields this CRM's tiers are written to (those `setup` creates). */
  readonly tierProperties: TierProperties;
  /**
   * Contact score properties the CRM no longer updates, with since when ("stopped updating on
   * …"): a lead score read from one comes with a warning. Optional.
   */
  readonly frozenScoreProperties?: Readonly<Record<string, string>>;
  /** API calls writing `count` records of one type costs (for dry runs); default one per batch. */
  estimateWriteCalls?(count: number, type: RecordType): number;
  /** The account behind the credentials: portal id / org id and a display name. */
  identify(): Promise<{ readonly externalId: string; readonly name: string | null }>;
  /**
   * Creates or updates the engagement-model properties/fields for these tiers, and what `options`
   * allows beyond them (lists per tier, layouts). Idempotent.
   */
  setup(tiers: readonly Tier[], options?: SetupOptions): Promise<SetupReport>;
  /** Checks, before a sync, that the mapped properties exist and the credentials can read and write. */
  preflight(properties: Readonly<Partial<Record<ObjectType, readonly string[]>>>): Promise<PreflightReport>;
  /** The contacts' score properties, for a mapping field that says `{ "discover": "lead-score" }`. Optional. */
  scoreProperties?(): Promise<readonly ScoreProperty[]>;
  read(type: 'companies' | 'contacts', options: ReadOptions): AsyncIterable<CrmObject[]>;
  readDeals(options: ReadOptions): AsyncIterable<CrmDeal[]>;
  /**
   * Exactly these records (those the CRM still has; the others are left out), for runs driven by
   * change events (webhooks). Optional: without it such runs fall back to an incremental read.
   */
  readByIds?(
    type: 'companies' | 'contacts',
    ids: readonly string[],
    properties: readonly string[],
  ): AsyncIterable<CrmObject[]>;
  /** Exactly these deals, with the company each counts for. Optional, as `readByIds`. */
  readDealsByIds?(ids: readonly string[], properties: readonly string[]): AsyncIterable<CrmDeal[]>;
  /** Records deleted, merged or converted since a time (all that are still known, without one). Optional. */
  readRemovals?(modifiedSince: number | undefined): AsyncIterable<Removal[]>;
  /**
   * Who last set the tier property of these records and when (optional: without it, or without
   * the CRM's history, a hand edit cannot be told from any other and is put back). Records the CRM
   * has no history for are left out. Asked only for the few records whose CRM value is not what
   * was last written.
   */
  tierSetters?(type: RecordType, ids: readonly string[]): Promise<ReadonlyMap<string, TierSetter>>;
  /** Writes properties on records, in batches; per-record failures come back, they do not throw. */
  update(type: RecordType, updates: readonly RecordUpdate[]): Promise<WriteResult>;
  /** Near-real-time changes, where the CRM offers them (optional). */
  subscribeChanges?(options: ChangeStreamOptions): { cancel(): void };
  /** API calls made so far (for run reports and benchmarks). */
  readonly apiCalls: number;
  /** Rate-limit (429) answers received so far, where the connector counts them. */
  readonly rateLimited?: number;
}
