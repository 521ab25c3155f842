/**
 * Policies and mappings from files, and the policy an installation works with: its active version,
 * else the shipped default saved as its first version (`activePolicy`; the install flow, the
 * scheduled jobs and the CLI's `setup`/`sync` all start an installation this way). A file's every
 * problem is reported, with its JSON path, in one `InputError`.
 */
import { formatProblems, validatePolicy } from '../core/index.ts';
import type { Policy } from '../core/index.ts';
import { validateMapping, type Mapping } from '../mapping/mapping.ts';
import type { Crm, Store } from '../store/store.ts';
import { InputError } from './errors.ts';
import { displayName, readJsonFile } from './json-file.ts';
import { DEFAULT_POLICY_FILE, defaultMappingFile } from './paths.ts';

export async function loadPolicy(path: string): Promise<Policy> {
  const result = validatePolicy(await readJsonFile(path));
  if (result.ok) return result.policy;
  const count = result.problems.length;
  const indented = formatProblems(result.problems)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  throw new InputError(
    `${displayName(path)}: invalid policy (${count} problem${count === 1 ? '' : 's'}):\n${indented}`,
  );
}

/** A mapping file; by default the package's mappings/<crm>.json. */
export async function loadMapping(crm: Crm, path = defaultMappingFile(crm)): Promise<Mapping> {
  const result = validateMapping(await readJsonFile(path));
  if (result.ok) return result.mapping;
  throw new InputError(
    `${path}: invalid mapping:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
  );
}

/** The installation's active policy; one without any gets the default, saved as its first version. */
export async function activePolicy(store: Store, installationId: string): Promise<Policy> {
  const active = await store.activePolicy(installationId);
  if (active !== undefined) return active.policy;
  const policy = await loadPolicy(DEFAULT_POLICY_FILE);
  await store.savePolicy(installationId, policy);
  return policy;
}
