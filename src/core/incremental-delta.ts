/**
 * What changed in an incremental state since the caller last took it (`IncrementalTiering.takeChanges`):
 * the keys of the rows written — records upserted, decided again, re-seated by capacity, given a
 * new hold or pending flag — and of those removed, so that a run saves only those rows (a run after
 * 100 changes saves about 100 rows, not the whole installation). After a full classification every
 * row is new (`all`); after `load` nothing is, the rows being what was saved.
 *
 * Every place a run changes an entry marks its key here: a row not marked is the row last taken.
 * The property test (test/core/incremental.property.test.ts) keeps a copy of the saved rows,
 * applies each take to it, and checks that a state loaded from that copy is the live one.
 */
import { keyOf, refOf } from './incremental-rows.ts';
import type { IncrementalRow } from './incremental-rows.ts';
import type { RecordType } from './records.ts';

/** The rows to save since the last take. */
export interface IncrementalDelta {
  /** Every row is new: replace the saved state with `rows` (after a full classification). */
  readonly all: boolean;
  /** The rows written since the last take (with `all`, every row). */
  readonly rows: readonly IncrementalRow[];
  /** The records removed since the last take (none with `all`). */
  readonly deletes: readonly { readonly type: RecordType; readonly id: string }[];
}

export class DeltaTracker {
  private written = new Set<string>();
  private removed = new Set<string>();
  private everything = false;

  /** Nothing changed since (after `load`), or everything did (after a full classification). */
  reset(everything: boolean): void {
    this.written = new Set();
    this.removed = new Set();
    this.everything = everything;
  }

  write(type: RecordType, id: string): void {
    const key = keyOf(type, id);
    this.removed.delete(key);
    this.written.add(key);
  }

  remove(type: RecordType, id: string): void {
    const key = keyOf(type, id);
    this.written.delete(key);
    this.removed.add(key);
  }

  /** The delta, with the current row of each key written (`rowFor`), and a fresh start. */
  take(
    all: () => Iterable<IncrementalRow>,
    rowFor: (type: RecordType, id: string) => IncrementalRow | undefined,
  ): IncrementalDelta {
    let delta: IncrementalDelta;
    if (this.everything) {
      delta = { all: true, rows: [...all()], deletes: [] };
    } else {
      const rows: IncrementalRow[] = [];
      const deletes: { type: RecordType; id: string }[] = [];
      for (const key of this.written) {
        const { type, id } = refOf(key);
        const row = rowFor(type, id);
        if (row === undefined) deletes.push({ type, id });
        else rows.push(row);
      }
      for (const key of this.removed) deletes.push(refOf(key));
      delta = { all: false, rows, deletes };
    }
    this.reset(false);
    return delta;
  }
}
