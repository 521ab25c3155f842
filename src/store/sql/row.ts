/**
 * Reading a row the same way from either engine: node:sqlite gives INTEGER columns as numbers
 * (bigints past 2^53), `pg` gives BIGINT as numbers too (postgres-driver.ts sets the parser) but
 * some aggregates as strings. Text is text; numbers are coerced; JSON columns are TEXT parsed here.
 */
export type Row = Readonly<Record<string, unknown>>;

/** What a statement takes as a parameter (both engines bind these as they are). */
export type SqlValue = string | number | null;

export function str(row: Row, key: string): string {
  const value = row[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new Error(`column ${key} is not text`);
}

export function num(row: Row, key: string): number {
  const value = row[key];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  throw new Error(`column ${key} is not a number`);
}

const isNull = (row: Row, key: string): boolean => row[key] === null || row[key] === undefined;

export const optStr = (row: Row, key: string): string | null => (isNull(row, key) ? null : str(row, key));
export const optNum = (row: Row, key: string): number | null => (isNull(row, key) ? null : num(row, key));
export const json = (row: Row, key: string): unknown => JSON.parse(str(row, key));
export const optJson = (row: Row, key: string): unknown => (isNull(row, key) ? null : json(row, key));
