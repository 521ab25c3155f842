/**
 * A worker process for the multi-process tests: opens the shared store (a SQLite file or a
 * PostgreSQL schema) and syncs the given installations with runInstallationSync, against its own
 * slow fake CRM.
 *
 * argv[2] is JSON: { store, installations, holder, iterations, readDelayMs, leaseTtlMs, hang? }
 * (`store`: a StoreSpec, see test/store/store-spec.ts).
 * Prints `ready`, waits for a `go` line on stdin, then prints one JSON line per outcome and `done`.
 * With `hang`, the first page read prints `reading` and never completes (the test kills it).
 */
import { createInterface } from 'node:readline';
import { runInstallationSync } from '../../src/jobs/run.ts';
import type { JobDeps } from '../../src/jobs/run.ts';
import { openStoreSpec } from '../store/store-spec.ts';
import type { StoreSpec } from '../store/store-spec.ts';
import { mapping, sleep, TestCrm } from './fixtures.ts';

interface WorkerArgs {
  readonly store: StoreSpec;
  readonly installations: readonly string[];
  readonly holder: string;
  readonly iterations: number;
  readonly readDelayMs: number;
  readonly leaseTtlMs: number;
  readonly hang?: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
const store = openStoreSpec(args.store);
const crm = new TestCrm(() => Date.now());
crm.readDelayMs = args.readDelayMs;
if (args.hang === true) {
  crm.beforePage = () => {
    process.stdout.write('reading\n');
    return new Promise<void>(() => undefined);
  };
}
const deps: JobDeps = {
  store,
  connectorFor: () => Promise.resolve(crm),
  holder: args.holder,
  leaseTtlMs: args.leaseTtlMs,
  mappingFor: () => Promise.resolve(mapping),
};

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();

for (let i = 0; i < args.iterations; i++) {
  for (const installationId of args.installations) {
    const outcome = await runInstallationSync(deps, installationId, i % 3 === 2 ? 'full' : 'incremental');
    const detail =
      outcome.status === 'ran'
        ? { runId: outcome.report.runId }
        : outcome.status === 'skipped'
          ? { reason: outcome.reason }
          : { error: outcome.error };
    process.stdout.write(
      `${JSON.stringify({ holder: args.holder, installationId, status: outcome.status, ...detail })}\n`,
    );
    await sleep(Math.floor(Math.random() * 5));
  }
}
await store.close();
process.stdout.write('done\n');
