/**
 * What RightTouch deletes when a person asks to be forgotten or a CRM account uninstalls the app,
 * as portable SQL (`?` placeholders, see sql/driver.ts), run by the shared store (sql/sql-store.ts):
 * one copy of the rule for both engines.
 *
 * - Erasing a record (a HubSpot `contact.privacyDeletion`, GDPR): its mirror row, its current
 *   tier, every history row, any rejected row and its row of the incremental tiering state (which
 *   holds its fields). Nothing else names the record. The state's version moves up, so no worker
 *   goes on from a copy it holds in memory; a company erased also drops the state's meta row (its
 *   seat may go to another company: the next run builds the state again from a full
 *   classification), a contact does not (no other record's decision reads a contact): it leaves
 *   the meta row's row and tier counts.
 * - Forgetting an installation (uninstalled: the CRM refused the refresh token): every record,
 *   deal, tier, history row, rejected row, cursor, run, API key, incremental state and kept CRM list id of it. The installation row
 *   (CRM, account id, status `uninstalled`, when) and its policy versions are kept for
 *   `UNINSTALLED_RETENTION_MS`, so reinstalling within it finds the admin's policy again; then
 *   `purgeUninstalled` deletes them too. Tokens are secrets, dropped by the credentials' owner.
 */

import type { SqlDriver } from './sql/driver.ts';
import { str } from './sql/row.ts';
import { uncountContact } from './sql/tiering-state.ts';

/** How long an uninstalled installation's row and policies are kept: 30 days. */
export const UNINSTALLED_RETENTION_MS = 30 * 86_400_000;

/** Parameters: installation id, record type, record id. */
export const ERASE_RECORD_SQL: readonly string[] = [
  'DELETE FROM mirror_records WHERE installation_id = ? AND type = ? AND id = ?',
  'DELETE FROM tiers WHERE installation_id = ? AND type = ? AND id = ?',
  'DELETE FROM tier_history WHERE installation_id = ? AND type = ? AND record_id = ?',
  'DELETE FROM rejected_rows WHERE installation_id = ? AND type = ? AND record_id = ?',
  'DELETE FROM tiering_state WHERE installation_id = ? AND type = ? AND id = ?',
];

/**
 * Parameter: installation id. After erasing a contact: the state changed under any copy held. The
 * company snapshot, which holds no contact, moves with it (it stays the state's).
 */
export const BUMP_STATE_VERSION_SQL: readonly string[] = [
  'UPDATE tiering_state_meta SET version = version + 1 WHERE installation_id = ?',
  'UPDATE tiering_state_companies SET version = version + 1 WHERE installation_id = ?',
];
/**
 * Parameter: installation id. After erasing a company: the next run builds the state again; the
 * company snapshot, which names the company, goes too.
 */
export const DROP_STATE_META_SQL: readonly string[] = [
  'DELETE FROM tiering_state_meta WHERE installation_id = ?',
  'DELETE FROM tiering_state_companies WHERE installation_id = ?',
];

/** Parameter: installation id. */
export const FORGET_INSTALLATION_SQL: readonly string[] = [
  'DELETE FROM mirror_records WHERE installation_id = ?',
  'DELETE FROM mirror_deals WHERE installation_id = ?',
  'DELETE FROM tiers WHERE installation_id = ?',
  'DELETE FROM tier_history WHERE installation_id = ?',
  'DELETE FROM rejected_rows WHERE installation_id = ?',
  'DELETE FROM cursors WHERE installation_id = ?',
  'DELETE FROM runs WHERE installation_id = ?',
  'DELETE FROM api_keys WHERE installation_id = ?',
  'DELETE FROM tiering_state WHERE installation_id = ?',
  'DELETE FROM tiering_state_meta WHERE installation_id = ?',
  'DELETE FROM tiering_state_companies WHERE installation_id = ?',
  'DELETE FROM crm_lists WHERE installation_id = ?',
];

/** Parameters: uninstalled at (epoch ms), installation id. */
export const MARK_UNINSTALLED_SQL =
  "UPDATE installations SET status = 'uninstalled', status_detail = NULL, uninstalled_at = ? WHERE id = ?";

/** Parameter: uninstalled before (epoch ms). */
export const UNINSTALLED_BEFORE_SQL =
  "SELECT id FROM installations WHERE status = 'uninstalled' AND uninstalled_at < ? ORDER BY id";

/** Parameter: installation id (after FORGET_INSTALLATION_SQL). */
export const PURGE_INSTALLATION_SQL: readonly string[] = [
  'DELETE FROM policies WHERE installation_id = ?',
  'DELETE FROM installations WHERE id = ?',
];

/** Erases one record (ERASE_RECORD_SQL) in one transaction; the number of rows deleted. */
export function eraseRecord(db: SqlDriver, installationId: string, type: string, id: string): Promise<number> {
  return db.transaction(async (tx) => {
    let deleted = 0;
    if (type === 'contact') await uncountContact(tx, installationId, id);
    for (const sql of ERASE_RECORD_SQL) deleted += await tx.run(sql, [installationId, type, id]);
    for (const sql of type === 'company' ? DROP_STATE_META_SQL : BUMP_STATE_VERSION_SQL) {
      await tx.run(sql, [installationId]);
    }
    return deleted;
  });
}

/** Forgets an uninstalled installation's data, its sync lease, and marks it uninstalled at `at`. */
export async function forgetInstallation(db: SqlDriver, installationId: string, at: number): Promise<void> {
  await db.transaction(async (tx) => {
    for (const sql of FORGET_INSTALLATION_SQL) await tx.run(sql, [installationId]);
    await tx.run('DELETE FROM leases WHERE name = ?', [`sync:${installationId}`]);
    await tx.run(MARK_UNINSTALLED_SQL, [at, installationId]);
  });
}

/** Deletes the installations uninstalled before `before`, with everything of theirs; their ids. */
export function purgeUninstalled(db: SqlDriver, before: number): Promise<string[]> {
  return db.transaction(async (tx) => {
    const ids = (await tx.query(UNINSTALLED_BEFORE_SQL, [before])).map((row) => str(row, 'id'));
    for (const id of ids) {
      for (const sql of [...FORGET_INSTALLATION_SQL, ...PURGE_INSTALLATION_SQL]) await tx.run(sql, [id]);
    }
    return ids;
  });
}
