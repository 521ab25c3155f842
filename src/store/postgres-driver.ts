/**
 * The PostgreSQL connection pool (`pg`) behind the shared SQL: `?` placeholders numbered once per
 * statement text, BIGINT read as numbers, transactions on one pooled connection, and migrations
 * serialized between processes by an advisory lock.
 */
import { escapeIdentifier, Pool, TypeOverrides } from 'pg';
import type { PoolClient } from 'pg';
import { numbered, POSTGRES_TEXT_OPS } from './sql/driver.ts';
import type { SqlDriver, SqlQueries } from './sql/driver.ts';
import { applyMigrations } from './sql/migrate.ts';
import type { Row, SqlValue } from './sql/row.ts';

/** The pool, or one of its connections (inside a transaction). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** BIGINT (int8) columns hold epoch milliseconds, well within a double: read them as numbers. */
const INT8_OID = 20;
function typeParsers(): TypeOverrides {
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, (value: string) => Number(value));
  return types;
}

/** Shared SQL as PostgreSQL text, numbered once per distinct statement. */
const texts = new Map<string, string>();
function pgText(sql: string): string {
  let text = texts.get(sql);
  if (text === undefined) {
    text = numbered(sql);
    texts.set(sql, text);
  }
  return text;
}

/** The shared SQL on one connection (or on the pool, a statement per connection). */
function queriesOn(on: Queryable): SqlQueries {
  return {
    forUpdate: ' FOR UPDATE',
    textOps: POSTGRES_TEXT_OPS,
    query: async (sql, params = []) => (await on.query(pgText(sql), [...params])).rows,
    run: async (sql, params = []) => (await on.query(pgText(sql), [...params])).rowCount ?? 0,
  };
}

/** The connection could not roll back: it is dropped, and the original error is reported. */
class BrokenConnection extends Error {
  readonly original: unknown;
  readonly rollbackError: unknown;
  constructor(original: unknown, rollbackError: unknown) {
    super('ROLLBACK failed');
    this.original = original;
    this.rollbackError = rollbackError;
  }
}

/** Runs `work` on `client` inside BEGIN … COMMIT (ROLLBACK when it throws); a failed ROLLBACK is thrown as `broken`. */
async function inTransaction<T>(client: PoolClient, work: (tx: SqlQueries) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work(queriesOn(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      throw new BrokenConnection(error, rollbackError);
    });
    throw error;
  }
}

export interface PostgresDriverOptions {
  readonly schema?: string | undefined;
  readonly maxConnections?: number | undefined;
}

export class PostgresDriver implements SqlDriver {
  readonly forUpdate = ' FOR UPDATE';
  readonly textOps = POSTGRES_TEXT_OPS;
  readonly pool: Pool;
  private readonly onPool: SqlQueries;
  private readonly schema: string | undefined;
  private closed = false;

  constructor(connectionString: string, options: PostgresDriverOptions = {}) {
    const { schema } = options;
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
    }
    this.schema = schema;
    this.pool = new Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      types: typeParsers(),
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle connection that breaks (a server restart) is dropped from the pool; the next query
    // opens a new one or reports the failure. Without a listener the error would end the process.
    this.pool.on('error', () => undefined);
    this.onPool = queriesOn(this.pool);
  }

  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.onPool.query(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.onPool.run(sql, params);
  }

  /** Runs `work` on one connection inside BEGIN … COMMIT (ROLLBACK when it throws). */
  transaction<T>(work: (tx: SqlQueries) => Promise<T>): Promise<T> {
    return this.onClient((client) => inTransaction(client, work));
  }

  /** Bulk work with the connection itself (for statements in PostgreSQL's own syntax), in a transaction. */
  bulk(work: (client: PoolClient) => Promise<void>): Promise<void> {
    return this.onClient((client) => inTransaction(client, () => work(client)));
  }

  /** `work` on one pooled connection; a connection left unusable is closed, not given back. */
  private async onClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      if (error instanceof BrokenConnection) {
        broken = error.rollbackError instanceof Error ? error.rollbackError : new Error(String(error.rollbackError));
        throw error.original;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<number> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // Several processes may start at once: one migrates while the others wait on this lock
    // (per schema), then find the migrations applied. A session lock, so it also covers the
    // statements outside the migrations' transactions; it goes with the connection if that dies.
    const lock = `righttouch.migrate:${this.schema ?? ''}`;
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
      try {
        if (this.schema !== undefined) {
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(this.schema)}`);
        }
        // The shared runner, on this connection (a pool of one connection must not wait for itself).
        const session: SqlDriver = {
          ...queriesOn(client),
          transaction: (work) => inTransaction(client, work),
          close: () => Promise.resolve(),
        };
        return await applyMigrations(session);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
      }
    } catch (error) {
      const failure = error instanceof BrokenConnection ? error.original : error;
      broken = failure instanceof Error ? failure : new Error(String(failure));
      throw failure;
    } finally {
      // After a failure the connection (and any lock it still holds) is closed, not reused.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
