/** CRM values cleaned into canonical types; garbage becomes null, never an error. */
import { describe, expect, test } from 'vitest';
import { cleanBoolean, cleanNumber, cleanString, cleanTime } from '../../src/mapping/clean.ts';

describe('cleanNumber', () => {
  test.each([
    ['1,200.50', 1200.5],
    ['$3,000', 3000],
    [' 12 ', 12],
    ['€ 1,234,567', 1234567],
    ['-5', -5],
    ['(1,200)', -1200],
    ['.5', 0.5],
    ['1.5E3', 1500],
    [42, 42],
    ['3000 USD', 3000],
  ])('%j → %j', (input, expected) => {
    expect(cleanNumber(input)).toBe(expected);
  });

  test.each([
    ['n/a'],
    [''],
    ['12,34'],
    ['1,2345'],
    ['1.2.3'],
    [null],
    [undefined],
    [{}],
    [Infinity],
    ['1e999'],
    [true],
  ])('%j → null', (input) => {
    expect(cleanNumber(input)).toBeNull();
  });
});

describe('cleanBoolean', () => {
  test.each([
    ['true', true],
    ['TRUE', true],
    [' yes ', true],
    ['1', true],
    [1, true],
    ['false', false],
    ['No', false],
    ['0', false],
    [false, false],
  ])('%j → %j', (input, expected) => {
    expect(cleanBoolean(input)).toBe(expected);
  });

  test.each([['maybe'], [''], [2], [null], [[]]])('%j → null', (input) => {
    expect(cleanBoolean(input)).toBeNull();
  });
});

test('cleanString trims and drops blanks', () => {
  expect(cleanString('  Premier ')).toBe('Premier');
  expect(cleanString('   ')).toBeNull();
  expect(cleanString(7)).toBe('7');
  expect(cleanString({ a: 1 })).toBeNull();
});

test('cleanTime reads ISO times and millisecond counts', () => {
  expect(cleanTime('2026-03-01T00:00:00Z')).toBe(Date.UTC(2026, 2, 1));
  expect(cleanTime('1772323200000')).toBe(1772323200000);
  expect(cleanTime('soon')).toBeNull();
  expect(cleanTime('')).toBeNull();
});
