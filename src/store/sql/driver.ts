/**
 * The little the shared SQL (this folder) needs from an engine: run a statement, read its rows,
 * and group statements in a transaction. SQL is written once with `?` placeholders; the PostgreSQL
 * driver numbers them (`$1, $2, …`, see `numbered`). Everything that really differs per engine —
 * connections, how a write transaction takes its lock, the bulk write paths — lives in
 * ../sqlite*.ts and ../postgres*.ts.
 */
import type { Row, SqlValue } from './row.ts';

export interface SqlQueries {
  /** The rows a statement returns (a SELECT, or a write with RETURNING). */
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * What to append to a SELECT inside a transaction so that concurrent writers of the rows read
   * wait for it: ` FOR UPDATE` on PostgreSQL; nothing on SQLite, whose write transactions
   * (BEGIN IMMEDIATE) hold the database's one write lock from their start.
   */
  readonly forUpdate: string;
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
