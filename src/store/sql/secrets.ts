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
  await setCursors(db, installationId, { [name]: value });
}

/** The cursors of these names that are set (one statement: a run reads several). */
export async function getCursors(
  db: SqlQueries,
  installationId: string,
  names: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (names.length === 0) return found;
  const rows = await db.query(
    `SELECT name, value FROM cursors WHERE installation_id = ? AND name IN (${names.map(() => '?').join(', ')})`,
    [installationId, ...names],
  );
  for (const row of rows) found.set(str(row, 'name'), str(row, 'value'));
  return found;
}

/** Sets cursors (one statement: a run advances several at once). */
export async function setCursors(
  db: SqlQueries,
  installationId: string,
  values: Readonly<Record<string, string>>,
): Promise<void> {
  const entries = Object.entries(values);
  if (entries.length === 0) return;
  await db.run(
    `INSERT INTO cursors (installation_id, name, value) VALUES ${entries.map(() => '(?, ?, ?)').join(', ')}
     ON CONFLICT (installation_id, name) DO UPDATE SET value = excluded.value`,
    entries.flatMap(([name, value]) => [installationId, name, value]),
  );
}
