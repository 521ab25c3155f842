/** The CLI's string-free id set: growth, repeats, and ids whose hashes collide. */
import { describe, expect, test } from 'vitest';
import { IdSet } from '../../src/cli/id-set.ts';

describe('IdSet', () => {
  test('finds every repeat among many ids, across growth', () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => `id-${(i * 7919) % 100_003}`);
    const set = new IdSet((index) => ids[index] ?? '');
    ids.forEach((id, index) => {
      expect(set.add(id, index)).toBe(-1);
    });
    const again = new IdSet((index) => [...ids, 'id-0'][index] ?? '');
    ids.forEach((id, index) => again.add(id, index));
    expect(again.add('id-0', ids.length)).toBe(0);
    expect(again.add(ids[12_345] ?? '', ids.length)).toBe(12_345);
  });

  test('tells apart different ids with the same 32-bit hash', () => {
    const fnv = (text: string): number => {
      let hash = 0x811c9dc5;
      for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
      return hash >>> 0;
    };
    // Two ids whose FNV-1a hashes are equal (found by search): the set must compare the ids.
    const [a, b] = ['id-149599', 'id-312382'];
    expect(fnv(a)).toBe(fnv(b));
    const ids = [a, b, b];
    const set = new IdSet((index) => ids[index] ?? '');
    expect(set.add(a, 0)).toBe(-1);
    expect(set.add(b, 1)).toBe(-1);
    expect(set.add(b, 2)).toBe(1);
  });
});
