/**
 * The SQLite connection (Node's built-in `node:sqlite`, no native build) behind the shared SQL,
 * and how processes share one file (https://www.sqlite.org/wal.html,
 * https://www.sqlite.org/lang_transaction.html, https://www.sqlite.org/c3ref/busy_timeout.html):
 *
 * - the busy timeout is set first, so that every later lock — switching to WAL included — waits
 *   for another process instead of failing with "database is locked" (SQLITE_BUSY);
 * - WAL: readers never block the writer nor the writer the readers; one writer at a time;
 * - every write transaction starts with BEGIN IMMEDIATE, taking the write lock at its start
 *   (waiting for it under the busy timeout). A deferred BEGIN would start as a reader and fail at
 *   once when it later writes after another process committed: SQLite cannot upgrade a stale
 *   snapshot, and does not call the busy handler for it;
 * - no statement stays open across calls (reads of many rows come in pages): an open read keeps
 *   its snapshot, which makes the connection's next write fail the same way;
 * - within the process, one call at a time per database file (`inTurn`), over all its connections:
 *   a transaction's statements are never interleaved with another caller's, and a second
 *   connection of the same process never blocks the thread waiting for a lock that the first,
 *   whose transaction awaits, could only release once the thread is free.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { SQLITE_TEXT_OPS } from './sql/driver.ts';
import type { SqlDriver, SqlQueries } from './sql/driver.ts';
import type { Row, SqlValue } from './sql/row.ts';

/** How long a statement waits for another process's lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/** Synchronous access inside one write transaction (the bulk paths: no await between rows). */
export interface SqliteBatch {
  /** A statement prepared once and kept (see SqliteDriver.prepared). */
  statement(sql: string): StatementSync;
}

const SQLITE_BUSY = 5;

/** Whether `error` is SQLITE_BUSY (or one of its extended codes). */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' && (code & 0xff) === SQLITE_BUSY;
}

/** Blocks the thread for `ms` (only while opening, when nothing else can run on the connection). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The calls in turn per database file of this process (see `inTurn`). */
interface Turns {
  tail: Promise<unknown>;
}
const turnsByFile = new Map<string, Turns>();

export class SqliteDriver implements SqlDriver {
  readonly forUpdate = '';
  readonly textOps = SQLITE_TEXT_OPS;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private readonly turns: Turns;
  private readonly tx: SqlQueries;
  private readonly batchAccess: SqliteBatch = { statement: (sql) => this.prepared(sql) };

  /** `path` is a file (its folder is created) or `:memory:`. */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    if (path === ':memory:') this.turns = { tail: Promise.resolve() };
    else {
      const file = resolve(path);
      this.turns = turnsByFile.get(file) ?? { tail: Promise.resolve() };
      turnsByFile.set(file, this.turns);
    }
    this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Turning a new file to WAL needs an exclusive lock. Should SQLite report busy without
    // waiting (several processes opening one new file at once), try again until the timeout.
    const until = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      try {
        this.db.exec('PRAGMA journal_mode = WAL');
        break;
      } catch (error) {
        if (!isBusy(error) || Date.now() > until) throw error;
        pause(20);
      }
    }
    this.db.exec('PRAGMA foreign_keys = ON');
    const later = <T>(work: () => T): Promise<T> => Promise.resolve().then(work);
    this.tx = {
      forUpdate: '',
      textOps: SQLITE_TEXT_OPS,
      query: (sql, params = []) => later(() => this.all(sql, params)),
      run: (sql, params = []) => later(() => this.change(sql, params)),
    };
  }

  /**
   * A statement prepared once and kept: node:sqlite finalizes a statement only when its object is
   * garbage-collected, so preparing on every call piles up native memory the GC does not see (a
   * large sync reached 100+ MiB of it).
   */
  private prepared(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all(sql: string, params: readonly SqlValue[]): Row[] {
    return this.prepared(sql).all(...(params as SQLInputValue[]));
  }

  private change(sql: string, params: readonly SqlValue[]): number {
    return Number(this.prepared(sql).run(...(params as SQLInputValue[])).changes);
  }

  /** `work` once every earlier call on this file in this process has finished (its errors reject). */
  private inTurn<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.turns.tail.then(work);
    this.turns.tail = result.catch(() => undefined);
    return result;
  }

  private rollback(): void {
    if (this.db.isTransaction) this.db.exec('ROLLBACK');
  }

  query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.inTurn(() => this.all(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.inTurn(() => this.change(sql, params));
  }

  transaction<T>(work: (tx: SqlQueries) => Promise<T>): Promise<T> {
    return this.inTurn(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.tx);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.rollback();
        throw error;
      }
    });
  }

  /** Synchronous `work` in one write transaction (BEGIN IMMEDIATE), in turn: the bulk writes. */
  batch<T>(work: (db: SqliteBatch) => T): Promise<T> {
    return this.inTurn(() => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = work(this.batchAccess);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.rollback();
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.inTurn(() => {
      if (this.db.isOpen) this.db.close();
    });
  }
}
