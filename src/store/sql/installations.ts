/**
 * Installations (one per CRM account), their status and settings, the sync leases, admin API keys
 * and the webhook event ids already taken: the shared SQL over either engine (driver.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ApiKey, Crm, Installation, InstallationSettings, InstallationStatus } from '../store.ts';
import type { SqlDriver, SqlQueries } from './driver.ts';
import { num, optJson, optStr, str } from './row.ts';
import type { Row } from './row.ts';

export function installationOf(row: Row): Installation {
  return {
    id: str(row, 'id'),
    crm: str(row, 'crm') as Crm,
    externalId: str(row, 'external_id'),
    name: optStr(row, 'name'),
    createdAt: num(row, 'created_at'),
    status: (optStr(row, 'status') ?? 'active') as InstallationStatus,
    statusDetail: optStr(row, 'status_detail'),
    settings: optJson(row, 'settings') ?? {},
  };
}

export async function upsertInstallation(
  db: SqlQueries,
  crm: Crm,
  externalId: string,
  name: string | null,
): Promise<Installation> {
  // One statement, so two processes registering the same account at once get the same
  // installation (a SELECT then INSERT let the second fail on the unique key).
  const [row] = await db.query(
    `INSERT INTO installations (id, crm, external_id, name, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (crm, external_id) DO UPDATE SET name = COALESCE(excluded.name, installations.name)
     RETURNING *`,
    [randomUUID(), crm, externalId, name, Date.now()],
  );
  if (row === undefined) throw new Error('upsertInstallation returned no row');
  return installationOf(row);
}

export async function getInstallation(db: SqlQueries, id: string): Promise<Installation | undefined> {
  const [row] = await db.query('SELECT * FROM installations WHERE id = ?', [id]);
  return row === undefined ? undefined : installationOf(row);
}

export async function listInstallations(db: SqlQueries): Promise<Installation[]> {
  return (await db.query('SELECT * FROM installations ORDER BY created_at, crm, external_id')).map(installationOf);
}

export async function countInstallations(db: SqlQueries): Promise<number> {
  const [row] = await db.query('SELECT COUNT(*) AS n FROM installations');
  return row === undefined ? 0 : num(row, 'n');
}

export async function setInstallationStatus(
  db: SqlQueries,
  id: string,
  status: InstallationStatus,
  detail: string | null,
): Promise<void> {
  await db.run('UPDATE installations SET status = ?, status_detail = ?, uninstalled_at = NULL WHERE id = ?', [
    status,
    detail,
    id,
  ]);
}

export async function saveSettings(db: SqlQueries, id: string, settings: InstallationSettings): Promise<void> {
  await db.run('UPDATE installations SET settings = ? WHERE id = ?', [JSON.stringify(settings), id]);
}

export async function updateSettings(
  db: SqlDriver,
  id: string,
  change: (current: InstallationSettings) => InstallationSettings,
): Promise<{ readonly before: InstallationSettings; readonly after: InstallationSettings } | undefined> {
  // Read and write in one transaction holding the row (FOR UPDATE on PostgreSQL; SQLite's write
  // transaction holds the file's one write lock from its start): a concurrent update waits for
  // this one and then changes what it wrote, so two updates of different fields both stay.
  return db.transaction(async (tx) => {
    const [row] = await tx.query(`SELECT settings FROM installations WHERE id = ?${tx.forUpdate}`, [id]);
    if (row === undefined) return undefined;
    const before = (optJson(row, 'settings') ?? {}) as InstallationSettings;
    const after = change(before);
    await tx.run('UPDATE installations SET settings = ? WHERE id = ?', [JSON.stringify(after), id]);
    return { before, after };
  });
}

export async function acquireLease(
  db: SqlQueries,
  name: string,
  holder: string,
  ttlMs: number,
  now: number,
): Promise<boolean> {
  // One statement, so two processes cannot both see the lease free and both take it: the row
  // comes back only when it was inserted or taken over/renewed by `holder`.
  const [row] = await db.query(
    `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
     RETURNING holder`,
    [name, holder, now + ttlMs, now],
  );
  return row !== undefined && str(row, 'holder') === holder;
}

/** Who holds the lease `name` and until when (expired or not); undefined when no one does. */
export async function leaseHolder(
  db: SqlQueries,
  name: string,
): Promise<{ readonly holder: string; readonly expiresAt: number } | undefined> {
  const [row] = await db.query('SELECT holder, expires_at FROM leases WHERE name = ?', [name]);
  return row === undefined ? undefined : { holder: str(row, 'holder'), expiresAt: num(row, 'expires_at') };
}

export async function takeOverLease(
  db: SqlQueries,
  name: string,
  from: string,
  to: string,
  ttlMs: number,
  now: number,
): Promise<boolean> {
  // Compare-and-set in one statement: of two processes taking over the same dead holder's lease,
  // the second finds the holder changed and updates nothing. PostgreSQL (Read Committed) re-checks
  // the WHERE of an UPDATE that waited for another's row lock against the updated row (manual,
  // "Transaction Isolation", 13.2.1); SQLite has one writer at a time.
  const changed = await db.run('UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND holder = ?', [
    to,
    now + ttlMs,
    name,
    from,
  ]);
  return changed > 0;
}

export async function releaseLease(db: SqlQueries, name: string, holder: string): Promise<void> {
  await db.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
}

export async function createApiKey(
  db: SqlQueries,
  keyHash: string,
  installationId: string | null,
  label: string,
  at: number,
): Promise<ApiKey> {
  const id = randomUUID();
  await db.run('INSERT INTO api_keys (id, key_hash, installation_id, label, created_at) VALUES (?, ?, ?, ?, ?)', [
    id,
    keyHash,
    installationId,
    label,
    at,
  ]);
  return { id, installationId, label };
}

export async function findApiKey(db: SqlQueries, keyHash: string): Promise<ApiKey | undefined> {
  const [row] = await db.query('SELECT id, installation_id, label FROM api_keys WHERE key_hash = ?', [keyHash]);
  return row === undefined
    ? undefined
    : { id: str(row, 'id'), installationId: optStr(row, 'installation_id'), label: str(row, 'label') };
}

export async function recordWebhookEvent(db: SqlQueries, id: string, at: number): Promise<boolean> {
  const sql = 'INSERT INTO webhook_events (id, received_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING';
  return (await db.run(sql, [id, at])) > 0;
}

export function pruneWebhookEvents(db: SqlQueries, before: number): Promise<number> {
  return db.run('DELETE FROM webhook_events WHERE received_at < ?', [before]);
}
