/**
 * The per-record state of incremental runs, and its rows: plain JSON values, one per record, so
 * that any worker can load what the last run left and run the next one (the store persists them).
 *
 * A row holds the record as last given (its contacts are re-decided when a company's tier changes,
 * and a record is re-decided when its hold ends, without anyone sending it again), the tier,
 * reasons and next-tier hint (spec §8) of the last run — the tier is also the record's previous
 * tier for the next run, with `since` the time it entered that tier (spec §7) — when its
 * `minDaysInTier` hold can end, whether
 * its previous tier changed in the last run (then the next run decides it again: hysteresis and
 * incumbency read the previous tier), and, for companies, steps 1–5 and the ranking key that place
 * it in capacity (step 6).
 *
 * Rows are valid for the policy that wrote them: a changed policy needs a full classification.
 * Also here: new entries, the keys of entries, and the index of contacts by company.
 */
import type { CompiledPolicy } from './compile.ts';
import type { KnownPrevious } from './decide.ts';
import type { CompanyPlace } from './incremental-snapshot.ts';
import type { Seat, SeatedCompany } from './incremental-seating.ts';
import type { NextHint } from './next.ts';
import type { CanonicalRecord, PreviousTier, RecordType } from './records.ts';

export interface CompanySeatRow {
  /** The tier after steps 1–5 (before capacity). */
  readonly stepTier: string;
  readonly stepReasons: readonly string[];
  /** The valid override, which pins the company in its tier's capacity. */
  readonly overrideTier: string | null;
  /** The highest `minTier` among the floors that hold (pins it in capacity at and below that tier). */
  readonly floorTier: string | null;
  /** The previous tier its ranking key was decided with (incumbency, spec §4.6). */
  readonly rankedWithPrevious: string | null;
  /** The values of the capacities' `rankBy` fields that read as numbers, in the policy's order. */
  readonly rankKeys: readonly (number | null)[];
}

export interface IncrementalRow {
  readonly type: RecordType;
  readonly id: string;
  readonly record: CanonicalRecord;
  /** The last run's tier: the previous tier of the next run. */
  readonly tier: string;
  /** When the record entered `tier` (epoch ms); null when a given `since` could not be read. */
  readonly sinceMs: number | null;
  readonly reasons: readonly string[];
  /** The last run's next-tier hint (spec §8); absent when it had none. */
  readonly next?: NextHint;
  /** When its `minDaysInTier` hold can end (epoch ms): the run from then on decides it again. */
  readonly holdUntilMs: number | null;
  /** Its tier changed in the last run: the next run decides it again. */
  readonly pending: boolean;
  /** Companies only. */
  readonly seat?: CompanySeatRow;
}

/** The state of one record. `tier` is -1 until the record's first decision (or its given previous tier). */
export interface Entry {
  readonly type: RecordType;
  readonly id: string;
  record: CanonicalRecord;
  tier: number;
  sinceMs: number;
  reasons: readonly string[];
  next: NextHint | undefined;
  holdUntil: number | undefined;
  pending: boolean;
}

export interface CompanyEntry extends Entry, SeatedCompany {
  /**
   * False for a company placed from a company snapshot (incremental-snapshot.ts) whose row is not
   * loaded yet: its record, reasons and hint are not there (its tier, seat and hold are).
   */
  loaded: boolean;
  stepTier: number;
  stepReasons: readonly string[];
  overrideTier: number;
  floorTier: number;
  seat: Seat;
  final: number;
}

/** The key of a record in the state's sets: its type and id. */
export function keyOf(type: RecordType, id: string): string {
  return `${type}\u0000${id}`;
}

/** The inverse of keyOf (an id may contain anything, NUL included: the type never does). */
export function refOf(key: string): { readonly type: RecordType; readonly id: string } {
  const at = key.indexOf('\u0000');
  return { type: key.slice(0, at) as RecordType, id: key.slice(at + 1) };
}

function tierValue(policy: CompiledPolicy, rank: number): string | null {
  return rank < 0 ? null : (policy.tiers[rank]?.value ?? null);
}

/** A row's tier as a rank; `row` and `what` name it when it is not a tier of the policy. */
function tierRank(policy: CompiledPolicy, value: string | null, row: IncrementalRow, what = 'tier'): number {
  if (value === null) return -1;
  const rank = policy.rankOf.get(value);
  if (rank === undefined) {
    const where = `${row.type} ${row.id} ${what}`;
    throw new RangeError(`${where}: ${JSON.stringify(value)} is not a tier of this policy (classify in full)`);
  }
  return rank;
}

export function rowOf(policy: CompiledPolicy, entry: Entry | CompanyEntry): IncrementalRow {
  if ('loaded' in entry && !entry.loaded) throw new Error(`company ${entry.id}: its row is not loaded`);
  const row: IncrementalRow = {
    type: entry.type,
    id: entry.id,
    record: entry.record,
    tier: tierValue(policy, entry.tier) ?? '',
    sinceMs: Number.isFinite(entry.sinceMs) ? entry.sinceMs : null,
    reasons: entry.reasons,
    ...(entry.next === undefined ? {} : { next: entry.next }),
    holdUntilMs: entry.holdUntil ?? null,
    pending: entry.pending,
  };
  if (!('seat' in entry)) return row;
  return {
    ...row,
    seat: {
      stepTier: tierValue(policy, entry.stepTier) ?? '',
      stepReasons: entry.stepReasons,
      overrideTier: tierValue(policy, entry.overrideTier),
      floorTier: tierValue(policy, entry.floorTier),
      rankedWithPrevious: tierValue(policy, entry.seat.previousRank),
      rankKeys: entry.seat.rankValues.map((value) => value ?? null),
    },
  };
}

/**
 * One copy of what loaded rows repeat: rows parsed from JSON carry their own copy of every reason
 * list, hint and text field value, while most companies share a few ("No rule matched → …"). A
 * state loading 100,000 companies keeps one of each (lists and hints are never changed in place:
 * a run replaces them).
 */
export class Interner {
  private readonly texts = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();
  private readonly hints = new Map<string, NextHint>();

  text(value: string): string {
    if (value.length > 64) return value;
    const known = this.texts.get(value);
    if (known !== undefined) return known;
    this.texts.set(value, value);
    return value;
  }

  list(values: readonly string[]): readonly string[] {
    const key = values.length === 1 ? (values[0] ?? '') : values.join('\u0000');
    const known = this.lists.get(key);
    if (known !== undefined) return known;
    const list = values.map((value) => this.text(value));
    this.lists.set(key, list);
    return list;
  }

  hint(next: NextHint | undefined): NextHint | undefined {
    if (next === undefined) return undefined;
    const key = `${next.tier}\u0000${next.field}\u0000${next.op}\u0000${next.value}`;
    const known = this.hints.get(key);
    if (known !== undefined) return known;
    this.hints.set(key, next);
    return next;
  }

  /**
   * The record with its id given once and its text values shared. The parsed row's record is
   * changed in place — each text for an equal one: nothing a reader can tell.
   */
  record(record: CanonicalRecord, id: string): CanonicalRecord {
    const writable = record as { id: string; companyId?: unknown; fields: Record<string, unknown> };
    const { fields } = writable;
    for (const name in fields) {
      const value = fields[name];
      if (typeof value === 'string') fields[name] = this.text(value);
    }
    writable.id = id;
    if (typeof writable.companyId === 'string') writable.companyId = this.text(writable.companyId);
    return record;
  }
}

function entryOf(policy: CompiledPolicy, row: IncrementalRow, strings: Interner): Entry {
  return {
    type: row.type,
    id: row.id,
    record: strings.record(row.record, row.id),
    tier: tierRank(policy, row.tier, row),
    sinceMs: row.sinceMs ?? -Infinity,
    reasons: strings.list(row.reasons),
    next: strings.hint(row.next),
    holdUntil: row.holdUntilMs ?? undefined,
    pending: row.pending,
  };
}

export function contactEntryOf(policy: CompiledPolicy, row: IncrementalRow, strings: Interner): Entry {
  return entryOf(policy, row, strings);
}

export function companyEntryOf(policy: CompiledPolicy, row: IncrementalRow, strings: Interner): CompanyEntry {
  const seat = row.seat;
  if (seat === undefined) throw new RangeError(`company ${row.id}: the row has no seat`);
  const entry = entryOf(policy, row, strings);
  // The seat points back at its company: the company first, then its seat.
  const company = entry as CompanyEntry;
  company.loaded = true;
  company.stepTier = tierRank(policy, seat.stepTier, row, 'stepTier');
  // Most companies' reasons are their steps 1–5 reasons (no capacity sentence): one list for both.
  company.stepReasons = sameList(seat.stepReasons, entry.reasons) ? entry.reasons : strings.list(seat.stepReasons);
  company.overrideTier = tierRank(policy, seat.overrideTier, row, 'overrideTier');
  company.floorTier = tierRank(policy, seat.floorTier, row, 'floorTier');
  company.final = entry.tier;
  company.seat = {
    id: row.id,
    previousRank: tierRank(policy, seat.rankedWithPrevious, row, 'rankedWithPrevious'),
    rankValues: seat.rankKeys.map((value) => value ?? undefined),
    company,
  };
  return company;
}

/**
 * A company placed from a snapshot, its row not loaded: what seating, holds, pending flags and
 * inheritance read. `fillCompany` gives it the rest once a run needs it.
 */
export function stubCompany(place: CompanyPlace): CompanyEntry {
  const company = {
    type: 'company',
    id: place.id,
    record: { type: 'company', id: place.id, fields: {} },
    tier: place.tier,
    sinceMs: place.sinceMs,
    reasons: [],
    next: undefined,
    holdUntil: place.holdUntil,
    pending: place.pending,
    loaded: false,
    stepTier: place.stepTier,
    stepReasons: [],
    overrideTier: place.overrideTier,
    floorTier: place.floorTier,
    final: place.tier,
  } as Omit<CompanyEntry, 'seat'> as CompanyEntry;
  company.seat = { id: place.id, previousRank: place.previousRank, rankValues: place.rankValues, company };
  return company;
}

/** Gives a stub (`stubCompany`) its record, reasons and hint from its row; the rest is the state's. */
export function fillCompany(company: CompanyEntry, row: IncrementalRow, strings: Interner): void {
  const seat = row.seat;
  if (seat === undefined) throw new RangeError(`company ${row.id}: the row has no seat`);
  company.record = strings.record(row.record, row.id);
  company.reasons = strings.list(row.reasons);
  company.next = strings.hint(row.next);
  company.stepReasons = sameList(seat.stepReasons, company.reasons) ? company.reasons : strings.list(seat.stepReasons);
  company.loaded = true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** The previous tiers given to a full classification, by key (a retired tier is ignored, §7). */
export function givenPrevious(
  policy: CompiledPolicy,
  previous: Iterable<PreviousTier> | undefined,
): Map<string, KnownPrevious> {
  const given = new Map<string, KnownPrevious>();
  for (const entry of previous ?? []) {
    const rank = policy.rankOf.get(entry.tier);
    if (rank === undefined) continue;
    const sinceMs = entry.sinceMs ?? Date.parse(entry.since);
    given.set(keyOf(entry.type, entry.id), { rank, sinceMs: Number.isNaN(sinceMs) ? -Infinity : sinceMs });
  }
  return given;
}

/** A record not decided yet, with the previous tier given for it (a full classification's input), if any. */
export function newEntry(record: CanonicalRecord, previous: KnownPrevious | undefined): Entry {
  return {
    type: record.type,
    id: record.id,
    record,
    tier: previous?.rank ?? -1,
    sinceMs: previous?.sinceMs ?? -Infinity,
    reasons: [],
    next: undefined,
    holdUntil: undefined,
    pending: false,
  };
}

/** A company not decided yet: the run decides it and places it right away. */
export function newCompany(record: CanonicalRecord, previous: KnownPrevious | undefined): CompanyEntry {
  const company = newEntry(record, previous) as CompanyEntry;
  Object.assign(company, { loaded: true, stepTier: -1, stepReasons: [], overrideTier: -1, floorTier: -1, final: -1 });
  company.seat = { id: record.id, previousRank: -1, rankValues: [], company };
  return company;
}

/** Company id → the ids of the contacts that name it (companies that do not exist yet included). */
export class ContactsByCompany {
  private readonly ids = new Map<string, Set<string>>();

  of(companyId: string): Iterable<string> {
    return this.ids.get(companyId) ?? [];
  }

  add(contact: Entry): void {
    const { companyId } = contact.record;
    if (typeof companyId !== 'string') return;
    let ids = this.ids.get(companyId);
    if (ids === undefined) {
      ids = new Set();
      this.ids.set(companyId, ids);
    }
    ids.add(contact.id);
  }

  remove(contact: Entry): void {
    const { companyId } = contact.record;
    if (typeof companyId !== 'string') return;
    const ids = this.ids.get(companyId);
    ids?.delete(contact.id);
    if (ids?.size === 0) this.ids.delete(companyId);
  }
}
