/**
 * One configuration of `npm run bench:installations`: RightTouch's own processes (`righttouch serve`,
 * and on PostgreSQL `serve --no-worker` beside `righttouch worker` processes) against a sandbox
 * HubSpot hosting N small portals (portal-host-process.ts). Every portal is installed through the
 * OAuth flow by a simulated admin (oauth-install.ts, 8 at a time by default) and set to sync every minute
 * through the admin API with its own install key; then the schedule runs for `minutes` while the
 * bench times `/healthz` every `pollMs`; then the runs are read from the store and the workers'
 * logs (which worker ran which run), and the processes stopped. Measuring is installations-report.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InstallationsResponse } from '../src/server/api-types.ts';
import { installThroughOAuth } from './oauth-install.ts';
import { startPortalHost } from './portal-host-process.ts';
import { storeReader } from './installations-store.ts';
import { cpuBetween, sampleCpu, type Accounted } from './process-cpu.ts';
import { HUBSPOT_SCOPES } from '../src/app/config.ts';

export interface ConfigSpec {
  readonly name: string;
  /** Worker processes (PostgreSQL); 0: one `serve` runs the syncs itself (SQLite). */
  readonly workers: number;
  readonly databaseUrl: string | undefined;
}

export interface RunOptions {
  readonly portals: number;
  readonly minutes: number;
  readonly root: string;
  readonly dir: string;
  readonly pollMs: number;
  /** After the window, how long runs of its ticks may still finish. */
  readonly graceMs: number;
  readonly installConcurrency: number;
  readonly log: (line: string) => void;
  /** RIGHTTOUCH_CONCURRENCY for the processes that sync (undefined: their default). */
  readonly concurrency?: string | undefined;
  /** Names the configuration's log files (`<label>-serve.log`, `<label>-worker-1.log`). */
  readonly label: string;
}

export interface RunRow {
  readonly id: string;
  readonly installationId: string;
  readonly kind: string;
  readonly status: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

export interface Observed {
  readonly spec: ConfigSpec;
  readonly installStart: number;
  readonly installEnd: number;
  readonly failedInstalls: number;
  /** Installation id → when its settings said "every minute" (epoch ms). */
  readonly installedAt: ReadonlyMap<string, number>;
  /** When every installation had a finished run (epoch ms), if it happened. */
  readonly firstSyncAllAt: number | undefined;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly runs: readonly RunRow[];
  /** Run id → the process that ran it (from its log). */
  readonly ranBy: ReadonlyMap<string, string>;
  readonly processes: readonly { readonly name: string; readonly peakRssBytes: number }[];
  readonly healthzMs: readonly number[];
  readonly healthzFailures: number;
  readonly load1: readonly number[];
  readonly host: { readonly requests: number; readonly rateLimited: number; readonly rssBytes: number };
  /** CPU seconds each process used in the window (RightTouch's, the portal host's, PostgreSQL's, the bench's). */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  /** The sandbox's requests by route in the window. */
  readonly windowEndpoints: Readonly<Record<string, number>>;
}

const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
}

function startNode(name: string, args: readonly string[], env: NodeJS.ProcessEnv, options: RunOptions): Proc {
  const logFile = join(options.dir, `${options.label}-${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    ['--max-semi-space-size=16', '--heap-growing-percent=30', join(options.root, 'bin', 'righttouch.js'), ...args],
    { cwd: options.root, env, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  return { name, child, logFile };
}

/** VmHWM of /proc/<pid>/status: the process's peak RSS so far (bytes). */
function peakRss(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

async function stop(proc: Proc): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await gone;
  clearTimeout(timer);
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const RUN_LINE = /^sync of hubspot \S+(?: \(.*\))?: (?:incremental|full) run ([^:]+):/;

/** Run id → process name, from the processes' JSON log lines (src/jobs/run.ts logs each run it ran). */
function runsByProcess(procs: readonly Proc[]): Map<string, string> {
  const ranBy = new Map<string, string>();
  for (const proc of procs) {
    for (const line of readFileSync(proc.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      let msg: unknown;
      try {
        msg = (JSON.parse(line) as { msg?: unknown }).msg;
      } catch {
        continue;
      }
      const runId = typeof msg === 'string' ? RUN_LINE.exec(msg)?.[1] : undefined;
      if (runId !== undefined) ranBy.set(runId, proc.name);
    }
  }
  return ranBy;
}

/**
 * One GET on a kept-alive connection: its time in ms, or undefined for a failure (10 s at most).
 * node:http rather than fetch: the bench's own CPU competes with what it measures, and fetch with
 * a timeout signal costs several times more per poll (undici's streams, and a timer and a
 * DOMException per signal).
 */
function timedGet(url: string, agent: Agent): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpGet(url, { agent, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => {
        resolve(response.statusCode === 200);
      });
      response.on('error', () => {
        resolve(false);
      });
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => {
      resolve(false);
    });
  });
}

/** Polls `url` one request at a time, at most every `everyMs`, until `stop()`; a request's time, or 10 s for a failure. */
function pollHealthz(url: string, everyMs: number) {
  const times: number[] = [];
  let failures = 0;
  let stopped = false;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const done = (async () => {
    while (!stopped) {
      const started = performance.now();
      if (!(await timedGet(url, agent))) failures++;
      const took = performance.now() - started;
      times.push(took);
      if (took < everyMs) await sleep(everyMs - took);
    }
    agent.destroy();
  })();
  return {
    times,
    failures: () => failures,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

export async function runConfiguration(spec: ConfigSpec, options: RunOptions): Promise<Observed> {
  const { log } = options;
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const host = await startPortalHost({
    portals: options.portals,
    seed: 19,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: `${appUrl}/oauth/hubspot/callback`,
    scopes: HUBSPOT_SCOPES,
  });
  const dataFile = join(options.dir, `${spec.name}.db`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    PUBLIC_BASE_URL: appUrl,
    RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 19).toString('base64'),
    HUBSPOT_CLIENT_ID: CLIENT_ID,
    HUBSPOT_CLIENT_SECRET: CLIENT_SECRET,
    HUBSPOT_APP_ID: '4242',
    HUBSPOT_API_URL: host.url,
    HUBSPOT_AUTHORIZE_URL: `${host.url}/oauth/authorize`,
  };
  delete env['DATABASE_URL'];
  delete env['NODE_ENV'];
  if (spec.databaseUrl !== undefined) env['DATABASE_URL'] = spec.databaseUrl;
  if (options.concurrency !== undefined) env['RIGHTTOUCH_CONCURRENCY'] = options.concurrency;
  else delete env['RIGHTTOUCH_CONCURRENCY'];
  const procs: Proc[] = [];
  const reader = await storeReader(spec, dataFile);
  try {
    const serveArgs = ['serve', '--data', dataFile, '--port', String(port)];
    procs.push(startNode('serve', spec.workers > 0 ? [...serveArgs, '--no-worker'] : serveArgs, env, options));
    await waitFor(
      'serve to answer /healthz',
      async () => {
        try {
          return (await fetch(`${appUrl}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      120_000,
    );
    for (let i = 1; i <= spec.workers; i++) {
      const worker = startNode(`worker-${i}`, ['worker', '--data', dataFile], env, options);
      procs.push(worker);
      await waitFor(
        `${worker.name} to start`,
        () => readFileSync(worker.logFile, 'utf8').includes('RightTouch worker running'),
        120_000,
      );
    }
    log(
      `  ${spec.name}: ${procs.map((p) => `${p.name} pid ${String(p.child.pid)}`).join(', ')}; installing ${options.portals} portals`,
    );

    const installStart = Date.now();
    const installedAt = new Map<string, number>();
    const pending = [...host.portalIds];
    const installOne = async (portalId: number): Promise<void> => {
      const { apiKey } = await installThroughOAuth({ appUrl, portalId });
      const auth = { authorization: `Bearer ${apiKey}` };
      const listed = (await (
        await fetch(`${appUrl}/api/installations`, { headers: auth })
      ).json()) as InstallationsResponse;
      const installation = listed.installations[0];
      if (installation === undefined) throw new Error(`portal ${portalId}: its key sees no installation`);
      const put = await fetch(`${appUrl}/api/installations/${installation.id}/settings`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ syncEveryMinutes: 1 }),
      });
      if (!put.ok) throw new Error(`portal ${portalId}: settings answered ${put.status}`);
      installedAt.set(installation.id, Date.now());
      if (installedAt.size % 100 === 0)
        log(`    ${installedAt.size} installed (${((Date.now() - installStart) / 1000).toFixed(0)} s)`);
    };
    let failedInstalls = 0;
    await Promise.all(
      Array.from({ length: options.installConcurrency }, async () => {
        for (let portalId = pending.shift(); portalId !== undefined; portalId = pending.shift()) {
          try {
            await installOne(portalId);
          } catch (error) {
            // An admin whose install failed: counted (the first-sync figure then says "not reached").
            failedInstalls++;
            log(`    portal ${portalId}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }),
    );
    const installEnd = Date.now();
    log(
      `  ${spec.name}: ${installedAt.size} installed (${failedInstalls} failed) in ${((installEnd - installStart) / 1000).toFixed(1)} s; schedule runs for ${options.minutes} min`,
    );

    let firstSyncAllAt: number | undefined;
    const watchFirst = setInterval(() => {
      if (firstSyncAllAt !== undefined) return;
      void reader.firstSynced().then((n) => {
        if (n >= options.portals && firstSyncAllAt === undefined) firstSyncAllAt = Date.now();
      });
    }, 2000);
    const load1: number[] = [];
    const watchLoad = setInterval(() => load1.push(loadavg()[0] ?? 0), 10_000);
    const accounted: Accounted[] = [
      ...procs.map((p) => ({ name: p.name, pid: p.child.pid })),
      { name: 'portal host', pid: host.pid },
      { name: 'postgres', pid: await reader.postmaster(), tree: true },
    ];
    const hostBefore = await host.stats();
    const cpuBefore = sampleCpu(accounted);
    const windowStart = Date.now();
    const healthz = pollHealthz(`${appUrl}/healthz`, options.pollMs);
    await sleep(options.minutes * 60_000);
    await healthz.stop();
    const windowEnd = Date.now();
    const cpuSeconds = cpuBetween(cpuBefore, sampleCpu(accounted));
    const hostAfter = await host.stats();
    const windowEndpoints = Object.fromEntries(
      Object.entries(hostAfter.byEndpoint).map(([e, n]) => [e, n - (hostBefore.byEndpoint[e] ?? 0)]),
    );
    log(`  ${spec.name}: window over; ${(options.graceMs / 1000).toFixed(0)} s for the last ticks' runs to end`);
    await sleep(options.graceMs);
    clearInterval(watchFirst);
    clearInterval(watchLoad);
    if (firstSyncAllAt === undefined && (await reader.firstSynced()) >= options.portals) firstSyncAllAt = Date.now();

    const processes = procs
      .filter((p) => spec.workers === 0 || p.name !== 'serve')
      .map((p) => ({ name: p.name, peakRssBytes: peakRss(p.child.pid) }));
    const serveRss = {
      name: spec.workers === 0 ? 'serve' : 'serve --no-worker',
      peakRssBytes: peakRss(procs[0]?.child.pid),
    };
    const hostStats = await host.stats();
    const runs = await reader.runs();
    for (const proc of procs.slice().reverse()) await stop(proc);
    const ranBy = runsByProcess(procs);
    return {
      spec,
      installStart,
      installEnd,
      failedInstalls,
      installedAt,
      firstSyncAllAt,
      windowStart,
      windowEnd,
      runs,
      ranBy,
      processes: spec.workers === 0 ? processes : [serveRss, ...processes],
      healthzMs: healthz.times,
      healthzFailures: healthz.failures(),
      load1,
      host: hostStats,
      cpuSeconds,
      windowEndpoints,
    };
  } finally {
    for (const proc of procs.slice().reverse()) await stop(proc);
    await reader.close();
    await host.close();
  }
}
