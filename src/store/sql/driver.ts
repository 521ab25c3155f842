/**
 * The little the shared SQL (this folder) needs from an engine: run a statement, read its rows,
 * and group statements in a transaction. SQL is written once with `?` placeholders; the PostgreSQL
 * driver numbers them (`$1, $2, …`, see `numbered`). Everything that really differs per engine —
 * connections, how a write transaction takes its lock, the bulk write paths — lives in
 * ../sqlite*.ts and ../postgres*.ts.
 */
import type { Row, SqlValue } from './row.ts';

/**
 * Byte-order text comparison, for prefix searches as ranges (`>= prefix AND < next`): SQLite's
 * default BINARY collation compares UTF-8 bytes with `>=`/`<`; PostgreSQL compares by the
 * database's collation unless asked for its pattern operators (`~>=~`, `~<~`), which a
 * `text_pattern_ops` index serves (PostgreSQL manual, "Operator Classes and Operator Families").
 */
export interface TextOps {
  /** At least, in byte order. */
  readonly atLeast: string;
  /** Less than, in byte order. */
  readonly below: string;
  /** After an ORDER BY column: ordered in byte order (so the index range is read in order). */
  readonly ascending: string;
  /** After an indexed column in CREATE INDEX: the operator class serving those. */
  readonly opclass: string;
}

/** The words the engines say differently (see ../README.md). */
export interface SqlWords {
  /**
   * What to append to a SELECT inside a transaction so that concurrent writers of the rows read
   * wait for it: ` FOR UPDATE` on PostgreSQL; nothing on SQLite, whose write transactions
   * (BEGIN IMMEDIATE) hold the database's one write lock from their start.
   */
  readonly forUpdate: string;
  readonly textOps: TextOps;
}

export const SQLITE_TEXT_OPS: TextOps = { atLeast: '>=', below: '<', ascending: '', opclass: '' };
export const POSTGRES_TEXT_OPS: TextOps = {
  atLeast: '~>=~',
  below: '~<~',
  ascending: ' USING ~<~',
  opclass: ' text_pattern_ops',
};

export interface SqlQueries extends SqlWords {
  /** The rows a statement returns (a SELECT, or a write with RETURNING). */
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver extends SqlQueries {
  /**
   * Runs `work` in one write transaction, committed when it resolves and rolled back when it
   * throws. Inside, use only `tx`: on SQLite other calls wait until the transaction ends.
   */
  transaction<T>(work: (tx: SqlQueries) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the shared SQL has no other `?`). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
