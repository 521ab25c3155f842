/**
 * Phase 1, pull: the CRM's changes into the mirror. Companies and contacts (without their deal
 * fields: deal totals are worked out from the mirrored deals when classifying), then deals (a deal
 * without a company is dropped from the mirror), then removals (a converted lead's history goes to
 * its contact, a merged record's to the winner), then — on a full run, which saw every record — the
 * mirrored records and deals the CRM no longer has are dropped.
 *
 * Reads start at the stored cursors less an overlap (a full run and a run over the records a
 * change event named read everything / exactly those); the cursors move only after the writes
 * (`advanceCursors`), so a crash re-reads rather than skips.
 *
 * Each record goes in with what people know it by (the mapping's `display` section: name, domain,
 * email), which the admin API finds it by (src/store/sql/find.ts).
 *
 * While reading, each record's tier value in the CRM is checked against what was last written
 * (`crmShowsOther`): the records showing something else are kept in `CrmValues` for the diff.
 *
 * What changed is reported for incremental runs (`Changed`): the companies and contacts read or
 * removed (a carried-over record's successor too), and the companies whose deal totals may have
 * changed — a deal read names its company now and, when it moved, the one it was mirrored under.
 */
import type { CanonicalRecord, RecordType } from '../../core/index.ts';
import { DEAL_FIELDS, mapCompany, mapContact, mapDeal, propertiesToRead } from '../../mapping/mapping.ts';
import type { Mapping } from '../../mapping/mapping.ts';
import type { DisplayedRecord, MirrorDeal, Store } from '../../store/store.ts';
import type { Connector, TierProperties } from '../connector.ts';
import type { LastWrittenLookup } from '../last-written.ts';
import { tierValue } from '../tier-value.ts';
import type { ChangedRecords, SyncProgress } from '../types.ts';
import { crmShowsOther } from './diff.ts';

export const CURSOR = {
  companies: 'companies.modified',
  contacts: 'contacts.modified',
  deals: 'deals.modified',
} as const;
export const DEFAULT_OVERLAP_MS = 5 * 60_000;

export interface PullOptions {
  readonly store: Store;
  readonly connector: Connector;
  readonly installationId: string;
  /** The mapping with its discovered properties filled in. */
  readonly mapping: Mapping;
  readonly properties: TierProperties;
  readonly full: boolean;
  readonly only: ChangedRecords | undefined;
  readonly overlapMs?: number | undefined;
  /** When the run started: the time the mirrored records are stamped with. */
  readonly startedAt: number;
  readonly onProgress?: ((progress: SyncProgress) => void) | undefined;
  /** Called after every page: throws to stop the run. */
  readonly checkStop: () => void;
}

export interface Pulled {
  readonly pulled: { companies: number; contacts: number; deals: number };
  /** Records removed from the mirror (deleted, merged, converted; unseen by a full run). */
  readonly deleted: number;
  readonly crmValues: CrmValues;
  /** What changed, for an incremental run (not kept on a full run, which decides everything). */
  readonly changed: Changed;
}

/** Ids of records read or removed, and of companies whose deals changed. */
export interface Changed {
  readonly company: Set<string>;
  readonly contact: Set<string>;
  readonly dealCompanies: Set<string>;
}

/** A record whose CRM value is not what was last written: that value, and the record as mirrored. */
export interface CrmValue {
  readonly value: string;
  readonly record: DisplayedRecord;
}

/**
 * The records read this run whose tier value in the CRM is not what was last written, with that
 * value (and the record as mirrored, for the hand-edit rule: ./hand-edits.ts). Keyed only when
 * there is something to keep (not per record read), and asked cheaply when empty (the usual case):
 * the diff asks for every decision.
 */
export class CrmValues {
  private readonly values = new Map<string, CrmValue>();

  get size(): number {
    return this.values.size;
  }

  /** Keeps the value when it is not what was last written, forgets an earlier one otherwise. */
  note(record: DisplayedRecord, value: string, differs: boolean): void {
    if (differs) this.values.set(`${record.type}\u0000${record.id}`, { value, record });
    else if (this.values.size > 0) this.values.delete(`${record.type}\u0000${record.id}`);
  }

  get(type: RecordType, id: string): string | undefined {
    return this.values.size === 0 ? undefined : this.values.get(`${type}\u0000${id}`)?.value;
  }

  /** Every record kept, with its value. */
  entries(): IterableIterator<CrmValue> {
    return this.values.values();
  }

  /** The records kept. */
  *refs(): Iterable<{ readonly type: RecordType; readonly id: string }> {
    for (const key of this.values.keys()) {
      const at = key.indexOf('\u0000');
      yield { type: key.slice(0, at) as RecordType, id: key.slice(at + 1) };
    }
  }

  clear(): void {
    this.values.clear();
  }
}

/** Where each type's read starts (epoch ms), or undefined for everything. */
export async function readCursors(
  store: Store,
  installationId: string,
  fromStart: boolean,
  overlapMs = DEFAULT_OVERLAP_MS,
): Promise<(number | undefined)[]> {
  const types = ['companies', 'contacts', 'deals'] as const;
  // One statement for the three.
  const stored = fromStart ? new Map<string, string>() : await store.getCursors(installationId, Object.values(CURSOR));
  return types.map((type) => {
    const value = stored.get(CURSOR[type]);
    return value === undefined ? undefined : Number(value) - overlapMs;
  });
}

/** After the writes: everything up to the start of the run is in. */
export async function advanceCursors(store: Store, installationId: string, startedAt: number): Promise<void> {
  const at = String(startedAt);
  await store.setCursors(installationId, { [CURSOR.companies]: at, [CURSOR.contacts]: at, [CURSOR.deals]: at });
}

/** Pulls into the mirror; `lastWritten` follows the removals (a successor takes the tier over). */
export async function pull(options: PullOptions, lastWritten: LastWrittenLookup): Promise<Pulled> {
  const { store, connector, installationId, mapping, full, only } = options;
  const cursors = await readCursors(store, installationId, full || only !== undefined, options.overlapMs);
  const pulled = { companies: 0, contacts: 0, deals: 0 };
  // Ids read, for a full sync to drop the mirrored records the CRM no longer has.
  const seen = { company: new Set<string>(), contact: new Set<string>(), deal: new Set<string>() };
  const crmValues = new CrmValues();
  const changed: Changed = { company: new Set(), contact: new Set(), dealCompanies: new Set() };
  const note = (set: Set<string>, id: string): void => {
    if (!full) set.add(id);
  };
  for (const [index, type] of (['companies', 'contacts'] as const).entries()) {
    const recordType = type === 'companies' ? 'company' : 'contact';
    const { tier, reason, next } = options.properties;
    const wanted = [...propertiesToRead(mapping, recordType), tier, reason, next];
    const pages =
      only === undefined
        ? connector.read(type, { properties: wanted, modifiedSince: cursors[index], currency: mapping.currency })
        : only[type].length === 0
          ? []
          : (connector.readByIds?.(type, only[type], wanted) ?? []);
    for await (const page of pages) {
      const records = page.map((object) =>
        recordType === 'company' ? withoutDealFields(mapCompany(mapping, object)) : mapContact(mapping, object),
      );
      await store.upsertRecords(installationId, records, options.startedAt);
      await lastWritten.load?.(
        recordType,
        page.map((object) => object.id),
      );
      for (const [i, object] of page.entries()) {
        if (full) seen[recordType].add(object.id);
        note(changed[recordType], object.id);
        const value = tierValue(object.properties[tier], object.properties[reason], object.properties[next]);
        const record = records[i];
        if (record !== undefined) {
          crmValues.note(record, value, crmShowsOther(lastWritten.get(recordType, object.id), value));
        }
      }
      pulled[type] += records.length;
      options.onProgress?.({ phase: 'read', type, done: pulled[type] });
      options.checkStop();
    }
  }
  if (mapping.deal !== undefined) {
    const dealProperties = propertiesToRead(mapping, 'deal');
    const pages =
      only === undefined
        ? connector.readDeals({ properties: dealProperties, modifiedSince: cursors[2], currency: mapping.currency })
        : only.deals.length === 0
          ? []
          : (connector.readDealsByIds?.(only.deals, dealProperties) ?? []);
    for await (const page of pages) {
      const deals: MirrorDeal[] = [];
      const orphans: string[] = [];
      if (!full) {
        const before = await store.companiesOfDeals(
          installationId,
          page.map((object) => object.id),
        );
        for (const companyId of before) changed.dealCompanies.add(companyId);
      }
      for (const object of page) {
        if (full) seen.deal.add(object.id);
        if (object.companyId === null) orphans.push(object.id);
        else deals.push({ id: object.id, ...mapDeal(mapping, object, object.companyId) });
        if (object.companyId !== null) note(changed.dealCompanies, object.companyId);
      }
      await store.upsertDeals(installationId, deals);
      await store.deleteDeals(installationId, orphans);
      pulled.deals += page.length;
      options.onProgress?.({ phase: 'read', type: 'deals', done: pulled.deals });
      options.checkStop();
    }
  }
  let deleted = 0;
  if (connector.readRemovals !== undefined && only === undefined) {
    // Before dropping the unseen: a converted lead's history goes to its contact, not away.
    for await (const page of connector.readRemovals(cursors[0])) {
      for (const removal of page) {
        note(changed[removal.type], removal.id);
        if (removal.successorId !== null) {
          note(changed[removal.type], removal.successorId);
          await store.carryOver(installationId, removal.type, removal.id, removal.successorId);
          lastWritten.carryOver(removal.type, removal.id, removal.successorId);
        } else {
          await store.deleteRecords(installationId, removal.type, [removal.id]);
        }
        seen[removal.type].delete(removal.id);
      }
      deleted += page.length;
      options.checkStop();
    }
  }
  if (full) deleted += await dropUnseen(store, installationId, seen);
  for (const ids of Object.values(seen)) ids.clear();
  return { pulled, deleted, crmValues, changed };
}

/** Deal totals are worked out at classification time from the mirrored deals, not stored. */
function withoutDealFields<T extends CanonicalRecord>(record: T): T {
  const dealFields: readonly string[] = DEAL_FIELDS;
  const fields = Object.fromEntries(Object.entries(record.fields).filter(([name]) => !dealFields.includes(name)));
  return { ...record, fields };
}

/** A full sync saw every record the CRM has: mirrored ones it did not see were deleted or merged. */
async function dropUnseen(
  store: Store,
  installationId: string,
  seen: { company: Set<string>; contact: Set<string>; deal: Set<string> },
): Promise<number> {
  let dropped = 0;
  const gone: Record<RecordType, string[]> = { company: [], contact: [] };
  for await (const page of store.records(installationId)) {
    for (const record of page) if (!seen[record.type].has(record.id)) gone[record.type].push(record.id);
  }
  for (const type of ['company', 'contact'] as const) {
    await store.deleteRecords(installationId, type, gone[type]);
    dropped += gone[type].length;
  }
  const goneDeals: string[] = [];
  for await (const deal of store.deals(installationId)) if (!seen.deal.has(deal.id)) goneDeals.push(deal.id);
  await store.deleteDeals(installationId, goneDeals);
  return dropped;
}
