/** `righttouch validate`: a policy alone, checked; exit 2 with every problem when it is invalid. */
import type { Writable } from 'node:stream';
import { displayName } from './jsonl.ts';
import { loadPolicy } from '../app/policy.ts';

export async function runValidate(
  options: { readonly policy: string },
  io: { readonly stdout: Writable },
): Promise<void> {
  const policy = await loadPolicy(options.policy);
  const count = (list: readonly unknown[] | undefined, one: string): string => {
    const n = list?.length ?? 0;
    return `${n} ${one}${n === 1 ? '' : 's'}`;
  };
  const capacities = Object.keys(policy.company?.capacity ?? {});
  io.stdout.write(
    `${displayName(options.policy)}: valid policy — ${policy.tiers.map((t) => t.label).join(' < ')}; ` +
      `companies: ${count(policy.company?.rules, 'rule')}, ${count(policy.company?.caps, 'cap')}, ${count(policy.company?.floors, 'floor')}` +
      `${capacities.length > 0 ? `, capacity on ${capacities.join(', ')}` : ''}; ` +
      `contacts: ${count(policy.contact?.rules, 'rule')}, inherit ${policy.contact?.inherit ?? 'company'}\n`,
  );
}
