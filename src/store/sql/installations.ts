/**
 * Installations (one per CRM account), their status and settings, the sync leases, admin API keys
 * and the webhook event ids already taken: the shared SQL over either engine (driver.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ApiKey, Crm, Installation, InstallationSettings, InstallationStatus } from '../store.ts';
import type { SqlQueries } from './driver.ts';
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
