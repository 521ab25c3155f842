/**
 * What was last written for every record of an installation, as a sync needs it to diff its
 * decisions and to hand the previous tiers to the tiering run: one pass over the stored tiers,
 * kept compact (a map from id to a slot, the rest in typed arrays), since there is one entry per
 * record: half a million records would otherwise be half a million objects with their strings.
 *
 * An incremental run reads only what it needs (`LastWrittenByIds`): the stored tiers of the records
 * of each page it reads, and of the records it decided, by id.
 */
import type { PreviousTier, RecordType } from '../core/index.ts';
import type { Store, StoredTier } from '../store/store.ts';
import { reasonText, textHash, tierValue, withoutRank } from './tier-value.ts';

/** What was last written for one record. */
export interface LastWritten {
  readonly tier: string;
  /** `textHash` of the tier value (tier, reason and hint) written. */
  readonly hash: number;
  /** The same without over-capacity ranks (`withoutRank`). */
  readonly ranklessHash: number;
  /** False while the write is not confirmed (recorded before writing; a crash leaves it so). */
  readonly written: boolean;
}

/** What the pull phase and the diff ask of what was last written. */
export interface LastWrittenLookup {
  /** Reads the entries of these records first, when the lookup reads on demand. */
  load?(type: RecordType, ids: readonly string[]): Promise<void>;
  get(type: RecordType, id: string): LastWritten | undefined;
  /** A record became another (as the store's `carryOver`). */
  carryOver(type: RecordType, fromId: string, toId: string): void;
}

/** The entry of one stored tier. */
export function lastWrittenOf(stored: StoredTier): LastWritten {
  const value = tierValue(stored.tier, reasonText(stored.reasons), stored.hint);
  return {
    tier: stored.tier,
    hash: textHash(value),
    ranklessHash: textHash(withoutRank(value)),
    written: stored.writtenAt !== null,
  };
}

/** What was last written for the records asked for, read from the store by id as they are asked. */
export class LastWrittenByIds implements LastWrittenLookup {
  private readonly entries = new Map<string, LastWritten | undefined>();
  private readonly store: Pick<Store, 'storedTiersOf'>;
  private readonly installationId: string;

  constructor(store: Pick<Store, 'storedTiersOf'>, installationId: string) {
    this.store = store;
    this.installationId = installationId;
  }

  async load(type: RecordType, ids: readonly string[]): Promise<void> {
    const missing = ids.filter((id) => !this.entries.has(`${type}\u0000${id}`));
    if (missing.length === 0) return;
    for (const id of missing) this.entries.set(`${type}\u0000${id}`, undefined);
    for (const stored of await this.store.storedTiersOf(this.installationId, type, missing)) {
      this.entries.set(`${type}\u0000${stored.id}`, lastWrittenOf(stored));
    }
  }

  get(type: RecordType, id: string): LastWritten | undefined {
    return this.entries.get(`${type}\u0000${id}`);
  }

  /** Both records are read again from the store (which carried the tier over) when next asked. */
  carryOver(type: RecordType, fromId: string, toId: string): void {
    this.entries.delete(`${type}\u0000${fromId}`);
    this.entries.delete(`${type}\u0000${toId}`);
  }
}

const INITIAL = 1 << 10;
/** `types` of a slot whose record was carried over to one that had its own tier. */
const REMOVED = 2;

export class LastWrittenTable implements LastWrittenLookup {
  private readonly slots: Record<RecordType, Map<string, number>> = { company: new Map(), contact: new Map() };
  /** Slot → type (0 company, 1 contact), for going through the table in order. */
  private types = new Uint8Array(INITIAL);
  private ids: string[] = [];
  private tiers = new Uint16Array(INITIAL);
  private since = new Float64Array(INITIAL);
  private hashes = new Float64Array(INITIAL);
  private rankless = new Float64Array(INITIAL);
  private written = new Uint8Array(INITIAL);
  private readonly tierNames: string[] = [];
  private readonly tierIndex = new Map<string, number>();

  /** Adds (or replaces) a record's stored tier. */
  add(stored: StoredTier): void {
    const map = this.slots[stored.type];
    let slot = map.get(stored.id);
    if (slot === undefined) {
      slot = this.ids.length;
      if (slot === this.types.length) this.grow();
      map.set(stored.id, slot);
      this.ids.push(stored.id);
    }
    let tier = this.tierIndex.get(stored.tier);
    if (tier === undefined) {
      tier = this.tierNames.length;
      this.tierNames.push(stored.tier);
      this.tierIndex.set(stored.tier, tier);
    }
    const value = tierValue(stored.tier, reasonText(stored.reasons), stored.hint);
    this.types[slot] = stored.type === 'company' ? 0 : 1;
    this.tiers[slot] = tier;
    this.since[slot] = stored.since;
    this.hashes[slot] = textHash(value);
    this.rankless[slot] = textHash(withoutRank(value));
    this.written[slot] = stored.writtenAt === null ? 0 : 1;
  }

  get(type: RecordType, id: string): LastWritten | undefined {
    const slot = this.slots[type].get(id);
    if (slot === undefined) return undefined;
    return {
      tier: this.tierNames[this.tiers[slot] ?? 0] ?? '',
      hash: this.hashes[slot] ?? 0,
      ranklessHash: this.rankless[slot] ?? 0,
      written: this.written[slot] === 1,
    };
  }

  /**
   * A record became another (as the store's `carryOver`): the successor takes its tier, unwritten,
   * when it has none of its own; the old record's entry is gone either way.
   */
  carryOver(type: RecordType, fromId: string, toId: string): void {
    const map = this.slots[type];
    const slot = map.get(fromId);
    if (slot === undefined || fromId === toId) return;
    map.delete(fromId);
    if (map.has(toId)) {
      this.types[slot] = REMOVED;
      return;
    }
    map.set(toId, slot);
    this.ids[slot] = toId;
    this.written[slot] = 0;
  }

  /** Every entry as a previous tier (the record's tier and since when it has had it). */
  *previous(): Iterable<PreviousTier> {
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (this.types[slot] === REMOVED) continue;
      const sinceMs = this.since[slot] ?? 0;
      yield {
        type: this.types[slot] === 0 ? 'company' : 'contact',
        id: this.ids[slot] ?? '',
        tier: this.tierNames[this.tiers[slot] ?? 0] ?? '',
        since: new Date(sinceMs).toISOString(),
        sinceMs,
      };
    }
  }

  clear(): void {
    this.slots.company.clear();
    this.slots.contact.clear();
    this.ids = [];
    this.types = new Uint8Array(INITIAL);
    this.tiers = new Uint16Array(INITIAL);
    this.since = new Float64Array(INITIAL);
    this.hashes = new Float64Array(INITIAL);
    this.rankless = new Float64Array(INITIAL);
    this.written = new Uint8Array(INITIAL);
  }

  private grow(): void {
    const size = this.types.length * 2;
    const grown = <T extends Uint8Array | Uint16Array | Float64Array>(array: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(array);
      return next;
    };
    this.types = grown(this.types, (n) => new Uint8Array(n));
    this.tiers = grown(this.tiers, (n) => new Uint16Array(n));
    this.since = grown(this.since, (n) => new Float64Array(n));
    this.hashes = grown(this.hashes, (n) => new Float64Array(n));
    this.rankless = grown(this.rankless, (n) => new Float64Array(n));
    this.written = grown(this.written, (n) => new Uint8Array(n));
  }
}
