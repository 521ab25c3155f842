/**
 * The store, migrated: PostgreSQL when DATABASE_URL is set (postgres://… or postgresql://…; the
 * file is then not used), else the SQLite file (`--data`, default data/righttouch.db).
 */
import { createStore } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { parseEnv, type Env } from './env.ts';
import { DEFAULT_DATA_FILE } from './paths.ts';

export async function openStore(path = DEFAULT_DATA_FILE, env: Env = parseEnv(process.env)): Promise<Store> {
  const store = createStore({ databaseUrl: env.DATABASE_URL ?? '', sqlitePath: path });
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
