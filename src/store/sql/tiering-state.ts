/**
 * The state incremental runs continue from (src/core/incremental*.ts), per installation: one row
 * per record (`IncrementalRow` as JSON, with its contact's company, hold end and pending flag in
 * columns of their own) and one meta row — the version every save moves up, the key of the policy
 * and mapping the rows were built under, the last run's clock, the number of rows and how many of
 * each type are in each tier. A run loads the companies (`tieringStateRows` of one type) and only
 * the contacts it needs (`tieringStateContacts`: by id, by company, pending or hold ending). Beside
 * them, one company snapshot per installation (`tiering_state_companies`, migration 12: every
 * company's place in the compact binary form of src/core/incremental-snapshot.ts, base64), written
 * by every save that has one, with the version and saved_at of the meta row it moves to, and
 * deleted by one that has none: a worker holding nothing loads it and only the company rows its
 * run touches (`tieringStateCompanyRows`), instead of every company's row.
 *
 * A save is optimistic: it names the version its run loaded (null: there was none) and, in one
 * transaction, moves the meta row from that version to the next before touching any row. When
 * another worker saved first, no row matches, the transaction rolls back and the save throws
 * `StaleTieringStateError`: two workers never both save, and nothing is half saved. On PostgreSQL
 * the UPDATE of a row another transaction is updating waits for it and then re-checks its WHERE
 * against the committed row (READ COMMITTED), so the second finds the version moved; on SQLite
 * write transactions run one at a time (BEGIN IMMEDIATE).
 *
 * The mirror reads an incremental run needs beside it — records, deals and stored tiers by id,
 * companies whose won deals crossed the deal-size window — are here too, in `IN` lists of at most
 * `IDS_PER_QUERY` ids.
 */
import type { CanonicalRecord, IncrementalRow, RecordRef, RecordType, TierCounts } from '../../core/index.ts';
import { StaleTieringStateError } from '../store.ts';
import type {
  MirrorDeal,
  StoredTier,
  TieringStateCompanies,
  TieringStateContactQuery,
  TieringStateMeta,
  TieringStateSave,
} from '../store.ts';
import type { SqlDriver, SqlQueries } from './driver.ts';
import { dealOf, PAGE, recordOf } from './mirror.ts';
import { json, num, optJson, str } from './row.ts';
import type { Row, SqlValue } from './row.ts';
import { tierOf } from './tiers.ts';

/** Ids per `IN (…)` list. */
export const IDS_PER_QUERY = 500;
/** State rows per INSERT (7 parameters each: well under both engines' parameter limits). */
const ROWS_PER_INSERT = 200;

function metaOf(row: Row): TieringStateMeta {
  return {
    version: num(row, 'version'),
    key: str(row, 'state_key'),
    nowMs: num(row, 'now_ms'),
    rows: num(row, 'row_count'),
    tierCounts: optJson(row, 'tier_counts') as TierCounts | null,
    savedAt: num(row, 'saved_at'),
  };
}

export async function tieringStateMeta(db: SqlQueries, installationId: string): Promise<TieringStateMeta | undefined> {
  const [row] = await db.query('SELECT * FROM tiering_state_meta WHERE installation_id = ?', [installationId]);
  return row === undefined ? undefined : metaOf(row);
}

/** The state's rows (of `type` only, when given), companies first, a page at a time in key order. */
export async function* tieringStateRows(
  db: SqlQueries,
  installationId: string,
  pageSize = PAGE,
  type?: RecordType,
): AsyncIterable<IncrementalRow[]> {
  let afterType = type ?? '';
  let afterId = '';
  for (;;) {
    const rows = await db.query(
      type === undefined
        ? `SELECT type, id, row FROM tiering_state WHERE installation_id = ? AND (type, id) > (?, ?)
           ORDER BY type, id LIMIT ?`
        : `SELECT type, id, row FROM tiering_state WHERE installation_id = ? AND type = ? AND id > ?
           ORDER BY id LIMIT ?`,
      [installationId, afterType, afterId, pageSize],
    );
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    yield rows.map((row) => json(row, 'row') as IncrementalRow);
    afterType = str(last, 'type');
    afterId = str(last, 'id');
  }
}

/**
 * The contact rows a run needs (Store.tieringStateContacts): by id and by company in `IN` lists,
 * and with `dueBy` the pending ones (partial index, migration 11) and those whose hold ends by then
 * (the hold index). Each row once.
 */
export async function tieringStateContacts(
  db: SqlQueries,
  installationId: string,
  query: TieringStateContactQuery,
): Promise<IncrementalRow[]> {
  const before: SqlValue[] = [installationId];
  const rows = new Map<string, IncrementalRow>();
  // Row by row into one map: after a full classification every contact can be pending (no spread
  // of hundreds of thousands of rows into one call's arguments).
  const add = (found: readonly Row[]): void => {
    for (const row of found) {
      const id = str(row, 'id');
      if (!rows.has(id)) rows.set(id, json(row, 'row') as IncrementalRow);
    }
  };
  const sql = "SELECT id, row FROM tiering_state WHERE installation_id = ? AND type = 'contact'";
  add(await byIds(db, `${sql} AND id IN ({ids})`, before, query.ids ?? []));
  add(await byIds(db, `${sql} AND company_id IN ({ids})`, before, query.companyIds ?? []));
  if (query.dueBy !== undefined) {
    add(await db.query(`${sql} AND pending = 1`, [installationId]));
    add(await db.query(`${sql} AND hold_until IS NOT NULL AND hold_until <= ?`, [installationId, query.dueBy]));
  }
  return [...rows.values()];
}

/** The company rows with these ids (Store.tieringStateCompanyRows). */
export async function tieringStateCompanyRows(
  db: SqlQueries,
  installationId: string,
  ids: readonly string[],
): Promise<IncrementalRow[]> {
  const sql = "SELECT row FROM tiering_state WHERE installation_id = ? AND type = 'company' AND id IN ({ids})";
  return (await byIds(db, sql, [installationId], ids)).map((row) => json(row, 'row') as IncrementalRow);
}

/** The company snapshot (Store.tieringStateCompanies). */
export async function tieringStateCompanies(
  db: SqlQueries,
  installationId: string,
): Promise<TieringStateCompanies | undefined> {
  const [row] = await db.query(
    'SELECT version, saved_at, data FROM tiering_state_companies WHERE installation_id = ?',
    [installationId],
  );
  if (row === undefined) return undefined;
  const data = Buffer.from(str(row, 'data'), 'base64');
  return { version: num(row, 'version'), savedAt: num(row, 'saved_at'), data };
}

/** See Store.saveTieringState. */
export function saveTieringState(
  db: SqlDriver,
  installationId: string,
  save: TieringStateSave,
  at: number,
): Promise<TieringStateMeta> {
  return db.transaction(async (tx) => {
    const version = (save.expectedVersion ?? 0) + 1;
    const counts = JSON.stringify(save.tierCounts);
    const moved =
      save.expectedVersion === null
        ? await tx.run(
            `INSERT INTO tiering_state_meta (installation_id, version, state_key, now_ms, row_count, tier_counts, saved_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (installation_id) DO NOTHING`,
            [installationId, version, save.key, save.nowMs, save.rowCount, counts, at],
          )
        : await tx.run(
            `UPDATE tiering_state_meta SET version = ?, state_key = ?, now_ms = ?, row_count = ?, tier_counts = ?,
               saved_at = ?
             WHERE installation_id = ? AND version = ?`,
            [version, save.key, save.nowMs, save.rowCount, counts, at, installationId, save.expectedVersion],
          );
    if (moved !== 1) throw new StaleTieringStateError(installationId, save.expectedVersion);
    if (save.replace === true) await tx.run('DELETE FROM tiering_state WHERE installation_id = ?', [installationId]);
    else await deleteRows(tx, installationId, save.deletes);
    await upsertRows(tx, installationId, save.rows);
    await tx.run('DELETE FROM tiering_state_companies WHERE installation_id = ?', [installationId]);
    if (save.companies !== undefined) {
      const data = Buffer.from(save.companies.buffer, save.companies.byteOffset, save.companies.byteLength);
      await tx.run(
        'INSERT INTO tiering_state_companies (installation_id, version, saved_at, data) VALUES (?, ?, ?, ?)',
        [installationId, version, at, data.toString('base64')],
      );
    }
    const tierCounts = save.tierCounts;
    return { version, key: save.key, nowMs: save.nowMs, rows: save.rowCount, tierCounts, savedAt: at };
  });
}

async function deleteRows(tx: SqlQueries, installationId: string, refs: readonly RecordRef[]): Promise<void> {
  for (const type of ['company', 'contact'] as const) {
    const ids = refs.filter((ref) => ref.type === type).map((ref) => ref.id);
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const slice = ids.slice(i, i + IDS_PER_QUERY);
      await tx.run(
        `DELETE FROM tiering_state WHERE installation_id = ? AND type = ? AND id IN (${marks(slice.length)})`,
        [installationId, type, ...slice],
      );
    }
  }
}

async function upsertRows(tx: SqlQueries, installationId: string, rows: readonly IncrementalRow[]): Promise<void> {
  // The last row of a key wins (one INSERT … ON CONFLICT cannot touch a row twice on PostgreSQL).
  const unique = new Map<string, IncrementalRow>();
  for (const row of rows) unique.set(`${row.type}\u0000${row.id}`, row);
  const all = [...unique.values()];
  for (let i = 0; i < all.length; i += ROWS_PER_INSERT) {
    const slice = all.slice(i, i + ROWS_PER_INSERT);
    const params: SqlValue[] = [];
    for (const row of slice) {
      const companyId =
        row.type === 'contact' && typeof row.record.companyId === 'string' ? row.record.companyId : null;
      params.push(
        installationId,
        row.type,
        row.id,
        companyId,
        row.holdUntilMs,
        row.pending ? 1 : 0,
        JSON.stringify(row),
      );
    }
    await tx.run(
      `INSERT INTO tiering_state (installation_id, type, id, company_id, hold_until, pending, row)
       VALUES ${slice.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (installation_id, type, id) DO UPDATE SET company_id = excluded.company_id,
         hold_until = excluded.hold_until, pending = excluded.pending, row = excluded.row`,
      params,
    );
  }
}

/** Before a contact's row is erased: takes it out of the meta row's row and tier counts. */
export async function uncountContact(tx: SqlQueries, installationId: string, id: string): Promise<void> {
  const [stored] = await tx.query(
    "SELECT row FROM tiering_state WHERE installation_id = ? AND type = 'contact' AND id = ?",
    [installationId, id],
  );
  const [meta] = await tx.query('SELECT tier_counts FROM tiering_state_meta WHERE installation_id = ?', [
    installationId,
  ]);
  if (stored === undefined || meta === undefined) return;
  const { tier } = json(stored, 'row') as IncrementalRow;
  const counts = optJson(meta, 'tier_counts') as TierCounts | null;
  const contact = { ...counts?.contact };
  if (counts !== null && (contact[tier] ?? 0) > 0) contact[tier] = (contact[tier] ?? 0) - 1;
  await tx.run('UPDATE tiering_state_meta SET row_count = row_count - 1, tier_counts = ? WHERE installation_id = ?', [
    counts === null ? null : JSON.stringify({ ...counts, contact }),
    installationId,
  ]);
}

/** Parameter: installation id. What clearing an installation's state deletes. */
export const CLEAR_TIERING_STATE_SQL: readonly string[] = [
  'DELETE FROM tiering_state_companies WHERE installation_id = ?',
  'DELETE FROM tiering_state WHERE installation_id = ?',
  'DELETE FROM tiering_state_meta WHERE installation_id = ?',
];

export function clearTieringState(db: SqlDriver, installationId: string): Promise<void> {
  return db.transaction(async (tx) => {
    for (const sql of CLEAR_TIERING_STATE_SQL) await tx.run(sql, [installationId]);
  });
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** `query` once per slice of ids, with the slice's placeholders as `{ids}` in the SQL; the rows of all. */
async function byIds(db: SqlQueries, sql: string, before: readonly SqlValue[], ids: readonly string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) {
    const slice = unique.slice(i, i + IDS_PER_QUERY);
    rows.push(...(await db.query(sql.replace('{ids}', marks(slice.length)), [...before, ...slice])));
  }
  return rows;
}

/** Mirrored records of one type by id (those not mirrored are left out), in no particular order. */
export async function recordsByIds(
  db: SqlQueries,
  installationId: string,
  type: RecordType,
  ids: readonly string[],
): Promise<CanonicalRecord[]> {
  const rows = await byIds(
    db,
    'SELECT id, company_id, override, fields FROM mirror_records WHERE installation_id = ? AND type = ? AND id IN ({ids})',
    [installationId, type],
    ids,
  );
  return rows.map((row) => recordOf(type, row));
}

/** The mirrored deals of these companies. */
export async function dealsOfCompanies(
  db: SqlQueries,
  installationId: string,
  companyIds: readonly string[],
): Promise<MirrorDeal[]> {
  const sql = 'SELECT * FROM mirror_deals WHERE installation_id = ? AND company_id IN ({ids})';
  return (await byIds(db, sql, [installationId], companyIds)).map(dealOf);
}

/** The companies these deals are mirrored under (deals not mirrored are left out). */
export async function companiesOfDeals(
  db: SqlQueries,
  installationId: string,
  dealIds: readonly string[],
): Promise<string[]> {
  const sql = 'SELECT DISTINCT company_id FROM mirror_deals WHERE installation_id = ? AND id IN ({ids})';
  return (await byIds(db, sql, [installationId], dealIds)).map((row) => str(row, 'company_id'));
}

/** The companies with a deal won and closed in `(after, upTo]`. */
export async function companiesWithWonDealsClosedIn(
  db: SqlQueries,
  installationId: string,
  after: number,
  upTo: number,
): Promise<string[]> {
  const rows = await db.query(
    `SELECT DISTINCT company_id FROM mirror_deals
     WHERE installation_id = ? AND close_time > ? AND close_time <= ? AND closed_won = 1`,
    [installationId, after, upTo],
  );
  return rows.map((row) => str(row, 'company_id'));
}

/** The stored (last written) tiers of these records of one type. */
export async function storedTiersOf(
  db: SqlQueries,
  installationId: string,
  type: RecordType,
  ids: readonly string[],
): Promise<StoredTier[]> {
  const sql = 'SELECT * FROM tiers WHERE installation_id = ? AND type = ? AND id IN ({ids})';
  return (await byIds(db, sql, [installationId, type], ids)).map(tierOf);
}
