/** The sync's compact table of what was last written, which also gives the previous tiers. */
import { expect, test } from 'vitest';
import type { StoredTier } from '../../src/store/store.ts';
import { LastWrittenTable } from '../../src/sync/last-written.ts';
import { textHash, tierValue, withoutRank } from '../../src/sync/tier-value.ts';

const tier = (type: StoredTier['type'], id: string, name: string, since: number, written: boolean): StoredTier => ({
  type,
  id,
  tier: name,
  reasons: [`Over capacity; ranked ${since}th by dealSize → ${name}`],
  since,
  writtenAt: written ? since + 1 : null,
});

test('keeps tier, hashes, written and since per record, by type, past its first size', () => {
  const table = new LastWrittenTable();
  for (let i = 0; i < 3000; i++)
    table.add(tier(i % 2 === 0 ? 'company' : 'contact', `r${i}`, `t${i % 3}`, i, i % 5 !== 0));
  const value = tierValue('t1', 'Over capacity; ranked 2221th by dealSize → t1', null);
  expect(table.get('contact', 'r2221')).toEqual({
    tier: 't1',
    hash: textHash(value),
    ranklessHash: textHash(withoutRank(value)),
    written: true,
  });
  expect(table.get('contact', 'r2220')).toBeUndefined(); // a company
  expect(table.get('company', 'r2220')?.written).toBe(false);
  table.add(tier('company', 'r2220', 't2', 9, true));
  expect(table.get('company', 'r2220')).toMatchObject({ tier: 't2', written: true });
  const previous = [...table.previous()];
  expect(previous).toHaveLength(3000);
  expect(previous[2221]).toEqual({
    type: 'contact',
    id: 'r2221',
    tier: 't1',
    since: new Date(2221).toISOString(),
    sinceMs: 2221,
  });
  table.clear();
  expect([...table.previous()]).toEqual([]);
  expect(table.get('company', 'r0')).toBeUndefined();
});

test('a record carried over hands its tier, unwritten, to a successor without one; else it is just gone', () => {
  const table = new LastWrittenTable();
  table.add(tier('contact', 'lead-1', 'high', 10, true));
  table.add(tier('contact', 'lead-2', 'low', 20, true));
  table.add(tier('contact', 'winner', 'mid', 30, true));
  table.carryOver('contact', 'lead-1', 'converted');
  table.carryOver('contact', 'lead-2', 'winner');
  table.carryOver('contact', 'unknown', 'winner');
  expect(table.get('contact', 'lead-1')).toBeUndefined();
  expect(table.get('contact', 'converted')).toMatchObject({ tier: 'high', written: false });
  expect(table.get('contact', 'winner')).toMatchObject({ tier: 'mid', written: true });
  expect([...table.previous()].map((p) => `${p.id}:${p.tier}:${p.sinceMs ?? ''}`)).toEqual([
    'converted:high:10',
    'winner:mid:30',
  ]);
});
