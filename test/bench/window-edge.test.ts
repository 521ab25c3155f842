/** The sync benchmark's check of second-sync writes: only a won deal leaving the window explains one. */
import { expect, test } from 'vitest';
import { notLeftTheWindow } from '../../bench/window-edge.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const DAY = 86_400_000;

test('a write is explained only by a won deal of the record (or its company) leaving the window between the runs', async () => {
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const { id } = await store.upsertInstallation('hubspot', 'p');
  const from = Date.parse('2026-11-23T12:00:00Z');
  const to = from + 30 * 60_000;
  const edge = from - 365 * DAY; // the window's start at the first run
  await store.upsertRecords(
    id,
    [
      { type: 'company', id: 'left', fields: {} },
      { type: 'company', id: 'lost', fields: {} },
      { type: 'company', id: 'inside', fields: {} },
      { type: 'contact', id: 'c-left', companyId: 'left', fields: {} },
      { type: 'contact', id: 'c-none', companyId: null, fields: {} },
    ],
    from,
  );
  const deal = (dealId: string, companyId: string, closeTime: number, closedWon = true) => ({
    id: dealId,
    companyId,
    amount: 1000,
    closedWon,
    closed: true,
    closeTime,
  });
  await store.upsertDeals(id, [
    deal('d1', 'left', edge + 15 * 60_000), // left the window while the runs went on
    deal('d2', 'lost', edge + 15 * 60_000, false), // closed lost: never counted
    deal('d3', 'inside', edge + 40 * 60_000), // still inside at the second run
    { ...deal('d4', 'lost', edge + 10 * 60_000), amount: null }, // left, but counted for nothing
  ]);
  const written = [
    { type: 'company' as const, id: 'left' },
    { type: 'contact' as const, id: 'c-left' },
    { type: 'company' as const, id: 'lost' },
    { type: 'company' as const, id: 'inside' },
    { type: 'contact' as const, id: 'c-none' },
  ];
  expect(await notLeftTheWindow(store, id, written, { fromMs: from, toMs: to, windowDays: 365 })).toEqual([
    { type: 'company', id: 'lost' },
    { type: 'company', id: 'inside' },
    { type: 'contact', id: 'c-none' },
  ]);
  expect(await notLeftTheWindow(store, id, [], { fromMs: from, toMs: to, windowDays: 365 })).toEqual([]);
  await store.close();
});
