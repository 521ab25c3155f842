/**
 * `righttouch worker`: runs syncs and no HTTP server — the run queue's worker and the schedule
 * (src/server/runner.ts) over PostgreSQL, beside `righttouch serve --no-worker` processes that
 * answer the CRMs and the admins. Any number of workers may run on one database: pg-boss hands
 * each job to one of them, and each runs at most RIGHTTOUCH_CONCURRENCY syncs at once. On SQLite
 * it refuses to start: the embedded queue runs in the `serve` process.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { serverConfig } from '../app/config.ts';
import { Credentials } from '../app/connectors.ts';
import { parseEnv } from '../app/env.ts';
import { InputError } from '../app/errors.ts';
import { DEFAULT_DATA_FILE } from '../app/paths.ts';
import { openStore } from '../app/store.ts';
import { secretKey } from '../store/secrets.ts';
import type { Store } from '../store/store.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { startRunner, type Runner } from './runner.ts';

export interface WorkerOptions {
  readonly data?: string | undefined;
  readonly logger?: Logger | undefined;
  readonly fetch?: typeof fetch | undefined;
  readonly tickIntervalMs?: number | undefined;
  readonly retryDelayMs?: number | undefined;
  readonly bossSchema?: string | undefined;
}

export interface RunningWorker {
  readonly store: Store;
  readonly runner: Runner;
  close(): Promise<void>;
}

export async function startWorker(
  options: WorkerOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RunningWorker> {
  const parsed = parseEnv(env);
  if (parsed.DATABASE_URL === undefined) {
    throw new InputError(
      'righttouch worker needs DATABASE_URL (PostgreSQL): on SQLite, righttouch serve runs the syncs',
    );
  }
  const config = serverConfig(parsed);
  const dataFile = options.data ?? DEFAULT_DATA_FILE;
  const store = await openStore(dataFile, parsed);
  const logger = options.logger ?? createLogger();
  const credentials = new Credentials({
    store,
    key: secretKey(env, dirname(dataFile)),
    config,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const runner = await startRunner({
    env: parsed,
    store,
    credentials,
    metrics: createMetrics(),
    logger,
    work: true,
    fetch: options.fetch,
    tickIntervalMs: options.tickIntervalMs,
    retryDelayMs: options.retryDelayMs,
    bossSchema: options.bossSchema,
  });
  logger.info(
    { engine: runner.engine, concurrency: parsed.RIGHTTOUCH_CONCURRENCY ?? 'default' },
    'RightTouch worker started',
  );
  return {
    store,
    runner,
    async close() {
      await runner.stop();
      await store.close();
    },
  };
}
