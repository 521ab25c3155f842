/**
 * Where a test store lives, as plain data: a test and the worker processes it spawns
 * (test/jobs/worker.ts) open the same database from it. No vitest here: workers import it too.
 */
import { PostgresStore } from '../../src/store/postgres.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/store.ts';

export type StoreSpec =
  | { readonly engine: 'sqlite'; readonly path: string }
  | { readonly engine: 'postgres'; readonly url: string; readonly schema: string };

export function openStoreSpec(spec: StoreSpec): Store {
  return spec.engine === 'sqlite' ? new SqliteStore(spec.path) : new PostgresStore(spec.url, { schema: spec.schema });
}
