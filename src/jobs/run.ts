/**
 * One sync of one installation, as the scheduler runs it (and anything else may): under the lease
 * `sync:<installationId>`, so that however many processes share the store, one installation is
 * synced by one of them at a time. The lease is renewed while the run goes on; a run that uses up
 * its time budget or loses its lease stops at the next page it reads, or once classified before
 * its CRM writes, and the next run picks up where it left off: the engine moves its cursors only
 * after the writes (and writes then what a stopped run recorded).
 * Nothing here throws: every attempt ends as an outcome (ran, skipped or failed).
 */
import { classifyError, errorMessage, type AppErrorCode } from '../app/errors.ts';
import { DEFAULT_POLICY_FILE } from '../app/paths.ts';
import { activePolicyVersion, shippedMapping } from '../app/policy.ts';
import { setUpCrm, setupOptionsOf } from '../app/setup.ts';
import type { Policy } from '../core/index.ts';
import type { Mapping } from '../mapping/mapping.ts';
import type { Crm, Installation, InstallationSettings, PolicyVersion, Store } from '../store/store.ts';
import type { Connector } from '../sync/connector.ts';
import { CURSOR, RunStoppedError, sync, type ChangedRecords } from '../sync/engine.ts';
import type { SyncReport } from '../sync/engine.ts';
import { syncLeaseName, takeLease, type Lease } from './lease.ts';

export const DEFAULT_BUDGET_MS = 10 * 60_000;
/** The reason of a run skipped because another holder has the installation's lease. */
export const LEASE_HELD = 'another worker is syncing it';
/** The reason of a run skipped because `signal` was aborted before it began. */
export const SHUTTING_DOWN = 'the worker is shutting down';
/** The policy an installation without one starts with (saved as its first version). */
export const DEFAULT_POLICY_PATH = DEFAULT_POLICY_FILE;

export interface JobLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface JobDeps {
  readonly store: Store;
  /** The connector for an installation (its credentials come from wherever the caller keeps them). */
  readonly connectorFor: (installation: Installation) => Promise<Connector>;
  /** This process (lease.ts `processHolder`: `host:pid:random`); each run takes the lease as `<holder>/<run>`. */
  readonly holder: string;
  readonly clock?: (() => Date) | undefined;
  /** How long a lease lasts without renewal (default 2 minutes); renewed every third of it. */
  readonly leaseTtlMs?: number | undefined;
  /** How long one run may read before it stops (default 10 minutes); the next run picks up. */
  readonly budgetMs?: number | undefined;
  /** How far before the last cursor incremental reads start (the engine's default: 5 minutes). */
  readonly overlapMs?: number | undefined;
  /** The mapping of a CRM (default: mappings/<crm>.json of this package). */
  readonly mappingFor?: ((crm: Crm) => Promise<Mapping>) | undefined;
  /** Called after a run that ran (its lease already released); its errors are logged, not fatal. */
  readonly onReport?: ((installation: Installation, report: SyncReport) => void | Promise<void>) | undefined;
  readonly logger?: JobLogger | undefined;
  /** Aborted: runs stop at the next page they read (the scheduler aborts on stop()). */
  readonly signal?: AbortSignal | undefined;
}

import type { RunKind } from './queue-view.ts';

export type { RunKind };

export type RunOutcome =
  | { readonly status: 'ran'; readonly report: SyncReport }
  | { readonly status: 'skipped'; readonly reason: string }
  /** `code`: what kind of failure (src/app/errors.ts), e.g. `needs_reconnect` when the CRM refused the grant. */
  | { readonly status: 'failed'; readonly error: string; readonly code: AppErrorCode };

function label(installation: Installation): string {
  return `${installation.crm} ${installation.externalId}${installation.name === null ? '' : ` (${installation.name})`}`;
}

/**
 * Syncs one installation under its lease; `full` is forced when it has no cursor yet (its first
 * run). `only` (with `incremental`): a webhook named these records, so the run reads just them by
 * id, when the connector can (otherwise it is a plain incremental run).
 */
export async function runInstallationSync(
  deps: JobDeps,
  installationId: string,
  kind: RunKind,
  only?: ChangedRecords,
): Promise<RunOutcome> {
  const log = deps.logger;
  let installation: Installation | undefined;
  let report: SyncReport;
  try {
    installation = await deps.store.getInstallation(installationId);
    if (installation === undefined) {
      const error = `no installation ${installationId}`;
      log?.warn(`sync ${installationId}: ${error}`);
      return { status: 'failed', error, code: 'not_found' };
    }
    if (installation.status !== 'active') {
      const reason =
        installation.status === 'uninstalled'
          ? 'uninstalled'
          : `needs reconnecting${installation.statusDetail === null ? '' : `: ${installation.statusDetail}`}`;
      log?.info(`sync of ${label(installation)} skipped: ${reason}`);
      return { status: 'skipped', reason };
    }
    if (deps.signal?.aborted === true) return { status: 'skipped', reason: SHUTTING_DOWN };
    const lease = await takeLease(deps, syncLeaseName(installationId));
    if (lease === undefined) {
      log?.info(`sync of ${label(installation)} skipped: ${LEASE_HELD}`);
      return { status: 'skipped', reason: LEASE_HELD };
    }
    try {
      report = await syncUnderLease(deps, installation, kind, lease, only);
    } finally {
      await lease.release();
    }
  } catch (error) {
    const message = errorMessage(error);
    log?.warn(`sync of ${installation === undefined ? installationId : label(installation)} failed: ${message}`);
    return { status: 'failed', error: message, code: classifyError(error) };
  }
  log?.info(
    `sync of ${label(installation)}: ${report.kind} run ${report.runId}: read ${report.pulled.companies} companies, ` +
      `${report.pulled.contacts} contacts, ${report.pulled.deals} deals; ${report.written} written, ` +
      `${report.rejected.length} refused`,
  );
  const reconcile = report.reconcile;
  if (reconcile !== undefined && reconcile.differences > 0) {
    log?.warn(
      `sync of ${label(installation)}: the full run found ${reconcile.differences} record(s) the incremental ` +
        `runs decided otherwise (corrected; righttouch_reconcile_differences_total), e.g. ${reconcile.examples.join('; ')}`,
    );
  }
  if (report.leadScore?.source === 'picked' || (report.leadScore?.warnings.length ?? 0) > 0) {
    const { property, source, warnings } = report.leadScore ?? { property: null, source: '', warnings: [] };
    log?.info(
      `sync of ${label(installation)}: lead score read from ${property ?? '(none)'}${source === 'picked' ? ' (picked now, kept from now on)' : ''}` +
        warnings.map((warning) => `; ${warning}`).join(''),
    );
  }
  if (deps.onReport !== undefined) {
    try {
      await deps.onReport(installation, report);
    } catch (error) {
      log?.warn(`sync of ${label(installation)}: reporting run ${report.runId} failed: ${errorMessage(error)}`);
    }
  }
  return { status: 'ran', report };
}

async function syncUnderLease(
  deps: JobDeps,
  installation: Installation,
  kind: RunKind,
  lease: Lease,
  only: ChangedRecords | undefined,
): Promise<SyncReport> {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());
  const budgetMs = deps.budgetMs ?? DEFAULT_BUDGET_MS;
  const startedAt = clock().getTime();
  let prepared: { connector: Connector; mapping: Mapping; policy: Policy; full: boolean };
  try {
    // The first run's cursor and the setup mark, in one statement.
    const cursors = await store.getCursors(installation.id, [CURSOR.companies, SETUP_CURSOR]);
    const firstRun = !cursors.has(CURSOR.companies);
    const active = await activePolicyVersion(store, installation.id);
    prepared = {
      mapping: await (deps.mappingFor ?? shippedMapping)(installation.crm),
      policy: active.policy,
      connector: await deps.connectorFor(installation),
      full: kind === 'full' || firstRun,
    };
    await ensureSetUp(store, installation, prepared.connector, active, cursors.get(SETUP_CURSOR));
  } catch (error) {
    // The engine records its own runs; a run that could not even start is recorded here, so
    // that the runs list shows every attempt.
    await recordFailedRun(store, installation.id, kind, errorMessage(error), clock().getTime()).catch(
      (recordError: unknown) => {
        deps.logger?.warn(`could not record the failed run of ${label(installation)}: ${errorMessage(recordError)}`);
      },
    );
    throw error;
  }
  const byId =
    only !== undefined &&
    !prepared.full &&
    prepared.connector.readByIds !== undefined &&
    prepared.connector.readDealsByIds !== undefined;
  return sync({
    store,
    installationId: installation.id,
    settings: installation.settings,
    ...prepared,
    ...(byId ? { only } : {}),
    clock: deps.clock,
    ...(deps.overlapMs === undefined ? {} : { overlapMs: deps.overlapMs }),
    shouldStop: () => {
      // Thrown rather than returned, so that the run is recorded with the precise reason.
      if (deps.signal?.aborted === true) {
        throw new RunStoppedError('stopped: the worker is shutting down; the next run picks up');
      }
      if (clock().getTime() - startedAt >= budgetMs) {
        throw new RunStoppedError(`stopped: time budget of ${budgetMs / 1000} s used up; the next run picks up`);
      }
      if (lease.lost()) {
        throw new RunStoppedError(
          `stopped: lost the lease ${lease.name} (not renewed in time; another worker may have the installation); the next run picks up`,
        );
      }
      return false;
    },
  });
}

/**
 * Runs the connector's (idempotent) setup when the CRM has not been set up for the active policy
 * version and settings yet: after an install whose setup failed, after a policy change that adds
 * tiers (their picklist options must exist before a tier can be written; their lists are created),
 * and after an admin turned the lists per tier or the layouts on or off.
 */
async function ensureSetUp(
  store: Store,
  installation: Installation,
  connector: Connector,
  active: PolicyVersion,
  setUpFor: string | undefined,
): Promise<void> {
  const mark = setupMark(active.version, installation.settings);
  if (setUpFor === mark) return;
  await setUpCrm(store, connector, installation, active.policy.tiers);
  await store.setCursor(installation.id, SETUP_CURSOR, mark);
}

/** What the CRM's properties/fields were last set up for: `setupMark(policy version, settings)`. */
export const SETUP_CURSOR = 'setup.policyVersion';

/**
 * The set of properties/fields setup creates, numbered: raised whenever a release adds one, so
 * that every installation is set up again once, before its first run on the new release (1: the
 * tier, reason, updated-at and override; 2: the next-tier hint, `engagement_model_next` /
 * `Engagement_Model_Next__c`, 2026-12; 3: Salesforce field history of the tier, for hand edits,
 * the lists per tier and the Salesforce layouts, 2026-12). Without it an upgraded Salesforce org would fail every
 * read of the new field until an admin ran setup by hand.
 */
export const SETUP_FIELDS_VERSION = 3;

/**
 * The setup cursor's value for a policy version and the installation's setup settings:
 * `3:<version>`, with `;lists=off` / `;layouts=off` when those are turned off, so turning one
 * on or off sets the CRM up again (before 2026-12: `<version>` alone, then `2:<version>`).
 */
export function setupMark(policyVersion: number, settings: InstallationSettings = {}): string {
  const options = setupOptionsOf(settings);
  const off = [options.lists ? '' : ';lists=off', options.layouts ? '' : ';layouts=off'].join('');
  return `${SETUP_FIELDS_VERSION}:${policyVersion}${off}`;
}

async function recordFailedRun(store: Store, installationId: string, kind: RunKind, error: string, at: number) {
  const run = await store.startRun(installationId, kind, at);
  await store.finishRun(run.id, { status: 'failed', counts: {}, errors: [error] }, at);
}
