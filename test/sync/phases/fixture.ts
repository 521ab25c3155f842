/** A store in memory with one installation, a fake CRM on a test clock, and the default HubSpot mapping. */
import { join } from 'node:path';
import type { Decision, Policy } from '../../../src/core/index.ts';
import { validateMapping, withDiscovered, type Mapping } from '../../../src/mapping/mapping.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import type { TierProperties } from '../../../src/sync/connector.ts';
import type { HintedDecision } from '../../../src/sync/next-hint.ts';
import { readJson, repoRoot } from '../../helpers.ts';
import { FakeCrm } from '../fake-connector.ts';

export const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
const checked = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
if (!checked.ok) throw new Error('invalid default mapping');
export const mapping: Mapping = withDiscovered(checked.mapping, { 'lead-score': 'lead_score' });
export const properties: TierProperties = {
  tier: 'engagement_model',
  reason: 'engagement_model_reason',
  next: 'engagement_model_next',
  updatedAt: 'engagement_model_updated_at',
};
export const START = Date.parse('2026-11-20T00:00:00Z');

export interface Fixture {
  readonly store: SqliteStore;
  readonly crm: FakeCrm;
  readonly installationId: string;
  /** The test clock (epoch ms) the CRM stamps modifications with. */
  now: number;
}

export async function fixture(): Promise<Fixture> {
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const installation = await store.upsertInstallation('hubspot', 'portal-1');
  const world: Fixture = { store, crm: new FakeCrm(() => world.now), installationId: installation.id, now: START };
  return world;
}

export const decided = (
  type: Decision['type'],
  id: string,
  tier: string,
  reason = `${tier} because`,
  hint = '',
): HintedDecision => ({
  type,
  id,
  tier,
  reasons: [reason],
  hint,
  hintGap: null,
});

/** Puts records in the mirror (tiers are written only for mirrored records). */
export async function mirror(w: Fixture, type: Decision['type'], ids: readonly string[]): Promise<void> {
  await w.store.upsertRecords(
    w.installationId,
    ids.map((id) => ({ type, id, fields: {} })),
    w.now,
  );
}
