/**
 * Policy versions per installation (the newest is the active one): the shared SQL.
 *
 * A stored policy is validated again when it is read (a newer release may no longer accept it),
 * which is zod building the policy's schema and parsing it: most of the CPU of reading one, and
 * every run reads its installation's policy. The answer depends only on the stored text, so the
 * policies validated from each text are kept (`validated`, a few hundred texts, the least recently
 * read out first): installations with the same policy, and every run of one installation, validate
 * it once per process. Policies are read-only (src/core/policy-types.ts), so sharing them is safe.
 */
import { LRUCache } from 'lru-cache';
import { validatePolicy } from '../../core/index.ts';
import type { Policy } from '../../core/index.ts';
import type { PolicyVersion } from '../store.ts';
import type { SqlDriver, SqlQueries } from './driver.ts';
import { num, optNum, str } from './row.ts';
import type { Row } from './row.ts';

/** How many stored texts' validations are kept. */
export const VALIDATED_POLICIES = 500;
/** By stored text: the policy it validates as (undefined: it no longer validates). */
const validated = new LRUCache<string, { readonly policy: Policy | undefined }>({ max: VALIDATED_POLICIES });

/** The policy a stored text validates as (undefined: it no longer validates), validated once per text. */
function validatedPolicy(text: string): Policy | undefined {
  const known = validated.get(text);
  if (known !== undefined) return known.policy;
  const checked = validatePolicy(JSON.parse(text));
  const policy = checked.ok ? checked.policy : undefined;
  validated.set(text, { policy });
  return policy;
}

function policyOf(row: Row): PolicyVersion {
  const policy = validatedPolicy(str(row, 'body'));
  if (policy === undefined) throw new Error(`stored policy version ${num(row, 'version')} no longer validates`);
  return { version: num(row, 'version'), policy, createdAt: num(row, 'created_at') };
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
