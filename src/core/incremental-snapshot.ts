/**
 * Every company's place in an incremental state in one compact binary form (a "company snapshot"),
 * so that a worker that holds nothing can load an installation's companies without parsing a JSON
 * row per company: what capacity seating (step 6), the holds, the pending flags, the tier counts
 * and contact inheritance read of a company — its tier, its tier after steps 1–5, what pins it,
 * the previous tier its ranking key was decided with, since when it is in its tier, when its hold
 * can end, whether it is pending, and its ranking keys. The record, reasons and next-tier hint are
 * not in it: they stay in the company's row, loaded when a run touches the company
 * (incremental-held.ts).
 *
 * Layout (little-endian; sections aligned to 8 bytes): a header of eight u32 — magic, format, the
 * number of companies `n`, of ranking fields `k`, of tiers, the byte length of the ids, whether
 * every id is ASCII (then an id's end is a byte offset too), and a spare one — then
 * `sinceMs`, `holdUntil` (NaN: none) and `k` columns of ranking keys (NaN: not a number) as f64,
 * the end of each id in the id text as u32, then `tier`, `stepTier`, `overrideTier`, `floorTier`,
 * `previousRank` (−1: none) as i8 and a flags byte (bit 0: pending), then the ids as UTF-8, sorted
 * in JavaScript string order so that a company is found by binary search without building a map.
 * Decoding makes typed-array views over the bytes and one string of the ids: its cost does not
 * grow with what a company holds. Encoding a state loaded from a snapshot copies the unchanged
 * companies' columns and id bytes a run of rows at a time. A snapshot is valid for the policy that
 * wrote it, like the rows.
 */
import type { CompanyEntry } from './incremental-rows.ts';

const MAGIC = 0x52544353; // "RTCS"
const FORMAT = 1;
const HEADER_BYTES = 32;

/** What a snapshot holds of one company. */
export interface CompanyPlace {
  readonly id: string;
  readonly tier: number;
  readonly stepTier: number;
  readonly overrideTier: number;
  readonly floorTier: number;
  readonly previousRank: number;
  readonly sinceMs: number;
  readonly holdUntil: number | undefined;
  readonly pending: boolean;
  readonly rankValues: readonly (number | undefined)[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

interface Layout {
  readonly since: number;
  readonly hold: number;
  readonly keys: number;
  readonly ends: number;
  readonly small: number;
  readonly ids: number;
  readonly total: number;
}

function layout(n: number, k: number, idBytes: number): Layout {
  const since = HEADER_BYTES;
  const hold = since + 8 * n;
  const keys = hold + 8 * n;
  const ends = keys + 8 * n * k;
  const small = ends + 4 * n;
  const ids = small + 6 * n;
  return { since, hold, keys, ends, small, ids, total: align8(ids + idBytes) };
}

/** Rows `from`–`to` (exclusive) of the table, unchanged; or one entry. */
type Piece = { readonly from: number; readonly to: number } | CompanyEntry;

/**
 * Encodes every company of a state: those of the snapshot it was loaded from (`table`) that are
 * not `hot` (cold: unchanged since), and its entries (`companies`: stubs, loaded and new ones; a
 * hot company of the table without an entry was deleted). Undefined when the state cannot be
 * written this way (a tier rank beyond a byte, an id that is not well-formed UTF-16, a big-endian
 * machine): the caller then keeps the rows alone. The cold companies are copied a run of rows at
 * a time, in the table's order; only the entries are sorted and merged in.
 */
export function encodeCompanies(
  table: CompanyTable | undefined,
  hot: Uint8Array,
  companies: ReadonlyMap<string, CompanyEntry>,
  rankFields: number,
  tiers: number,
): Uint8Array | undefined {
  if (!LITTLE_ENDIAN || tiers > 127) return undefined;
  const added: CompanyEntry[] = [];
  for (const entry of companies.values()) if (table === undefined || table.indexOf(entry.id) < 0) added.push(entry);
  added.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pieces: Piece[] = [];
  let j = 0;
  let from = 0;
  const size = table?.size ?? 0;
  const cut = (to: number): void => {
    if (to > from) pieces.push({ from, to });
  };
  for (let i = 0; i < size && table !== undefined; i++) {
    const before = j < added.length && (added[j] as CompanyEntry).id < table.id(i);
    if (!before && hot[i] === 0) continue;
    cut(i);
    from = i;
    const id = table.id(i);
    while (j < added.length && (added[j] as CompanyEntry).id < id) pieces.push(added[j++] as CompanyEntry);
    if (hot[i] === 1) {
      const entry = companies.get(id);
      if (entry !== undefined) pieces.push(entry);
      from = i + 1;
    }
  }
  cut(size);
  while (j < added.length) pieces.push(added[j++] as CompanyEntry);

  // The ids: copied as bytes from an ASCII table, else as text.
  const raw = table?.ascii === true;
  const texts: string[] = [];
  let n = 0;
  let textLength = 0;
  for (const piece of pieces) {
    if ('from' in piece) {
      n += piece.to - piece.from;
      const start = (table as CompanyTable).start(piece.from);
      const end = (table as CompanyTable).start(piece.to);
      textLength += end - start;
      if (!raw) texts.push((table as CompanyTable).idText(start, end));
    } else {
      n++;
      textLength += piece.id.length;
      texts.push(piece.id);
    }
  }
  const encoder = new TextEncoder();
  const entryText = texts.join('');
  if (!entryText.isWellFormed()) return undefined;
  const entryBytes = encoder.encode(entryText);
  const idBytes = raw ? textLength - entryText.length + entryBytes.length : entryBytes.length;
  const ascii = entryBytes.length === entryText.length;
  const at = layout(n, rankFields, idBytes);
  const buffer = new ArrayBuffer(at.total);
  new Uint32Array(buffer, 0, 8).set([MAGIC, FORMAT, n, rankFields, tiers, idBytes, ascii ? 1 : 0, 0]);
  const since = new Float64Array(buffer, at.since, n);
  const hold = new Float64Array(buffer, at.hold, n);
  const keys = new Float64Array(buffer, at.keys, n * rankFields);
  const ends = new Uint32Array(buffer, at.ends, n);
  const small = new Int8Array(buffer, at.small, 6 * n);
  const ids = new Uint8Array(buffer, at.ids, idBytes);
  let row = 0;
  let textAt = 0; // UTF-16 units of the ids so far
  let byteAt = 0; // bytes of `ids` written so far (raw copies)
  let entryByteAt = 0; // where the next entry's bytes start in `entryBytes` (raw)
  for (const piece of pieces) {
    if ('from' in piece) {
      const t = table as CompanyTable;
      const count = piece.to - piece.from;
      since.set(t.sinceMs.subarray(piece.from, piece.to), row);
      hold.set(t.holdUntil.subarray(piece.from, piece.to), row);
      for (let f = 0; f < rankFields; f++) {
        keys.set(t.keys.subarray(f * t.size + piece.from, f * t.size + piece.to), f * n + row);
      }
      const columns = [t.tier, t.stepTier, t.overrideTier, t.floorTier, t.previousRank, t.flags];
      columns.forEach((column, c) => {
        small.set(column.subarray(piece.from, piece.to), c * n + row);
      });
      const start = t.start(piece.from);
      const length = t.start(piece.to) - start;
      t.copyEnds(piece.from, piece.to, ends, row, textAt - start);
      if (raw) {
        ids.set(t.rawIds(start, start + length), byteAt);
        byteAt += length;
      }
      textAt += length;
      row += count;
      continue;
    }
    since[row] = piece.sinceMs;
    hold[row] = piece.holdUntil ?? Number.NaN;
    for (let f = 0; f < rankFields; f++) keys[f * n + row] = piece.seat.rankValues[f] ?? Number.NaN;
    small[row] = piece.tier;
    small[n + row] = piece.stepTier;
    small[2 * n + row] = piece.overrideTier;
    small[3 * n + row] = piece.floorTier;
    small[4 * n + row] = piece.seat.previousRank;
    small[5 * n + row] = piece.pending ? 1 : 0;
    textAt += piece.id.length;
    ends[row] = textAt;
    if (raw) {
      const length = encoder.encode(piece.id).length;
      ids.set(entryBytes.subarray(entryByteAt, entryByteAt + length), byteAt);
      entryByteAt += length;
      byteAt += length;
    }
    row++;
  }
  if (!raw) ids.set(entryBytes);
  return new Uint8Array(buffer);
}

/** A decoded snapshot: typed-array columns by company index (ids in sorted order). */
export class CompanyTable {
  readonly size: number;
  readonly rankFields: number;
  readonly tier: Int8Array;
  readonly stepTier: Int8Array;
  readonly overrideTier: Int8Array;
  readonly floorTier: Int8Array;
  readonly previousRank: Int8Array;
  readonly flags: Int8Array;
  readonly sinceMs: Float64Array;
  readonly holdUntil: Float64Array;
  /** `rankFields` columns of `size`. */
  readonly keys: Float64Array;
  /** Every id is ASCII: an id's end in the text is its end in the bytes. */
  readonly ascii: boolean;
  private readonly ends: Uint32Array;
  private readonly text: string;
  private readonly idBytes: Uint8Array;

  private constructor(bytes: Uint8Array, n: number, k: number, idBytes: number, ascii: boolean) {
    const at = layout(n, k, idBytes);
    const { buffer, byteOffset: o } = bytes;
    this.size = n;
    this.rankFields = k;
    this.sinceMs = new Float64Array(buffer, o + at.since, n);
    this.holdUntil = new Float64Array(buffer, o + at.hold, n);
    this.keys = new Float64Array(buffer, o + at.keys, n * k);
    this.ends = new Uint32Array(buffer, o + at.ends, n);
    this.tier = new Int8Array(buffer, o + at.small, n);
    this.stepTier = new Int8Array(buffer, o + at.small + n, n);
    this.overrideTier = new Int8Array(buffer, o + at.small + 2 * n, n);
    this.floorTier = new Int8Array(buffer, o + at.small + 3 * n, n);
    this.previousRank = new Int8Array(buffer, o + at.small + 4 * n, n);
    this.flags = new Int8Array(buffer, o + at.small + 5 * n, n);
    this.idBytes = new Uint8Array(buffer, o + at.ids, idBytes);
    this.text = new TextDecoder().decode(this.idBytes);
    this.ascii = ascii;
  }

  /**
   * The snapshot in `bytes`, or undefined when they are not one this code wrote for a policy of
   * `rankFields` ranking fields and `tiers` tiers (the caller loads the rows instead).
   */
  static decode(bytes: Uint8Array, rankFields: number, tiers: number): CompanyTable | undefined {
    if (!LITTLE_ENDIAN || bytes.byteLength < HEADER_BYTES) return undefined;
    // Typed-array views need aligned offsets: copy bytes that do not start on 8.
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    const [magic, format, n, k, t, idBytes, ascii] = new Uint32Array(aligned.buffer, aligned.byteOffset, 8);
    if (magic !== MAGIC || format !== FORMAT || k !== rankFields || t !== tiers) return undefined;
    if (n === undefined || idBytes === undefined || layout(n, k, idBytes).total > aligned.byteLength) return undefined;
    return new CompanyTable(aligned, n, k, idBytes, ascii === 1);
  }

  id(i: number): string {
    return this.text.slice(this.start(i), this.ends[i] ?? 0);
  }

  /** Where the id of company `i` starts in the id text (`start(size)`: the text's length). */
  start(i: number): number {
    return i === 0 ? 0 : (this.ends[i - 1] ?? 0);
  }

  /** Copies the ends of the ids `from`–`to` into `into` at `at`, each moved by `shift`. */
  copyEnds(from: number, to: number, into: Uint32Array, at: number, shift: number): void {
    into.set(this.ends.subarray(from, to), at);
    if (shift !== 0) for (let i = at; i < at + to - from; i++) into[i] = (into[i] ?? 0) + shift;
  }

  /** The id text from `start` to `end`. */
  idText(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  /** The id bytes from `start` to `end` (an ASCII table's: text offsets are byte offsets). */
  rawIds(start: number, end: number): Uint8Array {
    return this.idBytes.subarray(start, end);
  }

  /** The index of the company with this id, or −1 (binary search over the sorted ids). */
  indexOf(id: string): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.id(mid);
      if (at === id) return mid;
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  pending(i: number): boolean {
    return ((this.flags[i] ?? 0) & 1) === 1;
  }

  /** The company at index `i` as a place. */
  place(i: number): CompanyPlace {
    const hold = this.holdUntil[i] ?? Number.NaN;
    const rankValues: (number | undefined)[] = [];
    for (let f = 0; f < this.rankFields; f++) {
      const key = this.keys[f * this.size + i] ?? Number.NaN;
      rankValues.push(Number.isNaN(key) ? undefined : key);
    }
    return {
      id: this.id(i),
      tier: this.tier[i] ?? -1,
      stepTier: this.stepTier[i] ?? -1,
      overrideTier: this.overrideTier[i] ?? -1,
      floorTier: this.floorTier[i] ?? -1,
      previousRank: this.previousRank[i] ?? -1,
      sinceMs: this.sinceMs[i] ?? -Infinity,
      holdUntil: Number.isNaN(hold) ? undefined : hold,
      pending: this.pending(i),
      rankValues,
    };
  }
}
