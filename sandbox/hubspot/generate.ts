/**
 * Seeded portal data: `generatePortal` builds companies, contacts and deals that look like a real
 * portal's (revenue and headcount as strings, some in odd formats or empty; mostly-empty support
 * plans; contacts mostly tied to a company; every deal with one primary company), the same for
 * the same options; with `currencies`, a multi-currency portal. Lead scores are today's (scoring.ts): the frozen `hubspotscore` and, by
 * default, a combined score of the lead-scoring tool. `mutate` changes some deal amounts/close
 * states, lead scores (the tool's, never the frozen one) and company fields (revenue, headcount,
 * support plan), as a live portal would between two syncs.
 */
import {
  EXCHANGE_RATE,
  emptyStore,
  type CrmRecord,
  type ObjectStore,
  type ObjectType,
  type Portal,
  OBJECT_TYPES,
} from './model.ts';
import {
  DAY,
  FIRST_NAMES,
  LAST_NAMES,
  logUniform,
  NAME_HEADS,
  NAME_KINDS,
  NAME_TAILS,
  PRODUCTS,
  skewedIndex,
} from '../shared/generate.ts';
import { createRng, type Rng } from '../shared/prng.ts';
import { emptyLists } from './lists.ts';
import { CURRENCIES, DEAL_STAGES, LIFECYCLE_STAGES, SUPPORT_PLANS, seedSchema } from './schema.ts';
import {
  addScoreProperties,
  portalScoreNames,
  rescoreContact,
  scoreContact,
  scoreNames,
  type LeadScoring,
} from './scoring.ts';

export interface GenerateOptions {
  readonly seed: number;
  readonly companies?: number;
  readonly contacts?: number;
  readonly deals?: number;
  /** The portal's "now" (epoch ms): every timestamp is at or before it. Default: the current time. */
  readonly now?: number;
  /** The lead-scoring tool's score on contacts (scoring.ts). Default: a combined score. */
  readonly leadScoring?: LeadScoring;
  /**
   * A multi-currency portal: each foreign currency's exchange rate to the home currency (USD),
   * e.g. `{ EUR: 1.08, JPY: 0.0067 }`. About half the deals are then in one of them: `amount` in
   * that currency, `deal_currency_code` naming it, and `amount_in_home_currency` calculated.
   * Default: none (every deal in USD, as a single-currency portal).
   */
  readonly currencies?: Readonly<Partial<Record<Exclude<(typeof CURRENCIES)[number], 'USD'>, number>>> | undefined;
}

/** Offsets the seed of the streams added later, so the records of a seed stay what they were. */
const SCORE_STREAM = 0x5c0_4e;
const CURRENCY_STREAM = 0xc0_1e;

/** Puts about half the deals in a foreign currency: the same value, in that currency's units. */
function convertDeals(rng: Rng, store: ObjectStore, rates: Readonly<Record<string, number>>): void {
  const codes = Object.keys(rates);
  if (codes.length === 0) return;
  for (const deal of store.records.values()) {
    const p = deal.properties;
    const code = rng.chance(0.5) ? rng.pick(codes) : 'USD';
    p['deal_currency_code'] = code;
    const rate = rates[code];
    if (code === 'USD' || rate === undefined) continue;
    p[EXCHANGE_RATE] = String(rate);
    const home = Number(p['amount']);
    if (p['amount'] === '' || !Number.isFinite(home)) continue;
    const local = home / rate;
    const cents = p['amount']?.includes('.') === true && code !== 'JPY'; // yen have no minor unit
    p['amount'] = cents ? local.toFixed(2) : String(Math.round(local / 100) * 100);
  }
}

const FREE_MAIL = ['gmail.com', 'outlook.com', 'proton.me'];

/** 1234567.5 → "1,234,567.50" (fixed, not locale-dependent). */
function withCommas(value: number, decimals: number): string {
  const [whole = '0', fraction] = value.toFixed(decimals).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function revenueText(rng: Rng, revenue: number): string {
  const roll = rng.next();
  if (roll < 0.08) return '';
  if (roll < 0.14) return withCommas(revenue + 0.5, 2);
  if (roll < 0.17) return `$${withCommas(Math.round(revenue), 0)}`;
  return String(Math.round(revenue));
}

function employeesText(rng: Rng, employees: number): string {
  const roll = rng.next();
  if (roll < 0.1) return '';
  if (roll < 0.15 && employees >= 1000) return withCommas(employees, 0);
  return String(employees);
}

function booleanText(rng: Rng): string {
  return rng.weighted(['true', 'false', ''], [3, 3, 4]);
}

/** Created some time in the last `years`; modified since, with a third in the last 30 days. */
function times(rng: Rng, now: number, years: number): { createdAt: number; updatedAt: number } {
  const createdAt = now - rng.int(1, Math.round(years * 365)) * DAY - rng.int(0, DAY - 1);
  const recent = now - rng.int(0, 30 * DAY);
  const updatedAt = rng.chance(0.35)
    ? Math.max(createdAt, recent)
    : createdAt + Math.floor(rng.next() * (now - createdAt));
  return { createdAt, updatedAt };
}

/** Ascending ids from `base` with small random gaps, like HubSpot's. */
function nextId(rng: Rng, store: ObjectStore, base: number): string {
  const last = store.order.at(-1) ?? base;
  const id = last + rng.int(1, 3);
  store.order.push(id);
  return String(id);
}

function add(store: ObjectStore, record: CrmRecord): void {
  store.records.set(record.id, record);
}

function generateCompanies(rng: Rng, store: ObjectStore, count: number, now: number): CrmRecord[] {
  /** Companies per name stem so far: the second "norvex" gets norvex2.com. */
  const stems = new Map<string, number>();
  const companies: CrmRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = nextId(rng, store, 5_000_000_000);
    const stem = `${rng.pick(NAME_HEADS)}${rng.pick(NAME_TAILS)}`;
    const name = `${stem} ${rng.pick(NAME_KINDS)}`;
    const seen = (stems.get(stem) ?? 0) + 1;
    stems.set(stem, seen);
    const domain = `${stem.toLowerCase()}${seen === 1 ? '' : seen}.com`;
    const employees = Math.max(1, Math.round(logUniform(rng, 1, 50_000)));
    const revenue = employees * logUniform(rng, 60_000, 400_000);
    const record: CrmRecord = {
      id,
      properties: {
        name,
        domain,
        annualrevenue: revenueText(rng, revenue),
        numberofemployees: employeesText(rng, employees),
        lifecyclestage: rng.weighted(['lead', 'opportunity', 'customer', 'other', ''], [2, 2, 5, 0.5, 0.5]),
        support_plan: rng.weighted(['', ...SUPPORT_PLANS], [70, 16, 12, 2]),
        prefers_digital: booleanText(rng),
      },
      ...times(rng, now, 5),
      companyId: null,
    };
    add(store, record);
    companies.push(record);
  }
  return companies;
}

function generateContacts(rng: Rng, store: ObjectStore, count: number, companies: CrmRecord[], now: number): void {
  for (let i = 0; i < count; i++) {
    const id = nextId(rng, store, 100);
    const company =
      companies.length > 0 && rng.chance(0.9) ? companies[skewedIndex(rng, companies.length, 1.6)] : undefined;
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const domain = company?.properties['domain'] ?? rng.pick(FREE_MAIL);
    const record: CrmRecord = {
      id,
      properties: {
        email: `${first}.${last}.${id}@${domain}`.toLowerCase(),
        firstname: first,
        lastname: last,
        hubspotscore: rng.chance(0.9) ? String(rng.int(0, 100)) : '',
        prefers_digital: booleanText(rng),
        lifecyclestage: rng.weighted([...LIFECYCLE_STAGES, ''], [2, 4, 2, 1.5, 1, 3, 0.3, 0.2, 1]),
        associatedcompanyid: company?.id ?? '',
      },
      ...times(rng, now, 4),
      companyId: company?.id ?? null,
    };
    add(store, record);
  }
}

function amountText(rng: Rng): string {
  const amount = logUniform(rng, 1_000, 500_000);
  const roll = rng.next();
  if (roll < 0.05) return '';
  if (roll < 0.25) return amount.toFixed(2);
  return String(Math.round(amount / 100) * 100);
}

function generateDeals(rng: Rng, store: ObjectStore, count: number, companies: CrmRecord[], now: number): void {
  for (let i = 0; i < count; i++) {
    const id = nextId(rng, store, 13_000_000_000);
    const company = companies.length > 0 ? companies[skewedIndex(rng, companies.length, 1.6)] : undefined;
    const stage = rng.weighted(DEAL_STAGES, [1, 1, 1, 1, 1, 7, 4]);
    const closed = stage === 'closedwon' || stage === 'closedlost';
    const { createdAt, updatedAt } = times(rng, now, 3);
    const closeAt = closed
      ? Math.min(now - 1, createdAt + rng.int(1, 180) * DAY)
      : now + rng.int(-30, 180) * DAY + rng.int(0, DAY - 1);
    const record: CrmRecord = {
      id,
      properties: {
        dealname: `${company?.properties['name'] ?? 'Direct'} - ${rng.pick(PRODUCTS)}`,
        amount: amountText(rng),
        closedate: new Date(closeAt).toISOString(),
        dealstage: stage,
        pipeline: 'default',
        hs_is_closed: String(closed),
        hs_is_closed_won: String(stage === 'closedwon'),
      },
      createdAt,
      updatedAt: closed ? Math.max(updatedAt, Math.min(closeAt, now)) : updatedAt,
      companyId: company?.id ?? null,
    };
    add(store, record);
  }
}

export function generatePortal(options: GenerateOptions): Portal {
  const now = options.now ?? Date.now();
  const rng = createRng(options.seed);
  const objects = {
    companies: emptyStore('companies'),
    contacts: emptyStore('contacts'),
    deals: emptyStore('deals'),
  };
  const companies = generateCompanies(rng, objects.companies, options.companies ?? 2000, now);
  generateContacts(rng, objects.contacts, options.contacts ?? 8000, companies, now);
  generateDeals(rng, objects.deals, options.deals ?? 3000, companies, now);
  if (options.currencies !== undefined) {
    convertDeals(createRng(options.seed + CURRENCY_STREAM), objects.deals, options.currencies);
  }
  const scoring = options.leadScoring ?? 'combined';
  const names = scoreNames(scoring);
  if (names !== undefined) {
    const scores = createRng(options.seed + SCORE_STREAM);
    for (const contact of objects.contacts.records.values()) scoreContact(scores, names, contact);
  }
  const schemaTime = now - 5 * 365 * DAY;
  const contactSchema = seedSchema('contacts', schemaTime);
  addScoreProperties(contactSchema, scoring, now - 120 * DAY);
  return {
    portalId: 20_000_000 + rng.int(0, 9_999_999),
    timeZone: 'US/Eastern',
    companyCurrency: 'USD',
    uiDomain: 'app.hubspot.com',
    dataHostingLocation: 'na1',
    objects,
    schema: {
      companies: seedSchema('companies', schemaTime),
      contacts: contactSchema,
      deals: seedSchema('deals', schemaTime),
    },
    lists: emptyLists(),
  };
}

export interface MutateOptions {
  /** How many deals to change (amount or close state). */
  readonly deals?: number;
  /** How many contacts get a new lead score. */
  readonly contacts?: number;
  /** How many companies get a field edited (annual revenue, employees or support plan). Default 0. */
  readonly companies?: number;
  readonly seed: number;
  /** The modification time (epoch ms). Default: the current time. */
  readonly now?: number;
}

export interface MutateResult {
  readonly deals: string[];
  readonly contacts: string[];
  readonly companies: string[];
}

/** `count` distinct records of a store, in random order. */
function sample(rng: Rng, store: ObjectStore, count: number): CrmRecord[] {
  const ids = store.order;
  const n = Math.min(Math.max(0, Math.floor(count)), ids.length);
  const chosen = new Set<number>();
  if (n > ids.length / 2) {
    const copy = [...ids];
    for (let i = 0; i < n; i++) {
      const j = rng.int(i, copy.length - 1);
      [copy[i], copy[j]] = [copy[j] ?? 0, copy[i] ?? 0];
    }
    copy.slice(0, n).forEach((id) => chosen.add(id));
  } else {
    while (chosen.size < n) chosen.add(ids[rng.int(0, ids.length - 1)] ?? 0);
  }
  return [...chosen].map((id) => store.records.get(String(id))).filter((r): r is CrmRecord => r !== undefined);
}

function mutateDeal(rng: Rng, deal: CrmRecord, now: number): void {
  const p = deal.properties;
  const open = p['hs_is_closed'] !== 'true';
  if (open && rng.chance(0.4)) {
    const won = rng.chance(0.6);
    p['dealstage'] = won ? 'closedwon' : 'closedlost';
    p['hs_is_closed'] = 'true';
    p['hs_is_closed_won'] = String(won);
    p['closedate'] = new Date(now).toISOString();
    return;
  }
  const before = Number(p['amount']);
  let amount = Number.isFinite(before) && before > 0 ? before : 10_000;
  do amount = Math.round((amount * (0.5 + rng.next() * 1.3)) / 100) * 100 + 100;
  while (String(amount) === p['amount']);
  p['amount'] = String(amount);
}

/** An admin edits one of the company's tiering fields: revenue or headcount scaled, or the support plan switched. */
function mutateCompany(rng: Rng, company: CrmRecord): void {
  const p = company.properties;
  const field = rng.pick(['annualrevenue', 'numberofemployees', 'support_plan'] as const);
  if (field === 'support_plan') {
    p[field] = rng.pick(['', ...SUPPORT_PLANS].filter((plan) => plan !== (p[field] ?? '')));
    return;
  }
  // The edit is typed in plainly, whatever odd format the value had ("1,234", "$5", "").
  const before = Number((p[field] ?? '').replace(/[$,]/g, ''));
  const base = Number.isFinite(before) && before > 0 ? before : field === 'annualrevenue' ? 1_000_000 : 50;
  let value: number;
  do value = Math.max(1, Math.round(base * (0.3 + rng.next() * 3)));
  while (String(value) === p[field]);
  p[field] = String(value);
}

function touch(store: ObjectStore, records: readonly CrmRecord[], now: number): string[] {
  for (const record of records) record.updatedAt = Math.max(now, record.createdAt);
  if (records.length > 0) store.version++;
  return records.map((record) => record.id);
}

/**
 * Changes `deals` deal amounts/close states, `contacts` lead scores and `companies` company fields,
 * bumping their modified time. A score recalculation is assumed to bump the contact's `lastmodifieddate` like any other
 * property change (HubSpot documents no exception for calculated properties); a portal without
 * the lead-scoring tool has no live score to change, and its contacts are left alone.
 */
export function mutate(portal: Portal, options: MutateOptions): MutateResult {
  const now = options.now ?? Date.now();
  const rng = createRng(options.seed);
  const deals = sample(rng, portal.objects.deals, options.deals ?? 0);
  for (const deal of deals) mutateDeal(rng, deal, now);
  const names = portalScoreNames(portal.schema.contacts);
  const contacts = names === undefined ? [] : sample(rng, portal.objects.contacts, options.contacts ?? 0);
  if (names !== undefined) for (const contact of contacts) rescoreContact(rng, names, contact);
  // Drawn last, so that a seed changes the same deals and contacts as before companies could change.
  const companies = sample(rng, portal.objects.companies, options.companies ?? 0);
  for (const company of companies) mutateCompany(rng, company);
  return {
    deals: touch(portal.objects.deals, deals, now),
    contacts: touch(portal.objects.contacts, contacts, now),
    companies: touch(portal.objects.companies, companies, now),
  };
}

/** Every object type's record count (for logs). */
export function portalSize(portal: Portal): Record<ObjectType, number> {
  const size = { companies: 0, contacts: 0, deals: 0 };
  for (const type of OBJECT_TYPES) size[type] = portal.objects[type].records.size;
  return size;
}
