/**
 * Reads through SOQL, page by page (each page is one API call of up to 2,000 rows), following
 * `nextRecordsUrl` by hand so memory never holds more than a page and jsforce's silent 10,000-row
 * `maxFetch` stop cannot apply. Companies are Accounts; contacts are Contacts and then the Leads not
 * yet converted (a lead is a contact without a company); deals are Opportunities with their AccountId
 * (deleted ones too, on incremental reads). Incremental reads filter on `SystemModstamp` (indexed,
 * and bumped by system changes too, a deletion included). Money fields come converted to the
 * corporate currency when the mapping asks for it (currency.ts).
 */
import type { QueryResult, Record as SfRecord } from 'jsforce';
import type { CrmObject } from '../../src/mapping/mapping.ts';
import type { CrmDeal, ReadOptions, Removal } from '../../src/sync/connector.ts';
import type { SalesforceContext } from './context.ts';
import { fieldsToConvert } from './currency.ts';

export const SOBJECT = { company: 'Account', contact: 'Contact', lead: 'Lead', deal: 'Opportunity' } as const;

/** Fields a Lead does not have (it has no account until converted). */
const NOT_ON_LEAD = new Set(['accountid']);

/** `2026-11-20T10:00:00Z`: SOQL's datetime literal (no milliseconds: the engine's overlap covers them). */
export function dateTimeLiteral(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A field value as the text the mapping layer cleans: numbers and booleans as text, objects dropped. */
export function fieldText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return null;
}

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*(__c)?$/;

/** A SELECT of these fields (those in `convert`, lower-cased, through `convertCurrency()`). */
export function soql(
  object: string,
  fields: readonly string[],
  where: readonly string[],
  convert: ReadonlySet<string> = new Set(),
): string {
  const names = ['Id', ...fields.filter((f) => f.toLowerCase() !== 'id')];
  for (const name of names) {
    if (!FIELD_NAME.test(name)) throw new Error(`not a Salesforce field name: ${JSON.stringify(name)}`);
  }
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  const selected = unique.map((name) => (convert.has(name.toLowerCase()) ? `convertCurrency(${name})` : name));
  const clause = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  return `SELECT ${selected.join(', ')} FROM ${object}${clause}`;
}

/** Every page of a SOQL query, one API call each. */
export async function* pages(context: SalesforceContext, query: string, scanAll = false): AsyncGenerator<SfRecord[]> {
  const headers = { 'Sforce-Query-Options': 'batchSize=2000' };
  let result: QueryResult<SfRecord> = await context.call(
    async () => await context.conn.query(query, { autoFetch: false, scanAll, headers }),
  );
  for (;;) {
    if (result.records.length > 0) yield result.records;
    const next = result.nextRecordsUrl;
    if (result.done || next === undefined) return;
    result = await context.call(
      async () =>
        await context.conn.queryMore(next, {
          autoFetch: false,
          maxFetch: 2000,
          scanAll,
          responseTarget: 'QueryResult',
          headers,
        }),
    );
  }
}

function toObject(record: SfRecord, fields: readonly string[]): CrmObject {
  const properties: Record<string, string | null> = {};
  const byLower = new Map(Object.keys(record).map((key) => [key.toLowerCase(), key]));
  for (const field of fields) {
    const key = byLower.get(field.toLowerCase());
    properties[field] = key === undefined ? null : fieldText(record[key]);
  }
  return { id: String(record.Id), properties };
}

function since(options: ReadOptions): string[] {
  return options.modifiedSince === undefined ? [] : [`SystemModstamp >= ${dateTimeLiteral(options.modifiedSince)}`];
}

/**
 * The requested fields the object has for this user. A mapped field the org lacks (or hides by
 * field-level security) is left out of the query and reads as missing — preflight reports it —
 * instead of failing the whole query with INVALID_FIELD.
 */
async function existing(context: SalesforceContext, object: string, fields: readonly string[]): Promise<string[]> {
  const known = await context.fieldsOf(object);
  return fields.filter((field) => known.has(field.toLowerCase()));
}

export async function* readObjects(
  context: SalesforceContext,
  type: 'companies' | 'contacts',
  options: ReadOptions,
): AsyncGenerator<CrmObject[]> {
  const fields = [...options.properties];
  const select = async (object: string, names: readonly string[], where: readonly string[]): Promise<string> => {
    const present = await existing(context, object, names);
    return soql(object, present, where, await fieldsToConvert(context, object, present, options.currency));
  };
  if (type === 'companies') {
    const query = await select(SOBJECT.company, fields, since(options));
    for await (const page of pages(context, query)) {
      yield page.map((record) => toObject(record, fields));
    }
    return;
  }
  const contacts = await select(SOBJECT.contact, fields, since(options));
  for await (const page of pages(context, contacts)) {
    yield page.map((record) => toObject(record, fields));
  }
  const leadFields = fields.filter((field) => !NOT_ON_LEAD.has(field.toLowerCase()));
  const leads = await select(SOBJECT.lead, leadFields, ['IsConverted = false', ...since(options)]);
  for await (const page of pages(context, leads)) {
    // Missing on a lead (AccountId) reads as null: a lead has no company.
    yield page.map((record) => toObject(record, fields));
  }
}

/**
 * Opportunities with the Account each counts for. Incremental reads go through queryAll
 * (`scanAll`) and ask for `IsDeleted`: a deleted Opportunity vanishes from `/query`, so a deleted
 * won deal would go on counting in its account's deal size until the nightly full read. A deleted
 * one comes back with no company, which takes it out of the mirror (the REST QueryAll resource
 * returns records deleted by a merge or a delete, while the Recycle Bin keeps them).
 */
export async function* readDeals(context: SalesforceContext, options: ReadOptions): AsyncGenerator<CrmDeal[]> {
  const fields = [...options.properties];
  const incremental = options.modifiedSince !== undefined;
  const extra = incremental ? ['AccountId', 'IsDeleted'] : ['AccountId'];
  const present = await existing(context, SOBJECT.deal, fields);
  const convert = await fieldsToConvert(context, SOBJECT.deal, present, options.currency);
  const query = soql(SOBJECT.deal, [...present, ...extra], since(options), convert);
  for await (const page of pages(context, query, incremental)) {
    yield page.map((record) => {
      const object = toObject(record, fields);
      const accountId = record['IsDeleted'] === true ? null : fieldText(record['AccountId']);
      return { ...object, companyId: accountId === '' ? null : accountId };
    });
  }
}

/**
 * Records that left since a time: converted leads (their history goes to the contact), and
 * Accounts, Contacts and Leads deleted or merged (a merge's loser names its winner in
 * MasterRecordId). Deleted rows come from queryAll (`scanAll`), while the Recycle Bin keeps them.
 * Leads take one query for both: converted or deleted (a converted lead deleted later still hands
 * its history to its contact).
 */
export async function* readRemovals(
  context: SalesforceContext,
  modifiedSince: number | undefined,
): AsyncGenerator<Removal[]> {
  const window = modifiedSince === undefined ? [] : [`SystemModstamp >= ${dateTimeLiteral(modifiedSince)}`];
  const objects = [
    ['company', SOBJECT.company],
    ['contact', SOBJECT.contact],
  ] as const;
  for (const [type, object] of objects) {
    const deleted = soql(object, ['MasterRecordId'], ['IsDeleted = true', ...window]);
    for await (const page of pages(context, deleted, true)) yield page.map((record) => deletion(type, record));
  }
  const leads = soql(
    SOBJECT.lead,
    ['IsConverted', 'ConvertedContactId', 'MasterRecordId'],
    ['(IsConverted = true OR IsDeleted = true)', ...window],
  );
  for await (const page of pages(context, leads, true)) {
    yield page.map((record): Removal => {
      if (record['IsConverted'] !== true) return deletion('contact', record);
      const contactId = fieldText(record['ConvertedContactId']);
      return {
        type: 'contact',
        id: String(record.Id),
        successorId: contactId === null || contactId === '' ? null : contactId,
        reason: 'converted',
      };
    });
  }
}

/** A deleted row: merged when it names its winner (MasterRecordId), else simply deleted. */
function deletion(type: 'company' | 'contact', record: SfRecord): Removal {
  const winner = fieldText(record['MasterRecordId']);
  const merged = winner !== null && winner !== '';
  return { type, id: String(record.Id), successorId: merged ? winner : null, reason: merged ? 'merged' : 'deleted' };
}
