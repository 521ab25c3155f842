/**
 * A worker process for the pg-boss tests: the pg-boss run queue and the schedule over a shared
 * PostgreSQL store (a schema of its own), syncing with runInstallationSync against its own fake
 * CRM — what `righttouch worker` runs, without the real CRMs.
 *
 * argv[2] is JSON: { store, bossSchema, holder, everyMinutes, leaseTtlMs, hang?, failing? }.
 * Prints `ready` once it works, then one JSON line per run it finished; with `hang`, its first
 * page read prints `reading` and never completes (the test kills it); the installations in
 * `failing` have a CRM that answers 502 to everything. SIGTERM stops it.
 */
import { parseNightlyWindow } from '../../src/app/nightly-window.ts';
import { createPgBossQueue } from '../../src/jobs/pgboss-queue.ts';
import { runInstallationSync } from '../../src/jobs/run.ts';
import type { JobDeps } from '../../src/jobs/run.ts';
import { startTicker } from '../../src/jobs/ticker.ts';
import { openStoreSpec } from '../store/store-spec.ts';
import type { StoreSpec } from '../store/store-spec.ts';
import { mapping, TestCrm } from './fixtures.ts';

interface Args {
  readonly store: StoreSpec & { engine: 'postgres' };
  readonly bossSchema: string;
  readonly holder: string;
  readonly everyMinutes: number;
  readonly leaseTtlMs: number;
  readonly hang?: boolean;
  readonly failing?: readonly string[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const store = openStoreSpec(args.store);
const crm = new TestCrm(() => Date.now());
crm.readDelayMs = 20;
if (args.hang === true) {
  crm.beforePage = () => {
    process.stdout.write('reading\n');
    return new Promise<void>(() => undefined);
  };
}
const deps: JobDeps = {
  store,
  connectorFor: (installation) =>
    args.failing?.includes(installation.id) === true
      ? Promise.reject(new Error('HubSpot answered 502 Bad Gateway'))
      : Promise.resolve(crm),
  holder: args.holder,
  leaseTtlMs: args.leaseTtlMs,
  mappingFor: () => Promise.resolve(mapping),
};
const queue = await createPgBossQueue({
  connectionString: args.store.url,
  schema: args.bossSchema,
  store,
  concurrency: 2,
  retryDelayMs: 1000,
  heartbeatSeconds: 10,
  superviseIntervalSeconds: 1,
  pollingIntervalSeconds: 0.5,
  execute: async (request, signal) => {
    const outcome = await runInstallationSync({ ...deps, signal }, request.installationId, request.kind);
    const detail =
      outcome.status === 'ran'
        ? { runId: outcome.report.runId }
        : outcome.status === 'skipped'
          ? { reason: outcome.reason }
          : { error: outcome.error };
    process.stdout.write(
      `${JSON.stringify({ holder: args.holder, installationId: request.installationId, reason: request.reason, slot: request.slot, status: outcome.status, ...detail })}\n`,
    );
    return outcome;
  },
});
const ticker = startTicker({
  store,
  queue,
  nightlyWindow: parseNightlyWindow('03:00-05:00') ?? { startMs: 0, lengthMs: 1 },
  defaultEveryMinutes: args.everyMinutes,
  intervalMs: 200,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await ticker.stop();
    await queue.stop();
    await store.close();
    process.exit(0);
  })();
});
