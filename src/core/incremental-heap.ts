/**
 * A binary min-heap of hold expiries: when a record's `minDaysInTier` hold (spec §4.3a) can end.
 * Incremental runs pop what has expired by the run's `now`, so a record whose hold ends between
 * two runs is re-decided without anyone touching it. Entries are never updated in place: a record
 * whose expiry changes gets a new entry, and the old one is recognised as stale when popped.
 */
import { keyOf } from './incremental-rows.ts';
import type { Entry } from './incremental-rows.ts';

const DAY_MS = 86_400_000;

export interface Expiry {
  /** Epoch milliseconds from which the hold no longer applies. */
  readonly at: number;
  /** `type` + NUL + `id`. */
  readonly key: string;
}

export class ExpiryHeap {
  private readonly items: Expiry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: Expiry): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p === undefined || p.at <= item.at) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns every entry due at or before `nowMs`. */
  popDue(nowMs: number): Expiry[] {
    const due: Expiry[] = [];
    for (let top = this.items[0]; top !== undefined && top.at <= nowMs; top = this.items[0]) {
      due.push(top);
      this.popTop();
    }
    return due;
  }

  private popTop(): void {
    const items = this.items;
    const last = items.pop();
    if (last === undefined || items.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      let smallestAt = last.at;
      const l = items[left];
      if (l !== undefined && l.at < smallestAt) {
        smallest = left;
        smallestAt = l.at;
      }
      const r = items[right];
      if (r !== undefined && r.at < smallestAt) smallest = right;
      if (smallest === i) break;
      items[i] = items[smallest] as Expiry;
      i = smallest;
    }
    items[i] = last;
  }
}

/**
 * Notes when the record's `minDaysInTier` hold can end. `decideRecord` holds while
 * `now − since < minDays · 1 day`; with whole milliseconds that is `now < since + ⌈minDays · 1 day⌉`.
 * Every record still inside its window is noted, held or not: a run re-decides it then, at worst
 * for nothing. Clears the record's pending flag (it was just decided).
 */
export function scheduleHold(holds: ExpiryHeap, entry: Entry, minDaysInTier: number, nowMs: number): void {
  entry.pending = false;
  if (minDaysInTier > 0 && entry.tier >= 0 && Number.isFinite(entry.sinceMs)) {
    const at = entry.sinceMs + Math.ceil(minDaysInTier * DAY_MS);
    if (nowMs < at) {
      if (entry.holdUntil !== at) {
        entry.holdUntil = at;
        holds.push({ at, key: keyOf(entry.type, entry.id) });
      }
      return;
    }
  }
  entry.holdUntil = undefined;
}
