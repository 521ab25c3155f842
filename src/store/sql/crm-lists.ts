/**
 * The lists per tier setup keeps in the CRM (migration 10): replaced whole after each setup, read
 * back in the order setup reported them (`position`).
 */
import type { StoredCrmList } from '../store.ts';
import type { SqlDriver, SqlQueries } from './driver.ts';
import { optStr, str } from './row.ts';

export async function crmLists(db: SqlQueries, installationId: string): Promise<StoredCrmList[]> {
  const rows = await db.query(
    'SELECT object, tier, list_id, name, url FROM crm_lists WHERE installation_id = ? ORDER BY position',
    [installationId],
  );
  return rows.map((row) => {
    const url = optStr(row, 'url');
    return {
      object: str(row, 'object'),
      tier: str(row, 'tier'),
      name: str(row, 'name'),
      id: str(row, 'list_id'),
      ...(url === null ? {} : { url }),
    };
  });
}

export async function saveCrmLists(
  db: SqlDriver,
  installationId: string,
  lists: readonly StoredCrmList[],
  at: number,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run('DELETE FROM crm_lists WHERE installation_id = ?', [installationId]);
    for (const [position, list] of lists.entries()) {
      // A second list for the same object and tier (a report should not have one) keeps the first.
      await tx.run(
        `INSERT INTO crm_lists (installation_id, object, tier, list_id, name, url, position, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (installation_id, object, tier) DO NOTHING`,
        [installationId, list.object, list.tier, list.id, list.name, list.url ?? null, position, at],
      );
    }
  });
}
