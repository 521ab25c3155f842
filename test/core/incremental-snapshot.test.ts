/**
 * The company snapshot (src/core/incremental-snapshot.ts): what a state loaded from it writes back
 * after a run — the unchanged companies copied from its columns, the ones the run decided written
 * over them, a company gone cut out and a new one merged in — is byte for byte what a state loaded
 * from every row writes, with ids of any script (text copied as text) and ASCII ids (copied as
 * bytes); and a snapshot of another policy's shape is refused (the caller loads the rows).
 */
import { describe, expect, test } from 'vitest';
import { createIncremental } from '../../src/core/index.ts';
import type { CanonicalRecord, IncrementalRow, IncrementalTiering, Policy } from '../../src/core/index.ts';
import { validatePolicy } from '../../src/core/index.ts';

const DAY_MS = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

const policy = ((): Policy => {
  const result = validatePolicy({
    version: 1,
    tiers: [
      { value: 't0', label: 'Tier 0' },
      { value: 't1', label: 'Tier 1' },
      { value: 't2', label: 'Tier 2' },
    ],
    company: {
      default: 't0',
      rules: [
        { tier: 't2', when: { field: 'n', gte: 100 } },
        { tier: 't1', when: { field: 'n', gte: 10 } },
      ],
      capacity: { t2: { max: 3, rankBy: [{ field: 'n', order: 'desc' }] } },
      hysteresis: { minDaysInTier: 7 },
    },
    contact: { inherit: 'company', rules: [] },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
})();

function company(id: string, n: number): CanonicalRecord {
  return { type: 'company', id, fields: { n } };
}

/** Saved rows as JSON gives them back. */
function rowsOf(state: IncrementalTiering): Map<string, IncrementalRow> {
  const rows = JSON.parse(JSON.stringify([...state.rows()])) as IncrementalRow[];
  return new Map(rows.map((row) => [row.id, row]));
}

function whole(rows: Map<string, IncrementalRow>): IncrementalTiering {
  const state = createIncremental(policy);
  state.load(JSON.parse(JSON.stringify([...rows.values()])) as IncrementalRow[]);
  return state;
}

function hex(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? new Uint8Array()).toString('hex');
}

describe('the company snapshot', () => {
  for (const [name, prefix] of [
    ['ASCII ids', 'co-'],
    ['ids of any script', 'société-😀-'],
  ] as const) {
    test(`${name}: a state loaded from it writes what a state loaded from every row writes`, () => {
      const ids = Array.from({ length: 40 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
      const records = ids.map((id, i) => company(id, (i * 37) % 150));
      const first = createIncremental(policy);
      first.fullClassify(records, [], new Date(T0));
      let rows = rowsOf(first);
      const snapshot = first.companySnapshot();
      expect(hex(whole(rows).companySnapshot())).toBe(hex(snapshot));

      // A fresh worker: the snapshot, then a run that changes, deletes and adds companies.
      const state = createIncremental(policy);
      expect(state.loadSnapshot(snapshot ?? new Uint8Array(), first.tierCounts())).toBe(true);
      expect(state.held).toBe(40);
      const now = new Date(T0 + DAY_MS);
      const upserts = [company(ids[3] ?? '', 149), company(`${prefix}05b`, 120), company(`${prefix}99`, 1)];
      const deletes = [
        { type: 'company' as const, id: ids[7] ?? '' },
        { type: 'company' as const, id: ids[0] ?? '' },
      ];
      const asked = [...upserts.map((r) => r.id), ...deletes.map((r) => r.id), ...state.companiesToLoad(now)];
      state.addCompanies(asked.flatMap((id) => rows.get(id) ?? []));
      const moved = state.seatCompanies({ upserts, deletes, now });
      state.addCompanies(moved.flatMap((id) => rows.get(id) ?? []));
      state.settleCompanies();
      state.applyContacts();
      const delta = state.takeChanges();
      for (const { id } of delta.deletes) rows.delete(id);
      for (const row of delta.rows) rows.set(row.id, JSON.parse(JSON.stringify(row)) as IncrementalRow);
      const after = state.companySnapshot();
      expect(hex(after)).toBe(hex(whole(rows).companySnapshot()));

      // And once more from that snapshot, nothing changed: the same bytes.
      const again = createIncremental(policy);
      expect(again.loadSnapshot(after ?? new Uint8Array(), state.tierCounts())).toBe(true);
      expect(again.held).toBe(40); // 40 − 2 deleted + 2 new
      expect(hex(again.companySnapshot())).toBe(hex(after));
      rows = rowsOf(whole(rows));
      expect(rows.size).toBe(40);
    });
  }

  test('a snapshot of another shape (ranking fields, tiers) or not a snapshot is refused', () => {
    const state = createIncremental(policy);
    state.fullClassify([company('a', 120), company('b', 5)], [], new Date(T0));
    const bytes = state.companySnapshot() ?? new Uint8Array();
    const other = createIncremental({ ...policy, company: { ...policy.company, capacity: {} } });
    expect(other.loadSnapshot(bytes, state.tierCounts())).toBe(false);
    expect(createIncremental(policy).loadSnapshot(new Uint8Array(40), state.tierCounts())).toBe(false);
    // Unaligned bytes (a Buffer from a pool) are copied, not refused.
    const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
    unaligned.set(bytes);
    expect(createIncremental(policy).loadSnapshot(unaligned, state.tierCounts())).toBe(true);
  });
});
