/** What every route module works with: the portal, its indexes, the clock and the search cap. */
import type { AssociationIndex } from './associations.ts';
import type { Portal } from './model.ts';
import type { SearchEngine } from './search.ts';

export interface SandboxContext {
  readonly portal: Portal;
  readonly search: SearchEngine;
  readonly associations: AssociationIndex;
  /** The sandbox clock (epoch ms): modification times and rate-limit windows. */
  readonly now: () => number;
  /** The most results one search query can page through (HubSpot: 10,000). */
  readonly searchCap: number;
  /** Tokens the sandbox accepts; undefined accepts any non-empty token. */
  readonly token: string | undefined;
  /** The scopes the app's token was granted (routes needing another answer 403 MISSING_SCOPES). */
  readonly scopes: readonly string[];
}
