/**
 * The fresh-process case of `npm run bench:incremental-sync`: one incremental sync in a process
 * that has nothing in memory yet, as a worker that did not run the installation before. Started
 * by the benchmark through `measureChild` (measure.ts: its preload reports the whole process's
 * peak RSS and CPU at exit) with a `RunTarget` (sync-run.ts) as JSON in its first argument;
 * prints a `MeasuredSync` as JSON on stdout.
 */
import { benchConnector, loadBenchConfig, measuredSync, openStore, type RunTarget } from './sync-run.ts';

const target = JSON.parse(process.argv[2] ?? '{}') as RunTarget;
const store = openStore(target);
try {
  const config = await loadBenchConfig();
  const measured = await measuredSync(
    { store, connector: benchConnector(target), installationId: target.installationId },
    config,
    target.clockOffsetMs,
  );
  process.stdout.write(`${JSON.stringify(measured)}\n`);
} finally {
  await store.close();
}
