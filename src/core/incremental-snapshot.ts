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

/** Rows `from`–`to` (exclusive) of the table, copied whole; or one company the table does not have. */
type Piece = { readonly from: number; readonly to: number } | CompanyEntry;

/** Writes an entry's place at `row` of columns of `n` rows. */
function writeEntry(entry: CompanyEntry, row: number, n: number, columns: Columns): void {
  const { since, hold, keys, small, rankFields } = columns;
  since[row] = entry.sinceMs;
  hold[row] = entry.holdUntil ?? Number.NaN;
  for (let f = 0; f < rankFields; f++) keys[f * n + row] = entry.seat.rankValues[f] ?? Number.NaN;
  small[row] = entry.tier;
  small[n + row] = entry.stepTier;
  small[2 * n + row] = entry.overrideTier;
  small[3 * n + row] = entry.floorTier;
  small[4 * n + row] = entry.seat.previousRank;
  small[5 * n + row] = entry.pending ? 1 : 0;
}

interface Columns {
  readonly since: Float64Array;
  readonly hold: Float64Array;
  readonly keys: Float64Array;
  readonly small: Int8Array;
  readonly rankFields: number;
}

/**
 * Encodes every company of a state: those of the snapshot it was loaded from (`table`) — a hot
 * one with its entry's place, a hot one without an entry was deleted — and the entries the table
 * does not have (`companies`: stubs, loaded and new ones). Undefined when the state cannot be
 * written this way (a tier rank beyond a byte, an id that is not well-formed UTF-16, a big-endian
 * machine): the caller then keeps the rows alone. The table's columns and id bytes are copied in
 * runs cut only where a company was deleted or a new one goes in; the hot companies' places are
 * then written over their rows; only the new companies are sorted and merged in.
 */
export function encodeCompanies(
  table: CompanyTable | undefined,
  hot: Uint8Array,
  companies: ReadonlyMap<string, CompanyEntry>,
  rankFields: number,
  tiers: number,
  copyBytes = true,
): Uint8Array | undefined {
  if (!LITTLE_ENDIAN || tiers > 127) return undefined;
  const size = table?.size ?? 0;
  const hotRows: number[] = [];
  for (let i = 0; i < size; i++) if (hot[i] === 1) hotRows.push(i);
  const added: CompanyEntry[] = [];
  for (const entry of companies.values()) if (table === undefined || table.indexOf(entry.id) < 0) added.push(entry);
  added.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // The table in runs, cut where a company goes (hot, no entry) or a new one comes in before it.
  const pieces: Piece[] = [];
  let j = 0;
  let from = 0;
  const cut = (to: number): void => {
    if (to > from) pieces.push({ from, to });
  };
  const mergeBefore = (id: string): void => {
    while (j < added.length && (added[j] as CompanyEntry).id < id) pieces.push(added[j++] as CompanyEntry);
  };
  if (table !== undefined) {
    let next = 0; // the next hot row
    for (let i = 0; i < size; i++) {
      const isHot = hotRows[next] === i;
      if (isHot) next++;
      const gone = isHot && !companies.has(table.id(i));
      if (!gone && (j >= added.length || (added[j] as CompanyEntry).id > table.id(i))) continue;
      cut(i);
      from = gone ? i + 1 : i;
      mergeBefore(table.id(i));
    }
  }
  cut(size);
  while (j < added.length) pieces.push(added[j++] as CompanyEntry);

  // The ids: a table's as bytes when it is ASCII (text offsets are byte offsets), else as text.
  const raw = copyBytes && table?.ascii === true;
  const texts: string[] = [];
  let n = 0;
  let tableBytes = 0;
  for (const piece of pieces) {
    if ('from' in piece) {
      n += piece.to - piece.from;
      const t = table as CompanyTable;
      if (raw) tableBytes += t.start(piece.to) - t.start(piece.from);
      else texts.push(t.idText(t.start(piece.from), t.start(piece.to)));
    } else {
      n++;
      texts.push(piece.id);
    }
  }
  const text = texts.join('');
  if (!text.isWellFormed()) return undefined;
  const textBytes = new TextEncoder().encode(text);
  const textAscii = textBytes.length === text.length;
  // Copying the table's bytes run by run needs the new ids' bytes one by one: ASCII ones only.
  if (raw && !textAscii) return encodeCompanies(table, hot, companies, rankFields, tiers, false);
  // (The ids are then all text: whether they are ASCII is whether the text is.)
  const idBytes = tableBytes + textBytes.length;
  const at = layout(n, rankFields, idBytes);
  const buffer = new ArrayBuffer(at.total);
  new Uint32Array(buffer, 0, 8).set([MAGIC, FORMAT, n, rankFields, tiers, idBytes, textAscii ? 1 : 0, 0]);
  const columns: Columns = {
    since: new Float64Array(buffer, at.since, n),
    hold: new Float64Array(buffer, at.hold, n),
    keys: new Float64Array(buffer, at.keys, n * rankFields),
    small: new Int8Array(buffer, at.small, 6 * n),
    rankFields,
  };
  const { since, hold, keys, small } = columns;
  const ends = new Uint32Array(buffer, at.ends, n);
  const ids = new Uint8Array(buffer, at.ids, idBytes);
  let row = 0;
  let textAt = 0; // UTF-16 units of the ids so far
  let entryAt = 0; // of `text`, for raw copies: where the next new company's id starts
  let next = 0; // the next hot row
  for (const piece of pieces) {
    if (!('from' in piece)) {
      writeEntry(piece, row, n, columns);
      if (raw) ids.set(textBytes.subarray(entryAt, entryAt + piece.id.length), textAt);
      entryAt += piece.id.length;
      textAt += piece.id.length;
      ends[row++] = textAt;
      continue;
    }
    const t = table as CompanyTable;
    const { from: a, to: b } = piece;
    since.set(t.sinceMs.subarray(a, b), row);
    hold.set(t.holdUntil.subarray(a, b), row);
    for (let f = 0; f < rankFields; f++) keys.set(t.keys.subarray(f * size + a, f * size + b), f * n + row);
    [t.tier, t.stepTier, t.overrideTier, t.floorTier, t.previousRank, t.flags].forEach((column, c) => {
      small.set(column.subarray(a, b), c * n + row);
    });
    const start = t.start(a);
    const length = t.start(b) - start;
    t.copyEnds(a, b, ends, row, textAt - start);
    if (raw) ids.set(t.rawIds(start, start + length), textAt);
    // The hot companies of the run: their entries' places over the table's.
    while (next < hotRows.length && (hotRows[next] as number) < b) {
      const i = hotRows[next++] as number;
      const entry = i >= a ? companies.get(t.id(i)) : undefined;
      if (entry !== undefined) writeEntry(entry, row + i - a, n, columns);
    }
    textAt += length;
    row += b - a;
  }
  if (!raw) ids.set(textBytes);
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
