/** The admin UI's pure parts: draft paths and problem anchors, value reading, capacity wording, the movement matrix. */
import { describe, expect, test } from 'vitest';
import { capacityView } from '../../ui/src/lib/capacity.ts';
import { formPaths } from '../../ui/src/lib/form-paths.ts';
import { anchorOf, getAt, type Json, moveItem, renameKey, setAt } from '../../ui/src/lib/json.ts';
import { buildMatrix, firstCell } from '../../ui/src/lib/matrix.ts';
import { formatList, formatScalar, readList, readNumber, readScalar } from '../../ui/src/lib/values.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { join } from 'node:path';

const policy = readJson(join(repoRoot, 'policies', 'default.json')) as Json;

describe('draft paths', () => {
  test('setAt copies along the path, removes with undefined, and creates what is missing', () => {
    const changed = setAt(policy, ['company', 'rules', 0, 'when', 'gte'], 20000);
    expect(getAt(changed, ['company', 'rules', 0, 'when', 'gte'])).toBe(20000);
    expect(getAt(policy, ['company', 'rules', 0, 'when', 'gte'])).toBe(100000);
    expect(getAt(changed, ['contact'])).toBe(getAt(policy, ['contact']));
    const removed = setAt(policy, ['company', 'rules', 1], undefined);
    expect((getAt(removed, ['company', 'rules']) as Json[]).length).toBe(2);
    expect(
      Object.keys(
        getAt(setAt(policy, ['company', 'hysteresis', 'minDaysInTier'], undefined), [
          'company',
          'hysteresis',
        ]) as object,
      ),
    ).toEqual(['demotionMargin']);
    expect(setAt(undefined, ['a', 0, 'b'], 1)).toEqual({ a: [{ b: 1 }] });
  });

  test('renameKey keeps the order of keys; moveItem stays inside the list', () => {
    const renamed = renameKey({ a: 1, b: 2, c: 3 }, [], 'b', 'x');
    expect(Object.keys(renamed as object)).toEqual(['a', 'x', 'c']);
    expect(moveItem({ l: [1, 2, 3] }, ['l'], 0, 1)).toEqual({ l: [2, 1, 3] });
    expect(moveItem({ l: [1, 2, 3] }, ['l'], 2, 1)).toEqual({ l: [1, 2, 3] });
  });

  test('every problem is shown at its field, or at the nearest group the form shows', () => {
    const known = formPaths(policy);
    expect(known.has('company.rules[0].when.gte')).toBe(true);
    expect(known.has('company.capacity.high_touch.max.csms')).toBe(true);
    expect(known.has('contact.caps[0].when.eq')).toBe(true);
    expect(anchorOf('company.rules[0].when.gte', known)).toBe('company.rules[0].when.gte');
    expect(anchorOf('company.rules[1].when.any[1].gtee', known)).toBe('company.rules[1].when.any[1]');
    const typo = formPaths(setAt(policy, ['company', 'rules', 1, 'when', 'any', 1], { field: 'employees', gtee: 1 }));
    expect(anchorOf('company.rules[1].when.any[1].gtee', typo)).toBe('company.rules[1].when.any[1].gtee');
    expect(anchorOf('company.floors[0].when.in[3]', known)).toBe('company.floors[0].when.in');
    expect(anchorOf('company.capacity.high_touch.rankBy[0]', known)).toBe('company.capacity.high_touch.rankBy[0]');
    expect(anchorOf('company.unknownKey', known)).toBe('company');
    expect(anchorOf('version', known)).toBe('(policy)');
    expect(anchorOf('manualEdits', known)).toBe('manualEdits');
    // A tier that is not an identifier is written in brackets, as the server writes it.
    const odd = formPaths(setAt(policy, ['company', 'capacity'], { 'high-touch': { max: 1, rankBy: [] } }));
    expect(odd.has('company.capacity["high-touch"].max')).toBe(true);
  });
});

describe('values typed into the form', () => {
  test('numbers read as numbers, anything else stays as typed for the server to name', () => {
    expect(readNumber('20000')).toBe(20000);
    expect(readNumber(' 100,000 ')).toBe(100000);
    expect(readNumber('0.1')).toBe(0.1);
    expect(readNumber('abc')).toBe('abc');
    expect(readNumber('')).toBe('');
  });

  test('scalars and lists: numbers and booleans as such, quotes keep text', () => {
    expect(readScalar('true')).toBe(true);
    expect(readScalar('42')).toBe(42);
    expect(readScalar('"42"')).toBe('42');
    expect(readScalar('premier')).toBe('premier');
    expect(formatScalar('42')).toBe('"42"');
    expect(formatScalar('premier')).toBe('premier');
    expect(readList('premier, gold, 3')).toEqual(['premier', 'gold', 3]);
    expect(formatList(['premier', 3, true])).toBe('premier, 3, true');
  });
});

describe('capacity in words', () => {
  const report = {
    tier: 'high_touch',
    label: 'High-touch',
    seats: 100,
    demand: 112,
    pinned: 4,
    seated: 100,
    movedDown: 12,
    exceededByPinned: false,
  };

  test('waitlisted accounts and the CSMs that would cover them', () => {
    const view = capacityView(report, { csms: 4, accountsPerCsm: 25 });
    expect(view.waitlisted).toBe(12);
    expect(view.used).toBe(1);
    expect(view.shortfall).toBe(
      '12 eligible accounts wait for a High-touch seat — 1 more CSM at 25 accounts covers them',
    );
    expect(capacityView({ ...report, demand: 151 }, { csms: 4, accountsPerCsm: 25 }).shortfall).toBe(
      '51 eligible accounts wait for a High-touch seat — 3 more CSMs at 25 accounts cover them',
    );
    expect(capacityView({ ...report, demand: 101 }, 100).shortfall).toBe(
      '1 eligible account waits for a High-touch seat — 1 more seat would cover it',
    );
    expect(capacityView({ ...report, demand: 80, seated: 80 }, 100).shortfall).toBeUndefined();
  });

  test('pinned accounts beyond the seats are named', () => {
    const view = capacityView({ ...report, seats: 2, pinned: 3, seated: 3, demand: 5, exceededByPinned: true }, 2);
    expect(view.pinnedOver).toMatch(/^3 pinned accounts .* more than the 2 seats/);
    expect(view.used).toBe(1);
  });
});

describe('the movement matrix', () => {
  const tiers = [
    { value: 'low', label: 'Low' },
    { value: 'mid', label: 'Mid' },
    { value: 'high', label: 'High' },
  ];
  const movements = [
    { type: 'company' as const, from: 'low', to: 'low', count: 40, samples: [] },
    { type: 'company' as const, from: 'mid', to: 'high', count: 3, samples: [{ id: '7', reasons: ['r'] }] },
    { type: 'company' as const, from: 'high', to: 'mid', count: 1, samples: [] },
    { type: 'company' as const, from: '(none)', to: 'low', count: 5, samples: [] },
    { type: 'contact' as const, from: 'low', to: 'mid', count: 9, samples: [] },
  ];

  test('rows are current tiers (new records first), columns the candidate tiers, cells directed', () => {
    const matrix = buildMatrix('company', tiers, movements);
    expect(matrix.rows).toEqual(['(none)', 'low', 'mid', 'high']);
    expect(matrix.columns).toEqual(['low', 'mid', 'high']);
    expect(matrix.before).toEqual({ '(none)': 5, low: 40, mid: 3, high: 1 });
    expect(matrix.after).toEqual({ low: 45, mid: 1, high: 3 });
    expect(matrix.changed).toBe(9);
    expect(matrix.total).toBe(49);
    expect(matrix.cells.get('mid\u0000high')?.direction).toBe(1);
    expect(matrix.cells.get('high\u0000mid')?.direction).toBe(-1);
    expect(firstCell(matrix)?.from).toBe('(none)');
    expect(buildMatrix('contact', tiers, movements).changed).toBe(9);
  });
});
