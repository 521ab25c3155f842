/**
 * `righttouch serve`: the installable app in one process — the Express server (installs,
 * webhooks, admin API, card, health, metrics), the run queue and the schedule that feeds it
 * (src/jobs: per installation an incremental run every N minutes at its own offset, the nightly
 * reconcile spread over RIGHTTOUCH_NIGHTLY_WINDOW, at most RIGHTTOUCH_CONCURRENCY runs at once, each
 * under the installation's lease in the store), the debounced webhook queue, and notifications.
 * Every run — scheduled, webhook, Change Data Capture, "sync now", after an install — goes through
 * the one run queue; on a SQLite file the queue, its schedule and its runs live on a thread of their
 * own (run-thread.ts), off the HTTP thread's event loop. Settings come from the environment, parsed once (src/app/env.ts, config.ts,
 * and the README); the store is PostgreSQL when that environment's DATABASE_URL is set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { Credentials } from '../app/connectors.ts';
import { parseEnv } from '../app/env.ts';
import { DEFAULT_DATA_FILE } from '../app/paths.ts';
import { loadMapping } from '../app/policy.ts';
import { openStore } from '../app/store.ts';
import type { RunRequest } from '../jobs/index.ts';
import { UNINSTALLED_RETENTION_MS } from '../store/erase.ts';
import { secretKey } from '../store/secrets.ts';
import type { Installation, Store } from '../store/store.ts';
import { createApp } from './app.ts';
import { serverConfig, type ServerConfig } from '../app/config.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { startRunThread } from './run-thread.ts';
import { startRunner } from './runner.ts';
import { SalesforceStreams } from '../../connectors/salesforce/streams.ts';
import { createDebouncedQueue } from './webhooks/debounce.ts';
import { emptyAffected } from '../../connectors/hubspot/webhooks/events.ts';

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
  /** How often the schedule looks for due runs (default 1 s). */
  readonly tickIntervalMs?: number | undefined;
  /** The first retry's delay of a failed run (default 30 s, doubling). */
  readonly retryDelayMs?: number | undefined;
  /** False (`--no-worker`, PostgreSQL only): queue runs for `righttouch worker` processes, run none here. */
  readonly worker?: boolean | undefined;
  /** pg-boss's schema (default `pgboss`). */
  readonly bossSchema?: string | undefined;
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
      logUninstalled(installation);
    },
  });
  const logUninstalled = (installation: Installation): void => {
    logger.info(
      { installation: installation.id, crm: installation.crm },
      'uninstalled from the CRM account: tokens dropped, data forgotten, schedules stopped',
    );
    if (streams !== undefined) track(streams.refresh());
  };
  const running = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  // On a SQLite file the runs go to a thread of their own (run-thread.ts): off the HTTP event loop.
  const runner =
    parsed.DATABASE_URL === undefined &&
    options.worker !== false &&
    dataFile !== ':memory:' &&
    options.fetch === undefined
      ? await startRunThread({
          env,
          dataFile,
          key,
          logger,
          metrics,
          onUninstalled: (installation) => {
            logUninstalled(installation);
          },
          tickIntervalMs: options.tickIntervalMs,
          retryDelayMs: options.retryDelayMs,
        })
      : await startRunner({
          env: parsed,
          store,
          credentials,
          metrics,
          logger,
          work: options.worker,
          fetch: options.fetch,
          tickIntervalMs: options.tickIntervalMs,
          retryDelayMs: options.retryDelayMs,
          bossSchema: options.bossSchema,
        });
  const runQueue = runner.queue;
  const enqueue = (request: RunRequest): void => {
    track(runQueue.enqueue(request));
  };
  // Bursts of webhook deliveries become one request (the run queue merges further while it waits).
  const queue = createDebouncedQueue({
    delayMs: options.webhookDelayMs ?? 1000,
    maxWaitMs: 4000,
    run: (installationId, affected) =>
      runQueue.enqueue({ installationId, reason: 'webhook', kind: 'incremental', affected }),
    onError: (error, installationId) => {
      logger.warn({ installation: installationId, err: String(error) }, 'webhook sync failed');
    },
  });
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
      enqueue({ installationId, reason: 'now', kind });
    },
    queueSnapshot: () => runQueue.snapshot(),
    onWebhookChange: (installationId, affected) => {
      queue.push(installationId, affected);
    },
    // Settings are read from the store at every look of the schedule: nothing to tell it.
    onInstalled: () => {
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
    { port, publicBaseUrl: config.publicBaseUrl, installations: (await store.listInstallations()).length },
    'RightTouch server started',
  );

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    config,
    metrics,
    async idle() {
      do {
        await queue.drain();
        while (running.size > 0) await Promise.allSettled([...running]);
        await runQueue.idle();
      } while (queue.size > 0 || running.size > 0);
    },
    async close() {
      clearInterval(prune);
      queue.stop();
      streams?.stop();
      await runner.stop();
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
