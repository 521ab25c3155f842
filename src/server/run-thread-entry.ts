/**
 * The runs' thread of `righttouch serve` on SQLite (a `node:worker_threads` worker started by
 * run-thread.ts): the embedded run queue, its schedule and executor (runner.ts) over the thread's
 * own connection to the SQLite file, so that the syncs — and node:sqlite's synchronous calls — stay
 * off the HTTP thread's event loop. Two connections of one process share the file as two processes
 * do (WAL, BEGIN IMMEDIATE, the busy timeout: src/store/sqlite-driver.ts).
 *
 * It answers the HTTP thread's queue calls (enqueue, snapshot, idle), and sends back what the
 * server records: its log lines (pino JSON, redacted here and tagged with `thread`, written by the
 * server's logger), the runs' metrics observations, and portals found uninstalled. It has no
 * fetch of its own to be given: it uses the global one (tests that inject a fetch run in-thread).
 */
import { Writable } from 'node:stream';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { serverConfig } from '../app/config.ts';
import { Credentials } from '../app/connectors.ts';
import { errorMessage } from '../app/errors.ts';
import { parseEnv } from '../app/env.ts';
import { openStore } from '../app/store.ts';
import type { RunRequest } from '../jobs/index.ts';
import { createLogger } from './logger.ts';
import { runFigures, type RunMetrics } from './metrics.ts';
import type { FromThread, RunThreadData, ToThread } from './run-thread-protocol.ts';
import { startRunner } from './runner.ts';

const port = parentPort;
if (port === null) throw new Error('run-thread-entry.ts runs as a worker thread of righttouch serve');
const data = workerData as RunThreadData;
const post = (message: FromThread): void => {
  port.postMessage(message);
};

const env = parseEnv(data.env);
const store = await openStore(data.dataFile, env);
const logger = createLogger({
  level: data.level,
  destination: new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      post({ type: 'log', line: chunk.toString() });
      done();
    },
  }),
}).child({ thread: threadId });
const credentials = new Credentials({
  store,
  key: Buffer.from(data.key),
  config: serverConfig(env),
  onUninstalled: (installation) => {
    post({ type: 'uninstalled', installation });
  },
});
// The request as the observers read it (its reason and kind), without a webhook's record sets.
const slim = (request: RunRequest): RunRequest => ({
  installationId: request.installationId,
  reason: request.reason,
  kind: request.kind,
});
const metrics: RunMetrics = {
  recordRun(crm, status, report) {
    post({ type: 'run', crm, status, ...(report === undefined ? {} : { figures: runFigures(report) }) });
  },
  queueObserver: {
    started(request, waitedMs) {
      post({ type: 'started', request: slim(request), waitedMs });
    },
    finished(request, outcome, durationMs) {
      post({
        type: 'finished',
        request: slim(request),
        outcome: outcome.status === 'ran' ? { status: 'ran' } : outcome,
        durationMs,
      });
    },
  },
  // The HTTP thread's gauge reads the queue through its calls (run-thread.ts).
  watchQueue: () => undefined,
};
const runner = await startRunner({
  env,
  store,
  credentials,
  metrics,
  logger,
  work: true,
  tickIntervalMs: data.tickIntervalMs,
  retryDelayMs: data.retryDelayMs,
  leaseTtlMs: data.leaseTtlMs,
});

port.on('message', (message: ToThread) => {
  if (message.type === 'stop') {
    void (async () => {
      await runner.stop();
      await store.close();
      post({ type: 'stopped' });
    })();
    return;
  }
  const { id } = message;
  const answer =
    message.call === 'enqueue'
      ? runner.queue.enqueue(message.request).then(() => ({}))
      : message.call === 'snapshot'
        ? runner.queue.snapshot().then((snapshot) => ({ snapshot }))
        : runner.queue.idle().then(() => ({}));
  answer.then(
    (value) => {
      post({ type: 'answer', id, ...value });
    },
    (error: unknown) => {
      post({ type: 'answer', id, error: errorMessage(error) });
    },
  );
});
post({ type: 'ready' });
