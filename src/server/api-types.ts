/**
 * The admin API's request and response bodies (routes/admin.ts, and `/ui-config.json` and the
 * policy-version route in app.ts), declared once: the routes check what they send against these
 * (`satisfies`), and the admin UI imports them (ui/src/types.ts re-exports this module). Types
 * only, importing only types: esbuild erases the UI's imports of it, so no server code reaches
 * the browser bundle.
 */
import type { CapacityReport } from '../core/capacity.ts';
import type { Policy, PolicyProblem, Tier } from '../core/policy-types.ts';
import type { SectionSummary } from '../core/summary.ts';
import type {
  FoundRecord,
  HistoryEntry,
  Installation,
  InstallationSettings,
  RecordDisplay,
  NextTierCandidate,
  RejectedRow,
  RunRecord,
  StoredCrmList,
  StoredTier,
} from '../store/store.ts';
import type { QueueEntry, QueueSnapshot } from '../jobs/queue-view.ts';

export type { CapacityReport, HistoryEntry, Installation, InstallationSettings, Policy, PolicyProblem, RejectedRow };
export type { FoundRecord, NextTierCandidate, RecordDisplay, RunRecord, StoredCrmList, StoredTier, Tier };

export type RecordType = 'company' | 'contact';

export interface InstallationWithRun extends Installation {
  readonly lastRun: RunRecord | null;
  /** The lists per tier setup keeps in the CRM (empty before the first setup, or with lists off from the start). */
  readonly lists: readonly StoredCrmList[];
}

export interface InstallationsResponse {
  readonly installations: readonly InstallationWithRun[];
}

export interface InstallationResponse {
  readonly installation: Installation;
  readonly runs: readonly RunRecord[];
  readonly lists: readonly StoredCrmList[];
}

export interface PolicyVersionInfo {
  readonly version: number;
  readonly createdAt: number;
}

export interface PolicyResponse {
  readonly active: { readonly version: number; readonly policy: Policy; readonly createdAt: number } | null;
  readonly versions: readonly PolicyVersionInfo[];
}

/** `PUT /api/installations/:id/policy`: the version saved (now active). */
export interface SavedPolicyResponse {
  readonly version: number;
  readonly createdAt: number;
}

export interface PolicyVersionResponse {
  readonly version: number;
  readonly createdAt: number;
  readonly policy: Policy;
}

export interface ValidateResponse {
  readonly ok: boolean;
  readonly problems: readonly PolicyProblem[];
}

export interface PreviewMovement {
  readonly type: RecordType;
  /** The current tier, or `(none)` for a record never tiered. */
  readonly from: string;
  readonly to: string;
  readonly count: number;
  readonly samples: readonly { readonly id: string; readonly reasons: readonly string[] }[];
}

export interface PreviewResponse {
  readonly summary: {
    readonly tiers: readonly Tier[];
    readonly company: SectionSummary;
    readonly contact: SectionSummary;
    readonly withPrevious: boolean;
    readonly capacity: readonly CapacityReport[];
  };
  readonly movements: readonly PreviewMovement[];
  /** Records whose tier would change. */
  readonly changed: number;
  /** Records keeping their tier whose reason or next-tier hint would change (written too). */
  readonly rewritten: number;
  /** Update calls the next sync would make to write both. */
  readonly apiCalls: number;
}

export interface DistributionPoint {
  readonly runId: string;
  readonly at: number;
  readonly tiers: Readonly<Record<RecordType, Readonly<Record<string, number>>>>;
}

export interface DistributionResponse {
  readonly points: readonly DistributionPoint[];
}

export interface RunsResponse {
  readonly runs: readonly RunRecord[];
}

export interface RejectedResponse {
  readonly rejected: readonly RejectedRow[];
}

/** `POST /api/installations/:id/runs`: 202, the kind of run queued. */
export interface RunQueuedResponse {
  readonly queued: 'incremental' | 'full';
}

export type { QueueEntry };

/** `GET /api/queue`: the runs queued, running and failing (of the installations this key may see). */
export type QueueResponse = QueueSnapshot;

/** `PUT /api/installations/:id/settings`: the settings now stored. */
export interface SettingsResponse {
  readonly settings: InstallationSettings;
}

/** A refusal (4xx/5xx): what went wrong, and for an invalid policy or settings every problem with its path. */
export interface ErrorResponse {
  readonly error: string;
  readonly problems?: readonly PolicyProblem[];
}

export interface RecordResponse {
  readonly current: StoredTier | null;
  readonly history: readonly HistoryEntry[];
  /** What people know it by (name, domain, email) from the mirror; null when not mirrored or the mapping gives none. */
  readonly display: RecordDisplay | null;
}

/**
 * `GET /api/installations/:id/records?q=…[&type=company|contact][&limit=20]`: the records whose id
 * is `q`, or whose name, domain or email starts with it (any case), by name, with their current tier.
 */
export interface FindRecordsResponse {
  readonly matches: readonly FoundRecord[];
  /** More records match than the page holds. */
  readonly more: boolean;
}

/**
 * `GET /api/installations/:id/next-tier?limit=10`: the companies closest to their next tier,
 * smallest relative gap first (spec §8), from the tiers the last syncs stored.
 */
export interface NextTierResponse {
  readonly companies: readonly NextTierCandidate[];
}

/** `GET /ui-config.json`: which CRM apps this server can install (no secrets). */
export interface UiConfig {
  readonly hubspot: { readonly configured: boolean; readonly installUrl: string };
  readonly salesforce: { readonly configured: boolean; readonly installUrl: string };
}
