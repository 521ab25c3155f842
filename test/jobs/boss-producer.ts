/**
 * A process that only queues (as `serve --no-worker` does), for the pg-boss merge test: on a `go`
 * line, it enqueues one webhook request per record id for one installation, as fast as it can.
 *
 * argv[2] is JSON: { url, bossSchema, installationId, ids }. Prints `ready`, then `done` once
 * every request is recorded; exits after.
 */
import { createInterface } from 'node:readline';
import { emptyAffected } from '../../connectors/hubspot/webhooks/events.ts';
import { createPgBossQueue } from '../../src/jobs/pgboss-queue.ts';

interface Args {
  readonly url: string;
  readonly bossSchema: string;
  readonly installationId: string;
  readonly ids: readonly string[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const queue = await createPgBossQueue({
  connectionString: args.url,
  schema: args.bossSchema,
  store: { listRuns: () => Promise.resolve([]) },
  work: false,
  execute: () => Promise.reject(new Error('not a worker')),
});
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();
await Promise.all(
  args.ids.map((id) => {
    const affected = emptyAffected();
    affected.companies.add(id);
    return queue.enqueue({ installationId: args.installationId, reason: 'webhook', kind: 'incremental', affected });
  }),
);
await queue.stop();
process.stdout.write('done\n');
