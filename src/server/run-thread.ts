/**
 * `righttouch serve` on SQLite runs its syncs on a second thread (a `node:worker_threads` worker,
 * https://nodejs.org/api/worker_threads.html): the embedded run queue, its schedule and executor
 * live there (run-thread-entry.ts) with their own connection to the SQLite file, so neither the
 * sync work nor node:sqlite's synchronous calls hold up the HTTP thread's event loop — `/healthz`,
 * webhooks and the admin API answer while installations sync.
 *
 * Here, on the HTTP thread, the `RunQueue` is a proxy: `enqueue`, `snapshot` (`GET /api/queue`,
 * the queue depth gauge) and `idle` are messages answered by the thread (run-thread-protocol.ts).
 * What the thread records comes back as messages and is recorded here, so nothing changes for the
 * operator: its log lines go through the server's logger (to the same destination, tagged with the
 * thread's id as `thread`), and its metrics observations (runs, waits, durations, failures) feed
 * the server's registry, served by `/metrics` as before — counted here, so they survive a restart
 * of the thread.
 *
 * A thread that crashes (an uncaught error, or ended) is logged and started again after 1 s
 * (doubling, up to 30 s, while it keeps failing before it is ready). Calls it had not answered are
 * sent again to the new one; the runs it had queued are gone, and the schedule asks for them at
 * each installation's next tick (the store's cursors mean nothing is skipped). A `:memory:` store
 * (tests) cannot be shared with another thread, and a fetch passed in (tests) cannot cross to it:
 * then `serve` runs the queue in its own thread as before (serve.ts).
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { errorMessage } from '../app/errors.ts';
import type { QueueSnapshot, RunQueue } from '../jobs/index.ts';
import type { Installation } from '../store/store.ts';
import type { RunMetrics } from './metrics.ts';
import type { FromThread, QueueCall, RunThreadData } from './run-thread-protocol.ts';
import type { Runner } from './runner.ts';

const ENTRY = new URL('./run-thread-entry.ts', import.meta.url);
/** How long `GET /api/queue` waits for a thread that is starting again. */
const SNAPSHOT_TIMEOUT_MS = 10_000;
/** How long `stop()` waits for the thread's runs to stop at their next page before ending it. */
const STOP_TIMEOUT_MS = 30_000;
const MAX_RESTART_DELAY_MS = 30_000;

export interface RunThreadOptions {
  /** The environment as serve got it (the thread parses it again). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The SQLite file (not `:memory:`). */
  readonly dataFile: string;
  readonly key: Buffer;
  readonly logger: Logger;
  readonly metrics: RunMetrics;
  /** A run found the portal uninstalled (its data forgotten by the thread already). */
  readonly onUninstalled?: ((installation: Installation) => void) | undefined;
  readonly tickIntervalMs?: number | undefined;
  readonly retryDelayMs?: number | undefined;
  /** How long a run's lease outlives a thread that died with it (default 2 minutes; tests). */
  readonly leaseTtlMs?: number | undefined;
  /** The first restart's delay after a crash (default 1 s). */
  readonly restartDelayMs?: number | undefined;
}

export interface RunThread extends Runner {
  /** The runs' thread's id (`threadId`), undefined while it starts again. */
  readonly threadId: number | undefined;
  /** Ends the thread as a crash would, for tests: logged and started again. */
  crash(): Promise<void>;
}

type Answer = Extract<FromThread, { type: 'answer' }>;
type Call = QueueCall extends infer C ? (C extends QueueCall ? Omit<C, 'id' | 'type'> : never) : never;

interface Pending {
  readonly message: QueueCall;
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

const LEVELS: Partial<Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** One of the thread's pino lines, written again by the server's logger (same level, fields and message). */
function relog(logger: Logger, line: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    logger.info({ runsThread: true }, line.trim());
    return;
  }
  const record = parsed as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) if (!OWN_FIELDS.has(name)) fields[name] = value;
  const level = LEVELS[Number(record['level'])] ?? 'info';
  logger[level](fields, typeof record['msg'] === 'string' ? record['msg'] : '');
}

export async function startRunThread(options: RunThreadOptions): Promise<RunThread> {
  const { logger, metrics } = options;
  const data: RunThreadData = {
    env: { ...options.env },
    dataFile: resolve(options.dataFile),
    key: new Uint8Array(options.key),
    level: logger.level,
    tickIntervalMs: options.tickIntervalMs,
    retryDelayMs: options.retryDelayMs,
    leaseTtlMs: options.leaseTtlMs,
  };
  const baseDelayMs = options.restartDelayMs ?? 1000;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let worker: Worker | undefined;
  let ready = false;
  /** A thread was ready once: a later end is a crash to recover from, not a failed start. */
  let started = false;
  let stopping = false;
  let restartDelayMs = baseDelayMs;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  function onMessage(thread: Worker, message: FromThread, becameReady: () => void): void {
    switch (message.type) {
      case 'ready':
        ready = true;
        started = true;
        restartDelayMs = baseDelayMs;
        for (const call of pending.values()) thread.postMessage(call.message);
        becameReady();
        return;
      case 'answer': {
        const call = pending.get(message.id);
        if (call === undefined) return;
        pending.delete(message.id);
        if (message.error === undefined) call.resolve(message);
        else call.reject(new Error(message.error));
        return;
      }
      case 'log':
        relog(logger, message.line);
        return;
      case 'run':
        metrics.recordRun(message.crm, message.status, message.figures);
        return;
      case 'started':
        metrics.queueObserver.started?.(message.request, message.waitedMs);
        return;
      case 'finished':
        metrics.queueObserver.finished?.(message.request, message.outcome, message.durationMs);
        return;
      case 'uninstalled':
        options.onUninstalled?.(message.installation);
        return;
      case 'stopped':
        void thread.terminate();
        return;
    }
  }

  /** Starts a thread; resolves when it is ready, rejects when it ends before. */
  function start(): Promise<void> {
    return new Promise<void>((resolveReady, rejectReady) => {
      const thread = new Worker(ENTRY, { workerData: data });
      const id = thread.threadId;
      worker = thread;
      ready = false;
      let wasReady = false;
      let failure: unknown;
      thread.on('message', (message: FromThread) => {
        onMessage(thread, message, () => {
          wasReady = true;
          resolveReady();
        });
      });
      thread.on('error', (error) => {
        failure = error;
        logger.error({ thread: id, err: errorMessage(error) }, 'the runs thread failed');
      });
      thread.on('exit', (code) => {
        if (worker === thread) {
          worker = undefined;
          ready = false;
        }
        if (!wasReady) {
          rejectReady(
            new Error(
              `the runs thread ended before it was ready (exit code ${code})${failure === undefined ? '' : `: ${errorMessage(failure)}`}`,
            ),
          );
        }
        if (stopping || !started) return;
        const delayMs = restartDelayMs;
        restartDelayMs = Math.min(restartDelayMs * 2, MAX_RESTART_DELAY_MS);
        logger.error(
          { thread: id, code, restartInMs: delayMs },
          'the runs thread stopped: starting it again (its queued runs come back at their next tick)',
        );
        restartTimer = setTimeout(() => {
          restartTimer = undefined;
          if (!stopping) start().catch(() => undefined);
        }, delayMs);
      });
    });
  }

  function call(what: Call, timeoutMs?: number): Promise<Answer> {
    const id = nextId++;
    const message = { ...what, type: 'call', id } as QueueCall;
    return new Promise<Answer>((resolveCall, rejectCall) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
      };
      pending.set(id, {
        message,
        resolve: (answer) => {
          done();
          resolveCall(answer);
        },
        reject: (error) => {
          done();
          rejectCall(error);
        },
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          pending.delete(id);
          rejectCall(new Error('the runs thread did not answer (starting again?)'));
        }, timeoutMs);
      }
      if (ready) worker?.postMessage(message);
    });
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    if (restartTimer !== undefined) clearTimeout(restartTimer);
    const thread = worker;
    if (thread !== undefined) {
      const exited = new Promise<void>((done) => {
        thread.once('exit', () => {
          done();
        });
      });
      if (ready) {
        thread.postMessage({ type: 'stop' });
        const timer = setTimeout(() => void thread.terminate(), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      } else {
        await thread.terminate();
        await exited;
      }
    }
    for (const call of pending.values()) {
      if (call.message.call === 'snapshot') call.reject(new Error('the runs thread stopped'));
      else call.resolve({ type: 'answer', id: call.message.id });
    }
    pending.clear();
  }

  const queue: RunQueue = {
    async enqueue(request) {
      if (stopping) return;
      await call({ call: 'enqueue', request });
    },
    async snapshot(): Promise<QueueSnapshot> {
      const answer = await call({ call: 'snapshot' }, SNAPSHOT_TIMEOUT_MS);
      if (answer.snapshot === undefined) throw new Error('the runs thread sent no snapshot');
      return answer.snapshot;
    },
    async idle() {
      if (stopping) return;
      await call({ call: 'idle' });
    },
    stop,
  };

  await start();
  metrics.watchQueue(() => queue.snapshot());
  return {
    queue,
    engine: 'embedded',
    get threadId() {
      return ready ? worker?.threadId : undefined;
    },
    async crash() {
      await worker?.terminate();
    },
    stop,
  };
}
