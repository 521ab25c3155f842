/**
 * What runs the syncs of `righttouch serve` and `righttouch worker`: the run queue
 * (src/jobs/queue.ts) on its engine — pg-boss when DATABASE_URL is set, else the embedded queue —
 * the schedule that feeds it (ticker.ts), and the executor of one request (webhook removals and
 * merges applied first, the sync, privacy erasures again after it, metrics, needs-reconnect).
 *
 * `work: false` (`serve --no-worker`, PostgreSQL only): the queue only takes requests (webhooks,
 * "sync now", installs) and no schedule runs here; `righttouch worker` processes run them.
 */
import type { Logger } from 'pino';
import type { Credentials } from '../app/connectors.ts';
import type { Env } from '../app/env.ts';
import { InputError } from '../app/errors.ts';
import { DEFAULT_NIGHTLY_WINDOW, parseNightlyWindow } from '../app/nightly-window.ts';
import { shippedMapping } from '../app/policy.ts';
import {
  createEmbeddedQueue,
  DEFAULT_CONCURRENCY,
  processHolder,
  runInstallationSync,
  startTicker,
  type JobDeps,
  type RunOutcome,
  type RunQueue,
  type RunRequest,
  type Ticker,
} from '../jobs/index.ts';
import { createPgBossQueue } from '../jobs/pgboss-queue.ts';
import type { Installation, Store } from '../store/store.ts';
import type { SyncReport } from '../sync/engine.ts';
import { changedRecords } from '../../connectors/hubspot/webhooks/events.ts';
import type { RunMetrics } from './metrics.ts';
import { notify } from './notify.ts';
import { applyRemovalsAndMerges } from './webhooks/apply.ts';

export interface RunnerOptions {
  readonly env: Env;
  readonly store: Store;
  readonly credentials: Credentials;
  readonly metrics: RunMetrics;
  readonly logger: Logger;
  /** Run syncs here (default true); false: only queue them (PostgreSQL). */
  readonly work?: boolean | undefined;
  readonly fetch?: typeof fetch | undefined;
  readonly tickIntervalMs?: number | undefined;
  readonly retryDelayMs?: number | undefined;
  /** pg-boss's schema (default `pgboss`). */
  readonly bossSchema?: string | undefined;
  /** How long an installation's lease outlives a run that stopped renewing it (default 2 minutes; tests). */
  readonly leaseTtlMs?: number | undefined;
}

export interface Runner {
  readonly queue: RunQueue;
  readonly engine: 'embedded' | 'pg-boss';
  stop(): Promise<void>;
}

export async function startRunner(options: RunnerOptions): Promise<Runner> {
  const { env, store, credentials, metrics, logger } = options;
  const work = options.work ?? true;
  const databaseUrl = env.DATABASE_URL;
  if (!work && databaseUrl === undefined) {
    throw new InputError(
      '--no-worker needs DATABASE_URL (PostgreSQL): on SQLite the syncs run in the serve process itself',
    );
  }
  const holder = processHolder('server');
  const onReport = async (installation: Installation, report: SyncReport): Promise<void> => {
    metrics.recordRun(installation.crm, report.rejected.length > 0 ? 'partial' : 'succeeded', report);
    try {
      await notify(installation, report, options.fetch);
    } catch (error) {
      logger.warn({ installation: installation.id, err: String(error) }, 'tier-change notification failed');
    }
  };
  const jobDeps: JobDeps = {
    store,
    holder,
    ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
    connectorFor: (installation) => credentials.connectorFor(installation),
    mappingFor: shippedMapping,
    onReport,
    logger: {
      info: (message) => {
        logger.info(message);
      },
      warn: (message) => {
        logger.warn(message);
      },
    },
  };

  /** One request of the run queue: webhook removals first, the sync, erasures after. */
  const execute = async (request: RunRequest, signal: AbortSignal): Promise<RunOutcome> => {
    const installationId = request.installationId;
    const { affected } = request;
    // Removals and merges are applied to the mirror first (apply.ts); the records the webhooks
    // named are read by id (no search, no wait for its index) when only webhooks asked.
    if (affected !== undefined) await applyRemovalsAndMerges(store, installationId, affected);
    const only = request.reason === 'webhook' && affected !== undefined ? changedRecords(affected) : undefined;
    const outcome = await runInstallationSync({ ...jobDeps, signal }, installationId, request.kind, only);
    // A run that read before a privacy deletion (HubSpot's search index lags) may have mirrored
    // the contact again: erase once more after it.
    for (const contactId of affected?.erasures ?? []) await store.eraseRecord(installationId, 'contact', contactId);
    if (outcome.status === 'failed') {
      const installation = await store.getInstallation(installationId);
      metrics.recordRun(installation?.crm ?? 'unknown', 'failed');
      // The CRM refused the grant, or the tokens are gone (the run's error code, from the error's
      // type: src/app/errors.ts): the admin must install again.
      if (installation?.status === 'active' && outcome.code === 'needs_reconnect') {
        await store.setInstallationStatus(installationId, 'needs_reconnect', outcome.error);
      }
      logger.warn({ installation: installationId, error: outcome.error }, 'sync failed');
    }
    return outcome;
  };

  const concurrency =
    env.RIGHTTOUCH_CONCURRENCY === undefined ? DEFAULT_CONCURRENCY : Number(env.RIGHTTOUCH_CONCURRENCY);
  const queue =
    databaseUrl === undefined
      ? createEmbeddedQueue({
          execute,
          concurrency,
          retryDelayMs: options.retryDelayMs,
          observer: metrics.queueObserver,
        })
      : await createPgBossQueue({
          connectionString: databaseUrl,
          schema: options.bossSchema,
          store,
          execute,
          concurrency,
          work,
          retryDelayMs: options.retryDelayMs,
          observer: metrics.queueObserver,
          onError: (error) => {
            logger.warn({ err: String(error) }, 'pg-boss');
          },
          onSettingsChanged: (message) => {
            logger.info(message);
          },
        });
  metrics.watchQueue(() => queue.snapshot());

  const nightlyWindow = parseNightlyWindow(env.RIGHTTOUCH_NIGHTLY_WINDOW ?? DEFAULT_NIGHTLY_WINDOW);
  if (nightlyWindow === undefined) throw new Error('unreachable: RIGHTTOUCH_NIGHTLY_WINDOW is checked by parseEnv');
  const ticker: Ticker | undefined = work
    ? startTicker({ store, queue, nightlyWindow, intervalMs: options.tickIntervalMs, logger: jobDeps.logger })
    : undefined;

  return {
    queue,
    engine: databaseUrl === undefined ? 'embedded' : 'pg-boss',
    async stop() {
      await ticker?.stop();
      await queue.stop();
    },
  };
}
