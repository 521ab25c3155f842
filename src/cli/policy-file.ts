/** Loading a policy file for the CLI: every problem, with its JSON path, in one error. */
import { formatProblems, validatePolicy } from '../core/index.ts';
import type { Policy } from '../core/index.ts';
import { InputError } from './errors.ts';
import { displayName, readJsonFile } from './jsonl.ts';

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
