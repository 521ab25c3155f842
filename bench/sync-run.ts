/**
 * One measured sync of the incremental-sync benchmark, the same in the benchmark's own process
 * (the cached case) and in a fresh child process (incremental-sync-child.ts, the case of a worker
 * without anything in memory): the real HubSpot connector against the sandbox portal, the engine
 * and the store. CPU is `process.cpuUsage()` around `sync()` alone — every thread of this
 * process (V8's garbage collector included), none of the sandbox's, which runs in its own
 * process — next to wall time and the run report's counts.
 */
import { join } from 'node:path';
import { createHubSpotConnector } from '../connectors/hubspot/index.ts';
import { loadMapping, loadPolicy } from '../src/app/policy.ts';
import type { Policy } from '../src/core/index.ts';
import type { Mapping } from '../src/mapping/mapping.ts';
import { createStore } from '../src/store/index.ts';
import type { Store } from '../src/store/store.ts';
import type { Connector } from '../src/sync/connector.ts';
import { sync, type SyncReport } from '../src/sync/engine.ts';

/** Where a run finds the CRM and the store: what the benchmark hands its child process. */
export interface RunTarget {
  /** The sandbox portal's URL and the token it accepts. */
  readonly url: string;
  readonly token: string;
  /** false: HubSpot's rate limits off in the connector (the sandbox is told apart). */
  readonly limits: boolean;
  readonly installationId: string;
  /** The SQLite file, or a PostgreSQL URL. */
  readonly store: { readonly sqlitePath: string } | { readonly databaseUrl: string };
  /** How far the benchmark moved its clock (and the sandbox's) ahead of the real one. */
  readonly clockOffsetMs: number;
}

/** The counts of a run the benchmark reports (the `SyncReport` without its decisions and moves). */
export interface RunCounts {
  readonly kind: string;
  /** The engine's "now" when it classified (epoch ms). */
  readonly classifiedAt: number;
  readonly pulled: { readonly companies: number; readonly contacts: number; readonly deals: number };
  readonly read: number;
  readonly decided: number;
  readonly changed: number;
  readonly written: number;
  readonly deleted: number;
  readonly apiCalls: number;
  /** Why the run built the incremental state again (a full classification), or null when it did not. */
  readonly rebuilt: string | null;
}

export interface MeasuredSync {
  readonly wallMs: number;
  /** User + system CPU time of this process during `sync()`. */
  readonly cpuMs: number;
  readonly counts: RunCounts;
}

export interface BenchConfig {
  readonly mapping: Mapping;
  readonly policy: Policy;
}

const root = join(import.meta.dirname, '..');

/** The HubSpot mapping and default policy every sync benchmark runs with. */
export async function loadBenchConfig(): Promise<BenchConfig> {
  return {
    mapping: await loadMapping('hubspot', join(root, 'mappings', 'hubspot.json')),
    policy: await loadPolicy(join(root, 'policies', 'default.json')),
  };
}

export function benchConnector(target: Pick<RunTarget, 'url' | 'token' | 'limits'>): Connector {
  return createHubSpotConnector({
    accessToken: target.token,
    baseUrl: target.url,
    ...(target.limits ? {} : { limits: { requestsPerWindow: 1_000_000, searchPerSecond: 100_000 } }),
  });
}

export function openStore(target: Pick<RunTarget, 'store'>): Store {
  return 'databaseUrl' in target.store
    ? createStore({ databaseUrl: target.store.databaseUrl, sqlitePath: '' })
    : createStore({ sqlitePath: target.store.sqlitePath });
}

export function countsOf(report: SyncReport): RunCounts {
  const { companies, contacts, deals } = report.pulled;
  return {
    kind: report.kind,
    classifiedAt: report.classifiedAt,
    pulled: { companies, contacts, deals },
    read: companies + contacts + deals,
    decided: report.decided,
    changed: report.changed,
    written: report.written,
    deleted: report.deleted,
    apiCalls: report.apiCalls,
    rebuilt: report.rebuilt ?? null,
  };
}

/** Runs one sync (incremental unless `full`) on the benchmark's clock and measures it. */
export async function measuredSync(
  run: { readonly store: Store; readonly connector: Connector; readonly installationId: string },
  config: BenchConfig,
  clockOffsetMs: number,
  full = false,
): Promise<MeasuredSync> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await sync({
    store: run.store,
    connector: run.connector,
    mapping: config.mapping,
    policy: config.policy,
    installationId: run.installationId,
    full,
    clock: () => new Date(Date.now() + clockOffsetMs),
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, counts: countsOf(report) };
}
