/**
 * A set of record ids that keeps no strings: open addressing over 32-bit hashes, with the ids
 * themselves fetched back (`idAt`) only when two hashes collide. A million contact ids cost a few
 * typed arrays instead of a million retained strings.
 */
import { U32List } from './u32-list.ts';

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class IdSet {
  /** Slot → item index + 1; 0 is empty. */
  private slots = new Int32Array(1 << 12);
  private readonly hashes = new U32List();
  private count = 0;
  private readonly idAt: (index: number) => string;

  constructor(idAt: (index: number) => string) {
    this.idAt = idAt;
  }

  /** Adds `id` as item `index` (items are added as 0, 1, 2, …); returns the earlier item with that id, or -1. */
  add(id: string, index: number): number {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const hash = fnv1a(id);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot] ?? 0;
      if (held === 0) {
        this.slots[slot] = index + 1;
        this.hashes.push(hash);
        this.count++;
        return -1;
      }
      if (this.hashes.at(held - 1) === hash && this.idAt(held - 1) === id) return held - 1;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    const mask = this.slots.length - 1;
    for (const held of old) {
      if (held === 0) continue;
      let slot = this.hashes.at(held - 1) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = held;
    }
  }
}
