/**
 * A `serve`-like process for the multi-process token test: opens the shared store, builds
 * `connections` Salesforce connectors of one installation through its own Credentials (so its own
 * token owner), prints `ready`, waits for a `go` line, then has every connector identify the org
 * at once (meeting the expired session together), and prints one JSON line with what happened and
 * `done`.
 *
 * argv[2] is JSON: { store, installationId, key (base64), orgUrl, clientId, clientSecret, connections }.
 */
import { createInterface } from 'node:readline';
import { serverConfigFromEnv } from '../../src/app/config.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { openStoreSpec } from '../store/store-spec.ts';
import type { StoreSpec } from '../store/store-spec.ts';

interface WorkerArgs {
  readonly store: StoreSpec;
  readonly installationId: string;
  readonly key: string;
  readonly orgUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly connections: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
const store = openStoreSpec(args.store);
const credentials = new Credentials({
  store,
  key: Buffer.from(args.key, 'base64'),
  config: serverConfigFromEnv({
    SF_CLIENT_ID: args.clientId,
    SF_CLIENT_SECRET: args.clientSecret,
    SF_LOGIN_URL: args.orgUrl,
  }),
});
const installation = await store.getInstallation(args.installationId);
if (installation === undefined) throw new Error(`no installation ${args.installationId}`);
const connectors = await Promise.all(
  Array.from({ length: args.connections }, () => credentials.connectorFor(installation)),
);

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();

const results = await Promise.allSettled(connectors.map((connector) => connector.identify()));
const errors = results.flatMap((result) =>
  result.status === 'rejected' ? [result.reason instanceof Error ? result.reason.message : String(result.reason)] : [],
);
process.stdout.write(
  `${JSON.stringify({ ok: results.length - errors.length, errors, ...credentials.salesforceTokens.counts })}\n`,
);
await store.close();
process.stdout.write('done\n');
