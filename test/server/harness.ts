/** A RightTouch server on a free port, with a temp store and injectable fakes, for the server tests. */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadMapping } from '../../src/app/policy.ts';
import { createApp, type AppDeps } from '../../src/server/app.ts';
import { serverConfigFromEnv, type ServerConfig } from '../../src/app/config.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

export const SECRET_KEY = Buffer.alloc(32, 9);

export interface Harness {
  readonly url: string;
  readonly store: SqliteStore;
  readonly dbPath: string;
  readonly credentials: Credentials;
  readonly config: ServerConfig;
  readonly syncRequests: { installationId: string; kind: string }[];
  readonly logLines: string[];
  close(): Promise<void>;
}

export async function startServer(
  env: Record<string, string> = {},
  overrides: Partial<AppDeps> = {},
): Promise<Harness> {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'righttouch-server-')), 'r.db');
  const store = new SqliteStore(dbPath);
  await store.migrate();
  const config = serverConfigFromEnv({ RIGHTTOUCH_ADMIN_TOKEN: 'admin-secret', ...env });
  const credentials = new Credentials({
    store,
    key: SECRET_KEY,
    config,
    ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
  });
  const syncRequests: { installationId: string; kind: string }[] = [];
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const app = createApp({
    store,
    config,
    key: SECRET_KEY,
    credentials,
    metrics: createMetrics(),
    logger: createLogger({ destination }),
    mappingFor: (crm) => loadMapping(crm),
    requestSync: (installationId, kind) => syncRequests.push({ installationId, kind }),
    ...overrides,
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    dbPath,
    credentials,
    config,
    syncRequests,
    logLines,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await store.close();
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
