/**
 * Policies and mappings from files, and the policy an installation works with: its active version,
 * else the shipped default saved as its first version (`activePolicy`; the install flow, the
 * scheduled jobs and the CLI's `setup`/`sync` all start an installation this way). A file's every
 * problem is reported, with its JSON path, in one `InputError`.
 */
import { formatProblems, validatePolicy } from '../core/index.ts';
import type { Policy } from '../core/index.ts';
import { validateMapping, type Mapping } from '../mapping/mapping.ts';
import type { Crm, PolicyVersion, Store } from '../store/store.ts';
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

const shipped = new Map<Crm, Promise<Mapping>>();

/**
 * The package's mapping of a CRM (mappings/<crm>.json), read and validated once per process: the
 * scheduled runs use it every run, and the package's files do not change while it runs (a new
 * release restarts the process). A read that failed is tried again next time.
 */
export function shippedMapping(crm: Crm): Promise<Mapping> {
  let loading = shipped.get(crm);
  if (loading === undefined) {
    loading = loadMapping(crm);
    shipped.set(crm, loading);
    loading.catch(() => shipped.delete(crm));
  }
  return loading;
}

/** The installation's active policy; one without any gets the default, saved as its first version. */
export async function activePolicy(store: Store, installationId: string): Promise<Policy> {
  return (await activePolicyVersion(store, installationId)).policy;
}

/** The installation's active policy with its version number (as `activePolicy`, read once). */
export async function activePolicyVersion(store: Store, installationId: string): Promise<PolicyVersion> {
  const active = await store.activePolicy(installationId);
  if (active !== undefined) return active;
  return store.savePolicy(installationId, await loadPolicy(DEFAULT_POLICY_FILE));
}
