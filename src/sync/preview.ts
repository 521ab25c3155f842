/**
 * What a candidate policy would do to an installation, from the mirror, writing nothing: the run
 * summary, the movement from each record's current tier to its tier under the candidate (with a
 * few sample records and their reasons per cell), how many records would change tier, how many
 * more would only get a new reason or hint, and what writing them all would cost — the next sync
 * writes a record whose tier, reason or hint differs from what was last written (diff.ts), so a
 * policy that moves a threshold without moving anyone still rewrites the reasons. Shared by
 * `righttouch preview` and the admin API.
 */
import type { Policy, RecordType, RunSummary } from '../core/index.ts';
import type { Mapping } from '../mapping/mapping.ts';
import type { Store } from '../store/store.ts';
import { classifyInstallation } from './phases/classify.ts';
import { wantedValue } from './phases/diff.ts';
import { reasonText, tierValue } from './tier-value.ts';

export interface Movement {
  readonly type: RecordType;
  /** The current tier, or `(none)` for a record never tiered. */
  readonly from: string;
  readonly to: string;
  readonly count: number;
  readonly samples: readonly { readonly id: string; readonly reasons: readonly string[] }[];
}

export interface PolicyPreview {
  readonly summary: RunSummary;
  readonly movements: readonly Movement[];
  /** Records whose tier would change. */
  readonly changed: number;
  /** Records that keep their tier but would get another reason or next-tier hint (written too). */
  readonly rewritten: number;
  /** Update calls writing both would take (`recordsPerWriteCall` records a call). */
  readonly apiCalls: number;
}

const SAMPLES = 3;

export async function previewPolicy(
  store: Store,
  installationId: string,
  mapping: Mapping,
  policy: Policy,
  now: Date,
  /** The CRM's (`WriteLimits.recordsPerWriteCall`; connectors/platforms.ts has them by CRM). */
  recordsPerWriteCall: number,
): Promise<PolicyPreview> {
  const { decisions, summary } = await classifyInstallation(store, installationId, mapping, policy, now);
  const current = new Map<string, { tier: string; value: string }>();
  for await (const stored of store.storedTiers(installationId)) {
    const value = tierValue(stored.tier, reasonText(stored.reasons), stored.hint);
    current.set(`${stored.type}:${stored.id}`, { tier: stored.tier, value });
  }
  const cells = new Map<
    string,
    { type: RecordType; from: string; to: string; count: number; samples: Movement['samples'][number][] }
  >();
  const changedByType = { company: 0, contact: 0 };
  const rewrittenByType = { company: 0, contact: 0 };
  for (const decision of decisions) {
    const now = current.get(`${decision.type}:${decision.id}`);
    const from = now?.tier ?? '(none)';
    if (from !== decision.tier) changedByType[decision.type]++;
    else if (now?.value !== wantedValue(decision)) rewrittenByType[decision.type]++;
    const key = `${decision.type}\u0000${from}\u0000${decision.tier}`;
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = { type: decision.type, from, to: decision.tier, count: 0, samples: [] };
      cells.set(key, cell);
    }
    cell.count++;
    if (cell.samples.length < SAMPLES) cell.samples.push({ id: decision.id, reasons: decision.reasons });
  }
  const movements = [...cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, cell]) => cell);
  return {
    summary,
    movements,
    changed: changedByType.company + changedByType.contact,
    rewritten: rewrittenByType.company + rewrittenByType.contact,
    apiCalls:
      Math.ceil((changedByType.company + rewrittenByType.company) / recordsPerWriteCall) +
      Math.ceil((changedByType.contact + rewrittenByType.contact) / recordsPerWriteCall),
  };
}
