/** Policy versions per installation (the newest is the active one): the shared SQL. */
import { validatePolicy } from '../../core/index.ts';
import type { Policy } from '../../core/index.ts';
import type { PolicyVersion } from '../store.ts';
import type { SqlDriver, SqlQueries } from './driver.ts';
import { json, num, optNum } from './row.ts';
import type { Row } from './row.ts';

function policyOf(row: Row): PolicyVersion {
  const checked = validatePolicy(json(row, 'body'));
  if (!checked.ok) throw new Error(`stored policy version ${num(row, 'version')} no longer validates`);
  return { version: num(row, 'version'), policy: checked.policy, createdAt: num(row, 'created_at') };
}

export async function savePolicy(db: SqlDriver, installationId: string, policy: Policy): Promise<PolicyVersion> {
  const checked = validatePolicy(policy);
  if (!checked.ok) throw new Error(`refusing to store an invalid policy: ${checked.problems[0]?.message ?? ''}`);
  return db.transaction(async (tx) => {
    // Versions of one installation are numbered one writer at a time.
    await tx.query(`SELECT 1 AS locked FROM installations WHERE id = ?${tx.forUpdate}`, [installationId]);
    const [last] = await tx.query('SELECT MAX(version) AS v FROM policies WHERE installation_id = ?', [installationId]);
    const version = (optNum(last ?? {}, 'v') ?? 0) + 1;
    const createdAt = Date.now();
    await tx.run('INSERT INTO policies (installation_id, version, body, created_at) VALUES (?, ?, ?, ?)', [
      installationId,
      version,
      JSON.stringify(policy),
      createdAt,
    ]);
    return { version, policy: checked.policy, createdAt };
  });
}

export async function activePolicy(db: SqlQueries, installationId: string): Promise<PolicyVersion | undefined> {
  const [row] = await db.query('SELECT * FROM policies WHERE installation_id = ? ORDER BY version DESC LIMIT 1', [
    installationId,
  ]);
  return row === undefined ? undefined : policyOf(row);
}

export async function listPolicies(db: SqlQueries, installationId: string): Promise<PolicyVersion[]> {
  return (await db.query('SELECT * FROM policies WHERE installation_id = ? ORDER BY version', [installationId])).map(
    policyOf,
  );
}
