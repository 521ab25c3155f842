/** Sealed secrets (../secrets.ts seals them) and per-installation sync cursors: the shared SQL. */
import type { SqlQueries } from './driver.ts';
import { str } from './row.ts';

export async function getSecret(db: SqlQueries, name: string): Promise<string | undefined> {
  const [row] = await db.query('SELECT sealed FROM secrets WHERE name = ?', [name]);
  return row === undefined ? undefined : str(row, 'sealed');
}

export async function putSecret(db: SqlQueries, name: string, sealed: string, at: number): Promise<void> {
  await db.run(
    `INSERT INTO secrets (name, sealed, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
    [name, sealed, at],
  );
}

export async function deleteSecret(db: SqlQueries, name: string): Promise<boolean> {
  return (await db.run('DELETE FROM secrets WHERE name = ?', [name])) > 0;
}

export async function getCursor(db: SqlQueries, installationId: string, name: string): Promise<string | undefined> {
  const [row] = await db.query('SELECT value FROM cursors WHERE installation_id = ? AND name = ?', [
    installationId,
    name,
  ]);
  return row === undefined ? undefined : str(row, 'value');
}

export async function setCursor(db: SqlQueries, installationId: string, name: string, value: string): Promise<void> {
  await db.run(
    `INSERT INTO cursors (installation_id, name, value) VALUES (?, ?, ?)
     ON CONFLICT (installation_id, name) DO UPDATE SET value = excluded.value`,
    [installationId, name, value],
  );
}
