/** What every field of the policy form reads: the draft, how to change it, and its problems. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Json, Path } from '../lib/json.ts';

export interface TierOption {
  readonly value: string;
  readonly label: string;
}

export interface PolicyForm {
  readonly draft: Json | undefined;
  set(path: Path, value: Json | undefined): void;
  update(change: (draft: Json | undefined) => Json | undefined): void;
  /** The problem messages shown at this path (see `anchorOf`). */
  problemsAt(path: string): readonly string[];
  /** The draft's tiers, least touch first. */
  readonly tiers: readonly TierOption[];
  /** Field names to suggest (those the draft uses, and the mapping's usual ones). */
  readonly fields: readonly string[];
}

export const PolicyFormContext = createContext<PolicyForm | null>(null);

export function useForm(): PolicyForm {
  const form = useContext(PolicyFormContext);
  if (form === null) throw new Error('a policy field outside the policy form');
  return form;
}
