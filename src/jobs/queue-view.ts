/**
 * What the run queue shows the admin API and UI (`GET /api/queue`): plain types with no imports,
 * so the admin UI's type check (ui/tsconfig.json, a browser program without Node's types) can
 * name them without pulling in the queue, the engine and their Node modules.
 */

/** A full run reads everything; an incremental one reads changes since its cursors. */
export type RunKind = 'incremental' | 'full';

/** Why a run was asked for. */
export type RunReason = 'tick' | 'nightly' | 'webhook' | 'now';

/** What the queue holds for an installation, for the admin API and metrics. */
export interface QueueEntry {
  readonly installationId: string;
  /** `failed`: retries used up, waiting for the next tick (in `failing` only). */
  readonly state: 'queued' | 'running' | 'retrying' | 'failed';
  readonly reason: RunReason;
  readonly kind: RunKind;
  /** Epoch ms: when it was queued (queued, retrying) or started (running). */
  readonly since: number;
  /** Failed attempts so far (retrying). */
  readonly attempts: number;
  /** The last attempt's error (retrying, or failing for good). */
  readonly lastError?: string | undefined;
  /** Epoch ms of the next attempt (retrying). */
  readonly retryAt?: number | undefined;
}

export interface QueueSnapshot {
  readonly engine: 'embedded' | 'pg-boss';
  readonly concurrency: number;
  readonly queued: readonly QueueEntry[];
  readonly running: readonly QueueEntry[];
  /** Installations whose last run failed: retrying, or given up until the next tick. */
  readonly failing: readonly QueueEntry[];
}
