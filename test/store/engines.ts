/**
 * The store engines the store suites run on: SQLite (temporary files) and PostgreSQL (a fresh
 * schema per database, in the server that test/store/postgres-setup.ts provides).
 * `describeEachEngine` declares a suite once per engine; without a PostgreSQL the PostgreSQL suite
 * fails under CI (CI set) and is skipped, with the reason, elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, inject, test } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { openStoreSpec } from './store-spec.ts';
import type { StoreSpec } from './store-spec.ts';

export interface StoreEngine {
  readonly name: 'sqlite' | 'postgres';
  /** Why the engine cannot run here; undefined when it can. */
  readonly unavailable: string | undefined;
  /** Where a new, empty database is (nothing is created until a store migrates it). */
  create(): StoreSpec;
  /** A store on that database (one more connection to it). */
  open(spec: StoreSpec): Store;
  /** Everything the database holds, as text (to check what is kept at rest). */
  contents(spec: StoreSpec): Promise<string>;
  /** Drops the databases made by create(). */
  dispose(): Promise<void>;
}

export const sqliteEngine: StoreEngine = {
  name: 'sqlite',
  unavailable: undefined,
  create: () => ({ engine: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'righttouch-store-')), 'righttouch.db') }),
  open: openStoreSpec,
  contents(spec) {
    if (spec.engine !== 'sqlite') throw new Error('not a SQLite database');
    const files = [spec.path, `${spec.path}-wal`].filter((file) => existsSync(file));
    return Promise.resolve(files.map((file) => readFileSync(file).toString('latin1')).join('\n'));
  },
  dispose: () => Promise.resolve(),
};

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function postgresAt(url: string, unavailable: string | undefined): StoreEngine {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    unavailable,
    create() {
      const schema = `t_${randomBytes(8).toString('hex')}`;
      schemas.push(schema);
      return { engine: 'postgres', url, schema };
    },
    open: openStoreSpec,
    contents(spec) {
      if (spec.engine !== 'postgres') throw new Error('not a PostgreSQL database');
      return withClient(url, async (client) => {
        const tables = await client.query<{ name: string }>(
          'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
          [spec.schema],
        );
        const dumps: string[] = [];
        for (const { name } of tables.rows) {
          const table = `${pg.escapeIdentifier(spec.schema)}.${pg.escapeIdentifier(name)}`;
          const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
          dumps.push(name, ...rows.rows.map((r) => r.row));
        }
        return dumps.join('\n');
      });
    },
    async dispose() {
      const made = schemas.splice(0);
      if (made.length === 0) return;
      await withClient(url, async (client) => {
        for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      });
    },
  };
}

function postgres(): StoreEngine {
  const url = inject('databaseUrl');
  const problem = inject('postgresUnavailable');
  return postgresAt(url, url === '' ? problem || 'no DATABASE_URL' : undefined);
}

export const postgresEngine = postgres();
export const ENGINES: readonly StoreEngine[] = [sqliteEngine, postgresEngine];

const underCi = (): boolean => {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
};

/** `body` declared once per engine, in a suite named `${title} on <engine>`. */
export function describeEachEngine(title: string, body: (engine: StoreEngine) => void): void {
  for (const engine of ENGINES) describeOnEngine(engine, title, body);
}

/** `body` on one engine; without it, a failing test under CI, else a skipped suite and a warning. */
export function describeOnEngine(engine: StoreEngine, title: string, body: (engine: StoreEngine) => void): void {
  const name = `${title} on ${engine.name}`;
  const problem = engine.unavailable;
  if (problem === undefined) {
    describe(name, () => {
      afterAll(() => engine.dispose());
      body(engine);
    });
  } else if (underCi()) {
    describe(name, () => {
      test(`needs ${engine.name}`, () => {
        throw new Error(`${problem} (under CI the ${engine.name} suites must run: set DATABASE_URL)`);
      });
    });
  } else {
    console.warn(`skipping "${name}": ${problem}`);
    describe.skip(name, () => {
      body(engine);
    });
  }
}

/** Collects an async iterable. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}
