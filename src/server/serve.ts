/**
 * `righttouch serve`: the installable app in one process — the Express server (installs,
 * webhooks, admin API, card, health, metrics), the scheduler (per installation: incremental every
 * N minutes, nightly full reconcile, each under the installation's lease in the store, so several
 * processes on one store never sync the same installation at once), the debounced webhook queue,
 * and notifications. Settings come from the environment, parsed once (src/app/env.ts, config.ts,
 * and the README); the store is PostgreSQL when that environment's DATABASE_URL is set.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { Credentials } from '../app/connectors.ts';
import { parseEnv } from '../app/env.ts';
import { DEFAULT_DATA_FILE } from '../app/paths.ts';
import { loadMapping } from '../app/policy.ts';
import { openStore } from '../app/store.ts';
import {
  LEASE_HELD,
  runInstallationSync,
  startScheduler,
  type JobDeps,
  type RunKind,
  type RunOutcome,
} from '../jobs/index.ts';
import { UNINSTALLED_RETENTION_MS } from '../store/erase.ts';
import { secretKey } from '../store/secrets.ts';
import type { Installation, Store } from '../store/store.ts';
import type { ChangedRecords, SyncReport } from '../sync/engine.ts';
import { createApp } from './app.ts';
import { serverConfig, type ServerConfig } from '../app/config.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { notify } from './notify.ts';
import { SalesforceStreams } from '../../connectors/salesforce/streams.ts';
import { createDebouncedQueue } from './webhooks/debounce.ts';
import { changedRecords, emptyAffected } from '../../connectors/hubspot/webhooks/events.ts';
import { applyRemovalsAndMerges } from './webhooks/apply.ts';

export interface RunningServer {
  readonly url: string;
  readonly store: Store;
  readonly config: ServerConfig;
  readonly metrics: Metrics;
  /** Runs queued by webhooks and "run now" (for tests: wait for them). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly data?: string | undefined;
  /** Overrides PORT (0: any free port). */
  readonly port?: number | undefined;
  /** Quiet time before a webhook-triggered sync (default 1 s; a change waits at most 4 s). */
  readonly webhookDelayMs?: number | undefined;
  readonly logger?: Logger | undefined;
  readonly fetch?: typeof fetch | undefined;
  /** Incremental reads start this long before the last cursor (default 5 minutes: search lags). */
  readonly overlapMs?: number | undefined;
}

export async function serve(
  options: ServeOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RunningServer> {
  // The environment, checked once (every problem in one ConfigError): src/app/env.ts.
  const parsed = parseEnv(env);
  const config = serverConfig(parsed);
  const dataFile = options.data ?? DEFAULT_DATA_FILE;
  const store = await openStore(dataFile, parsed);
  const key = secretKey(env, dirname(dataFile));
  const logger = options.logger ?? createLogger();
  const metrics = createMetrics();
  const credentials = new Credentials({
    store,
    key,
    config,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    onUninstalled: (installation) => {
      logger.info(
        { installation: installation.id, crm: installation.crm },
        'uninstalled from the CRM account: tokens dropped, data forgotten, schedules stopped',
      );
      track(scheduler.refresh());
      if (streams !== undefined) track(streams.refresh());
    },
  });
  const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

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
    connectorFor: (installation) => credentials.connectorFor(installation),
    mappingFor: (crm) => loadMapping(crm),
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
  const running = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  const runNow = async (installationId: string, kind: RunKind, only?: ChangedRecords): Promise<RunOutcome> => {
    const outcome = await runInstallationSync(jobDeps, installationId, kind, only);
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
  const queue = createDebouncedQueue({
    delayMs: options.webhookDelayMs ?? 1000,
    maxWaitMs: 4000,
    // The records the webhooks named are read by id (no search, no wait for its index); removals
    // and merges are applied to the mirror first (apply.ts) and, like Change Data Capture nudges
    // (which name nothing), make an incremental run.
    run: async (installationId, affected) => {
      await applyRemovalsAndMerges(store, installationId, affected);
      const outcome = await runNow(installationId, 'incremental', changedRecords(affected));
      // A run that read before a privacy deletion (HubSpot's search index lags) may have mirrored
      // the contact again: erase once more after it.
      for (const contactId of affected.erasures) await store.eraseRecord(installationId, 'contact', contactId);
      // A scheduled run has the installation: it may have read before these changes, so they wait
      // for the next turn rather than for the next scheduled run.
      if (outcome.status === 'skipped' && outcome.reason === LEASE_HELD) queue.push(installationId, affected);
    },
    onError: (error, installationId) => {
      logger.warn({ installation: installationId, err: String(error) }, 'webhook sync failed');
    },
  });
  const scheduler = startScheduler(jobDeps);
  await scheduler.refresh();
  // Salesforce Change Data Capture, where the admin has enabled it for the objects (SF_CHANGE_EVENTS=on).
  const streams = config.salesforce.changeEvents
    ? new SalesforceStreams({
        store,
        connectorFor: (installation) => credentials.connectorFor(installation),
        onChange: (installationId) => {
          queue.push(installationId, emptyAffected());
        },
        metrics,
        logger: {
          info: (message) => {
            logger.info(message);
          },
          warn: (message) => {
            logger.warn(message);
          },
        },
      })
    : undefined;
  await streams?.refresh();

  const app = createApp({
    store,
    config,
    key,
    credentials,
    metrics,
    logger,
    mappingFor: (crm) => loadMapping(crm),
    requestSync: (installationId, kind) => {
      track(runNow(installationId, kind));
    },
    onWebhookChange: (installationId, affected) => {
      queue.push(installationId, affected);
    },
    onSettingsChanged: () => {
      track(scheduler.refresh());
    },
    onInstalled: () => {
      track(scheduler.refresh());
      if (streams !== undefined) track(streams.refresh());
    },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(streams === undefined ? {} : { changeStreams: () => streams.health() }),
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.port, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  // HubSpot redelivers for up to a day or so: a few days of event ids is enough to de-duplicate.
  // Uninstalled installations' rows and policies go after their retention (src/store/erase.ts).
  const prune = setInterval(() => {
    void store.pruneWebhookEvents(Date.now() - 3 * 86_400_000);
    void store.purgeUninstalled(Date.now() - UNINSTALLED_RETENTION_MS);
  }, 3_600_000);
  prune.unref();
  logger.info(
    { port, publicBaseUrl: config.publicBaseUrl, installations: scheduler.tasks().length / 2 },
    'RightTouch server started',
  );

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    config,
    metrics,
    async idle() {
      await queue.drain();
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    async close() {
      clearInterval(prune);
      queue.stop();
      streams?.stop();
      await scheduler.stop();
      await Promise.allSettled([...running]);
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await store.close();
    },
  };
}
