/**
 * Which store to open: PostgreSQL when a database URL is given (DATABASE_URL, postgres:// or
 * postgresql://), else the embedded SQLite file. Either one still has to be migrated.
 */
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './store.ts';

export { PostgresStore } from './postgres.ts';
export type { PostgresStoreOptions } from './postgres.ts';
export { SqliteStore } from './sqlite.ts';
export type * from './store.ts';

export interface StoreConfig {
  /** A PostgreSQL URL; unset or empty: SQLite at `sqlitePath`. */
  readonly databaseUrl?: string | undefined;
  /** The SQLite file (its folder is created) or `:memory:`. */
  readonly sqlitePath: string;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function createStore(config: StoreConfig): Store {
  const url = config.databaseUrl?.trim() ?? '';
  if (url === '') return new SqliteStore(config.sqlitePath);
  if (!isPostgresUrl(url)) {
    // Do not print the URL: it may hold a password.
    throw new Error('DATABASE_URL must be a PostgreSQL URL (postgres://… or postgresql://…)');
  }
  return new PostgresStore(url);
}
