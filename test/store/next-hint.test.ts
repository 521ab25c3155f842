/**
 * The next-tier hint kept with the stored tier (migration 7), on each engine: stored, replaced,
 * cleared, read back with the tier, and the overview's "closest to the next tier" ordering
 * (smallest relative gap first, no value last, only mirrored records).
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Installation, Store, TierChange } from '../../src/store/store.ts';
import { collect, describeEachEngine } from './engines.ts';

const change = (id: string, hint?: string, hintGap?: number | null): TierChange => ({
  type: 'company',
  id,
  tier: 'mid_touch',
  reasons: [`${id} because`],
  ...(hint === undefined ? {} : { hint }),
  ...(hintGap === undefined ? {} : { hintGap }),
});

describeEachEngine('the next-tier hint in the store', (engine) => {
  let store: Store;
  let portal: Installation;

  beforeEach(async () => {
    store = engine.open(engine.create());
    await store.migrate();
    portal = await store.upsertInstallation('hubspot', '123456', 'Acme portal');
  });

  afterEach(async () => {
    await store.close();
  });

  test('is kept with the tier, replaced, and cleared by a change without one; no history row for a hint', async () => {
    const short = 'Deal size 120,000 is 30,000 short of High-touch (≥ 150,000)';
    await store.applyTierChanges(portal.id, 'run-1', [change('a', short, 0.2)], 1000);
    expect(await store.storedTier(portal.id, 'company', 'a')).toMatchObject({ hint: short, hintGap: 0.2 });
    const closer = 'Deal size 140,000 is 10,000 short of High-touch (≥ 150,000)';
    await store.applyTierChanges(portal.id, 'run-2', [change('a', closer, 1 / 15)], 2000);
    expect(await store.storedTier(portal.id, 'company', 'a')).toMatchObject({
      hint: closer,
      hintGap: 1 / 15,
      since: 1000,
    });
    const [stored] = await collect(store.storedTiers(portal.id));
    expect(stored?.hint).toBe(closer);
    await store.applyTierChanges(portal.id, 'run-3', [change('a', '', null)], 3000);
    expect(await store.storedTier(portal.id, 'company', 'a')).toMatchObject({ hint: null, hintGap: null });
    await store.applyTierChanges(portal.id, 'run-4', [change('a')], 4000);
    expect(await store.storedTier(portal.id, 'company', 'a')).toMatchObject({ hint: null, hintGap: null });
    expect(await store.history(portal.id, 'company', 'a')).toHaveLength(1);
  });

  test('closest to the next tier: smallest gap first, no value last, only mirrored records with a hint', async () => {
    await store.upsertRecords(
      portal.id,
      ['far', 'near', 'none', 'missing', 'gone', 'exact'].map((id) => ({
        type: 'company' as const,
        id,
        fields: {},
        ...(id === 'near' ? { display: { name: 'Near Corp', domain: 'near.example', email: null } } : {}),
      })),
      500,
    );
    await store.applyTierChanges(
      portal.id,
      'run-1',
      [
        change('far', 'far hint', 0.9),
        change('near', 'near hint', 0.05),
        change('none'),
        change('missing', 'missing hint', null),
        change('gone', 'gone hint', 0.01),
        change('exact', 'exact hint', 0),
        change('unmirrored', 'unmirrored hint', 0.001),
      ],
      1000,
    );
    await store.deleteRecords(portal.id, 'company', ['gone']);
    const closest = await store.closestToNextTier(portal.id, 'company', 10);
    expect(closest.map((c) => [c.id, c.gap])).toEqual([
      ['exact', 0],
      ['near', 0.05],
      ['far', 0.9],
      ['missing', null],
    ]);
    // With what people know it by, from the mirror (null without a display).
    expect(closest[1]).toEqual({
      type: 'company',
      id: 'near',
      tier: 'mid_touch',
      hint: 'near hint',
      gap: 0.05,
      display: { name: 'Near Corp', domain: 'near.example', email: null },
    });
    expect(closest[0]?.display).toBeNull();
    expect((await store.closestToNextTier(portal.id, 'company', 2)).map((c) => c.id)).toEqual(['exact', 'near']);
    expect(await store.closestToNextTier(portal.id, 'contact', 10)).toEqual([]);
  });
});
