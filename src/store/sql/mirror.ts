/**
 * The mirror: the CRM's companies, contacts and deals as last read, paged by key on reading (memory
 * does not grow with the portal's size, and no read stays open across pages: on SQLite an open
 * read would pin its snapshot, and a write from the same connection after another process's
 * commit fails at once with SQLITE_BUSY whatever the busy timeout). The single-row statements are
 * what the SQLite bulk paths repeat in one transaction; PostgreSQL's bulk paths send arrays
 * instead (../postgres.ts).
 */
import type { CanonicalRecord, RecordType } from '../../core/index.ts';
import { searchKey } from '../../mapping/display.ts';
import type { DisplayedRecord } from '../../mapping/display.ts';
import type { MirrorDeal } from '../store.ts';
import type { SqlDriver, SqlQueries } from './driver.ts';
import { json, num, optNum, optStr, str } from './row.ts';
import type { Row } from './row.ts';

/** Rows per page in the paged reads. */
export const PAGE = 5000;

/**
 * Parameters: installation id, type, id, company id, override, fields (JSON), updated at, then
 * the display columns (`displayColumns`).
 */
export const UPSERT_RECORD_SQL = `INSERT INTO mirror_records (installation_id, type, id, company_id, override, fields, updated_at,
    display, search_name, search_domain, search_email)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (installation_id, type, id) DO UPDATE SET
    company_id = excluded.company_id, override = excluded.override,
    fields = excluded.fields, updated_at = excluded.updated_at,
    display = excluded.display, search_name = excluded.search_name,
    search_domain = excluded.search_domain, search_email = excluded.search_email`;

/**
 * A record's display columns as stored: what it is known by as JSON (or null), then its name,
 * domain and email as searched (searchKey), each or null.
 */
export function displayColumns(record: DisplayedRecord): [string | null, string | null, string | null, string | null] {
  const display = record.display ?? null;
  if (display === null) return [null, null, null, null];
  return [JSON.stringify(display), searchKey(display.name), searchKey(display.domain), searchKey(display.email)];
}

/** Parameters: installation id, type, id. */
export const DELETE_RECORD_SQL = 'DELETE FROM mirror_records WHERE installation_id = ? AND type = ? AND id = ?';

/** Parameters: installation id, id, company id, amount, closed won (0/1), closed (0/1), close time. */
export const UPSERT_DEAL_SQL = `INSERT INTO mirror_deals (installation_id, id, company_id, amount, closed_won, closed, close_time)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (installation_id, id) DO UPDATE SET
    company_id = excluded.company_id, amount = excluded.amount, closed_won = excluded.closed_won,
    closed = excluded.closed, close_time = excluded.close_time`;

/** Parameters: installation id, id. */
export const DELETE_DEAL_SQL = 'DELETE FROM mirror_deals WHERE installation_id = ? AND id = ?';

/** A record's `override` as stored: text, or null. */
export const overrideOf = (record: CanonicalRecord): string | null =>
  typeof record.override === 'string' ? record.override : null;

/** A mirror_records row as a canonical record of `type`. */
export function recordOf(type: RecordType, row: Row): CanonicalRecord {
  return {
    type,
    id: str(row, 'id'),
    companyId: optStr(row, 'company_id'),
    override: optStr(row, 'override'),
    fields: json(row, 'fields') as Record<string, unknown>,
  };
}

/** A mirror_deals row as a mirrored deal. */
export function dealOf(row: Row): MirrorDeal {
  return {
    id: str(row, 'id'),
    companyId: str(row, 'company_id'),
    amount: optNum(row, 'amount'),
    closedWon: num(row, 'closed_won') === 1,
    closed: num(row, 'closed') === 1,
    closeTime: optNum(row, 'close_time'),
  };
}

export async function* records(
  db: SqlQueries,
  installationId: string,
  pageSize = PAGE,
): AsyncIterable<CanonicalRecord[]> {
  for (const type of ['company', 'contact'] as const) {
    let after = '';
    for (;;) {
      const rows = await db.query(
        `SELECT id, company_id, override, fields FROM mirror_records
         WHERE installation_id = ? AND type = ? AND id > ? ORDER BY id LIMIT ?`,
        [installationId, type, after, pageSize],
      );
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      yield rows.map((row) => recordOf(type, row));
      after = str(last, 'id');
    }
  }
}

export async function* deals(db: SqlQueries, installationId: string): AsyncIterable<MirrorDeal> {
  let after = '';
  for (;;) {
    const rows = await db.query('SELECT * FROM mirror_deals WHERE installation_id = ? AND id > ? ORDER BY id LIMIT ?', [
      installationId,
      after,
      PAGE,
    ]);
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    for (const row of rows) yield dealOf(row);
    after = str(last, 'id');
  }
}

/** See Store.carryOver: history moves to the successor, the tier too when it has none. */
export async function carryOver(
  db: SqlDriver,
  installationId: string,
  type: RecordType,
  fromId: string,
  toId: string,
): Promise<void> {
  if (fromId === toId) return;
  await db.transaction(async (tx) => {
    await tx.run('UPDATE tier_history SET record_id = ? WHERE installation_id = ? AND type = ? AND record_id = ?', [
      toId,
      installationId,
      type,
      fromId,
    ]);
    const [successor] = await tx.query('SELECT id FROM tiers WHERE installation_id = ? AND type = ? AND id = ?', [
      installationId,
      type,
      toId,
    ]);
    if (successor === undefined) {
      await tx.run('UPDATE tiers SET id = ?, written_at = NULL WHERE installation_id = ? AND type = ? AND id = ?', [
        toId,
        installationId,
        type,
        fromId,
      ]);
    } else {
      await tx.run('DELETE FROM tiers WHERE installation_id = ? AND type = ? AND id = ?', [
        installationId,
        type,
        fromId,
      ]);
    }
    await tx.run(DELETE_RECORD_SQL, [installationId, type, fromId]);
    await tx.run('DELETE FROM rejected_rows WHERE installation_id = ? AND type = ? AND record_id = ?', [
      installationId,
      type,
      fromId,
    ]);
  });
}
