/**
 * Current tiers and their history: the shared reads (paged by key, see mirror.ts for why) and
 * the single-row statements the SQLite bulk paths repeat (PostgreSQL sends arrays: ../postgres.ts).
 */
import type { PreviousTier, RecordType } from '../../core/index.ts';
import type { HistoryEntry, NextTierCandidate, RecordDisplay, StoredTier, TierChange } from '../store.ts';
import type { SqlQueries } from './driver.ts';
import { PAGE } from './mirror.ts';
import { json, num, optJson, optNum, optStr, str } from './row.ts';
import type { Row } from './row.ts';

/** Parameters: installation id, type, id. */
export const CURRENT_TIER_SQL = 'SELECT tier, since FROM tiers WHERE installation_id = ? AND type = ? AND id = ?';

/** Parameters: installation id, type, id, tier, reasons (JSON), hint, hint gap, since. Marks the tier unwritten. */
export const UPSERT_TIER_SQL = `INSERT INTO tiers (installation_id, type, id, tier, reasons, hint, hint_gap, since, written_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
  ON CONFLICT (installation_id, type, id) DO UPDATE SET
    tier = excluded.tier, reasons = excluded.reasons, hint = excluded.hint, hint_gap = excluded.hint_gap,
    since = excluded.since, written_at = NULL`;

/** A change's hint as stored: NULL for none. */
export function storedHint(change: TierChange): string | null {
  return change.hint === undefined || change.hint === '' ? null : change.hint;
}

/** A change's hint gap as stored: NULL without a hint or a finite gap. */
export function storedGap(change: TierChange): number | null {
  const gap = change.hintGap;
  return storedHint(change) === null || gap === undefined || gap === null || !Number.isFinite(gap) ? null : gap;
}

/** Parameters: id, installation id, type, record id, old tier, new tier, reasons (JSON), run id, at. */
export const INSERT_HISTORY_SQL = `INSERT INTO tier_history (id, installation_id, type, record_id, old_tier, new_tier, reasons, run_id, at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Parameters: written at, installation id, type, id. */
export const MARK_WRITTEN_SQL = 'UPDATE tiers SET written_at = ? WHERE installation_id = ? AND type = ? AND id = ?';

export function tierOf(row: Row): StoredTier {
  return {
    type: str(row, 'type') as RecordType,
    id: str(row, 'id'),
    tier: str(row, 'tier'),
    reasons: json(row, 'reasons') as string[],
    hint: hintOf(row),
    hintGap: optNum(row, 'hint_gap'),
    since: num(row, 'since'),
    writtenAt: optNum(row, 'written_at'),
  };
}

/** A stored hint: NULL (none, or stored before migration 7) and '' both read as null. */
function hintOf(row: Row): string | null {
  const hint = optStr(row, 'hint');
  return hint === null || hint === '' ? null : hint;
}

/** The installation's current tiers, a page at a time in key order. */
async function* tierRows(db: SqlQueries, installationId: string, columns: string): AsyncIterable<Row> {
  let afterType = '';
  let afterId = '';
  for (;;) {
    const rows = await db.query(
      `SELECT ${columns} FROM tiers WHERE installation_id = ? AND (type, id) > (?, ?) ORDER BY type, id LIMIT ?`,
      [installationId, afterType, afterId, PAGE],
    );
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    yield* rows;
    afterType = str(last, 'type');
    afterId = str(last, 'id');
  }
}

export async function* previousTiers(db: SqlQueries, installationId: string): AsyncIterable<PreviousTier> {
  for await (const row of tierRows(db, installationId, 'type, id, tier, since')) {
    const sinceMs = num(row, 'since');
    yield {
      type: str(row, 'type') as RecordType,
      id: str(row, 'id'),
      tier: str(row, 'tier'),
      since: new Date(sinceMs).toISOString(),
      sinceMs,
    };
  }
}

export async function* storedTiers(db: SqlQueries, installationId: string): AsyncIterable<StoredTier> {
  for await (const row of tierRows(db, installationId, '*')) yield tierOf(row);
}

export async function storedTier(
  db: SqlQueries,
  installationId: string,
  type: RecordType,
  id: string,
): Promise<StoredTier | undefined> {
  const [row] = await db.query('SELECT * FROM tiers WHERE installation_id = ? AND type = ? AND id = ?', [
    installationId,
    type,
    id,
  ]);
  return row === undefined ? undefined : tierOf(row);
}

export async function* unwrittenTiers(
  db: SqlQueries,
  installationId: string,
  type: RecordType,
  pageSize = 1000,
): AsyncIterable<StoredTier[]> {
  let after = '';
  for (;;) {
    const rows = await db.query(
      `SELECT t.* FROM tiers t
       JOIN mirror_records m ON m.installation_id = t.installation_id AND m.type = t.type AND m.id = t.id
       WHERE t.installation_id = ? AND t.type = ? AND t.written_at IS NULL AND t.id > ?
       ORDER BY t.id LIMIT ?`,
      [installationId, type, after, pageSize],
    );
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    yield rows.map(tierOf);
    after = str(last, 'id');
  }
}

export async function history(
  db: SqlQueries,
  installationId: string,
  type: RecordType,
  recordId: string,
): Promise<HistoryEntry[]> {
  const rows = await db.query(
    'SELECT * FROM tier_history WHERE installation_id = ? AND type = ? AND record_id = ? ORDER BY at, id',
    [installationId, type, recordId],
  );
  return rows.map((row) => ({
    type,
    recordId,
    oldTier: optStr(row, 'old_tier'),
    newTier: str(row, 'new_tier'),
    reasons: json(row, 'reasons') as string[],
    runId: str(row, 'run_id'),
    at: num(row, 'at'),
  }));
}

export async function closestToNextTier(
  db: SqlQueries,
  installationId: string,
  type: RecordType,
  limit: number,
): Promise<NextTierCandidate[]> {
  // Only records still mirrored: a deleted record's tier stays for its history.
  const rows = await db.query(
    `SELECT t.id, t.tier, t.hint, t.hint_gap, m.display FROM tiers t
     JOIN mirror_records m ON m.installation_id = t.installation_id AND m.type = t.type AND m.id = t.id
     WHERE t.installation_id = ? AND t.type = ? AND t.hint IS NOT NULL AND t.hint <> ''
     ORDER BY CASE WHEN t.hint_gap IS NULL THEN 1 ELSE 0 END, t.hint_gap, t.id
     LIMIT ?`,
    [installationId, type, limit],
  );
  return rows.map((row) => ({
    type,
    id: str(row, 'id'),
    tier: str(row, 'tier'),
    hint: str(row, 'hint'),
    gap: optNum(row, 'hint_gap'),
    display: (optJson(row, 'display') as RecordDisplay | null) ?? null,
  }));
}
