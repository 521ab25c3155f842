/**
 * Seeded org data: `generateOrg` builds the Organization, users, Accounts, Contacts, Leads and
 * Opportunities (plus a few deleted and merged records), the same for the same options; optionally
 * with multiple currencies and record types.
 * `mutateOrg` changes some Opportunity amounts/stages and lead scores, as a live org would
 * between two syncs.
 */
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
import { enableMultiCurrency, type OrgCurrencies } from './currency.ts';
import { addRecordType } from './record-types.ts';
import { formatDate, formatDateTime, Org, type SfRecord, type Value } from './model.ts';
import { OPPORTUNITY_STAGES, SUPPORT_PLANS, LEAD_STATUSES, seedSchema } from './schema.ts';

export interface GenerateOrgOptions {
  readonly seed: number;
  readonly accounts?: number;
  /** Default 4 × accounts. */
  readonly contacts?: number;
  /** Default 1 × accounts. */
  readonly leads?: number;
  /** Default 1.5 × accounts. */
  readonly opportunities?: number;
  /** The org's "now" (epoch ms): every timestamp is at or before it. Default: the current time. */
  readonly now?: number;
  /**
   * Multiple currencies enabled: records get a `CurrencyIsoCode` (a fifth of them a currency other
   * than the corporate one) and their amounts are in it. Other data stay as without.
   */
  readonly currencies?: OrgCurrencies;
  /** Record types per object (`{ Account: ['Enterprise', 'SMB'] }`); every record of it gets one of them. */
  readonly recordTypes?: Readonly<Record<string, readonly string[]>>;
}

/** Created some time in the last `years`; modified since, a third of them in the last 30 days. */
function times(rng: Rng, now: number, years: number): { created: number; modified: number } {
  const created = now - rng.int(1, Math.round(years * 365)) * DAY - rng.int(0, DAY - 1);
  const modified = rng.chance(0.35)
    ? Math.max(created, now - rng.int(0, 30 * DAY))
    : created + Math.floor(rng.next() * (now - created));
  return { created, modified };
}

function stamps(created: number, modified: number): Record<string, Value> {
  return {
    CreatedDate: formatDateTime(created),
    LastModifiedDate: formatDateTime(modified),
    SystemModstamp: formatDateTime(modified),
  };
}

function leadScore(rng: Rng): number | null {
  return rng.chance(0.2) ? null : rng.int(0, 100);
}

function person(rng: Rng, domain: string): Record<string, Value> {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  return {
    FirstName: first,
    LastName: last,
    Name: `${first} ${last}`,
    Email: rng.chance(0.9) ? `${first}.${last}${rng.int(1, 999)}@${domain}`.toLowerCase() : null,
  };
}

/**
 * An Account's Website as people type it, in turn (no draw from the seeded generator, so the rest
 * of a seeded org stays as it was): a full URL with `www.` and a path, a bare domain, a URL with
 * upper case, none.
 */
function website(name: string, index: number): string | null {
  const domain = `${name.toLowerCase().replace(/[^a-z]+/g, '')}.example.com`;
  switch (index % 4) {
    case 0:
      return `https://www.${domain}/about`;
    case 1:
      return domain;
    case 2:
      return `HTTP://${domain.toUpperCase()}`;
    default:
      return null;
  }
}

function companyName(rng: Rng): string {
  return `${rng.pick(NAME_HEADS)}${rng.pick(NAME_TAILS)} ${rng.pick(NAME_KINDS)}`;
}

function stageValues(stage: string): { IsClosed: boolean; IsWon: boolean } {
  return { IsClosed: stage.startsWith('Closed'), IsWon: stage === 'Closed Won' };
}

export function generateOrg(options: GenerateOrgOptions): Org {
  const rng = createRng(options.seed);
  const now = options.now ?? Date.now();
  const accountCount = options.accounts ?? 500;
  const contactCount = options.contacts ?? accountCount * 4;
  const leadCount = options.leads ?? accountCount;
  const opportunityCount = options.opportunities ?? Math.round(accountCount * 1.5);

  const orgCreated = now - 3 * 365 * DAY;
  const bootstrap = new Org({ organizationId: '', name: '', integrationUserId: '' });
  const org = new Org({
    organizationId: bootstrap.newId('Organization'),
    name: `${companyName(rng)} (sandbox org ${options.seed})`,
    integrationUserId: bootstrap.newId('User'),
  });
  seedSchema(org);
  org.deleteLogStart = now - 15 * DAY;
  // The integration user is the first User id; Organization's comes first too.
  org.newId('Organization');
  org.newId('User');
  const orgStamps = stamps(orgCreated, orgCreated);
  org.insert(
    'Organization',
    { Id: org.organizationId, Name: org.name, OrganizationType: 'Enterprise Edition', IsSandbox: false, ...orgStamps },
    orgCreated,
  );
  const users: [string, string, string][] = [
    ['Integration', 'User', 'integration'],
    ['Maya', 'Marketer', 'maya.marketer'],
    ['Sam', 'Sales', 'sam.sales'],
  ];
  for (const [i, [first, last, login]] of users.entries()) {
    org.insert(
      'User',
      {
        ...(i === 0 ? { Id: org.integrationUserId } : {}),
        Username: `${login}@sandbox-${options.seed}.example.com`,
        FirstName: first,
        LastName: last,
        Name: `${first} ${last}`,
        Email: `${login}@sandbox-${options.seed}.example.com`,
        IsActive: true,
        ...orgStamps,
      },
      orgCreated,
    );
  }

  // The integration user's profile, as its profile-owned permission set (PermissionSetAssignment
  // lists it, as Salesforce does): read on the CRM objects, View All Data (tests may take it away).
  const profile = org.insert(
    'PermissionSet',
    {
      Name: 'X00e_Integration_Profile',
      Label: 'Integration Profile',
      IsOwnedByProfile: true,
      PermissionsViewAllData: true,
      ...orgStamps,
    },
    orgCreated,
  );
  const profileId = profile.values['Id'] as string;
  org.insert(
    'PermissionSetAssignment',
    { AssigneeId: org.integrationUserId, PermissionSetId: profileId, ...orgStamps },
    orgCreated,
  );
  for (const object of ['Account', 'Contact', 'Lead', 'Opportunity']) {
    org.insert(
      'ObjectPermissions',
      {
        ParentId: profileId,
        SobjectType: object,
        PermissionsRead: true,
        PermissionsViewAllRecords: false,
        ...orgStamps,
      },
      orgCreated,
    );
  }

  const accountIds: string[] = [];
  for (let i = 0; i < accountCount; i++) {
    const { created, modified } = times(rng, now, 2);
    const name = companyName(rng);
    const employees = Math.round(logUniform(rng, 2, 50_000));
    const revenue = Math.round(employees * logUniform(rng, 40_000, 400_000));
    const plan = rng.chance(0.12) ? rng.weighted(SUPPORT_PLANS, [5, 5, 2]) : null;
    const record = org.insert(
      'Account',
      {
        Name: name,
        Website: website(name, i),
        AnnualRevenue: rng.chance(0.15) ? null : revenue,
        NumberOfEmployees: rng.chance(0.12) ? null : employees,
        Support_Plan__c: plan,
        Prefers_Digital__c: rng.chance(0.3),
        OwnerId: org.integrationUserId,
        ...stamps(created, modified),
      },
      created,
    );
    accountIds.push(record.values['Id'] as string);
  }
  const domainOf = (accountIndex: number): string =>
    ((org.get('Account', accountIds[accountIndex] ?? '')?.values['Name'] as string | undefined) ?? 'example')
      .toLowerCase()
      .replace(/[^a-z]+/g, '') + '.example.com';

  for (let i = 0; i < contactCount; i++) {
    const { created, modified } = times(rng, now, 2);
    const accountIndex = accountIds.length > 0 && rng.chance(0.92) ? skewedIndex(rng, accountIds.length, 2) : -1;
    org.insert(
      'Contact',
      {
        AccountId: accountIndex >= 0 ? (accountIds[accountIndex] ?? null) : null,
        ...person(rng, accountIndex >= 0 ? domainOf(accountIndex) : 'gmail.com'),
        Lead_Score__c: leadScore(rng),
        Prefers_Digital__c: rng.chance(0.35),
        OwnerId: org.integrationUserId,
        ...stamps(created, modified),
      },
      created,
    );
  }
  const contactIds = [...org.store('Contact').keys()];

  for (let i = 0; i < leadCount; i++) {
    const { created, modified } = times(rng, now, 2);
    const converted = rng.chance(0.05) && accountIds.length > 0 && contactIds.length > 0;
    org.insert(
      'Lead',
      {
        ...person(rng, 'outlook.com'),
        Company: companyName(rng),
        Status: converted ? 'Closed - Converted' : rng.pick(LEAD_STATUSES.filter((s) => s !== 'Closed - Converted')),
        IsConverted: converted,
        ConvertedDate: converted ? formatDate(modified) : null,
        ConvertedAccountId: converted ? rng.pick(accountIds) : null,
        ConvertedContactId: converted ? rng.pick(contactIds) : null,
        Lead_Score__c: leadScore(rng),
        Prefers_Digital__c: rng.chance(0.35),
        OwnerId: org.integrationUserId,
        ...stamps(created, modified),
      },
      created,
    );
  }

  for (let i = 0; i < opportunityCount && accountIds.length > 0; i++) {
    const { created, modified } = times(rng, now, 2);
    const accountId = accountIds[skewedIndex(rng, accountIds.length, 2)] ?? null;
    const stage = rng.weighted(OPPORTUNITY_STAGES, [3, 2, 2, 1, 4, 3]);
    const closeDate = stage.startsWith('Closed')
      ? created + Math.floor(rng.next() * (now - created))
      : now + rng.int(-30, 120) * DAY;
    org.insert(
      'Opportunity',
      {
        AccountId: accountId,
        Name: `${rng.pick(PRODUCTS)} ${rng.int(2024, 2027)}`,
        Amount: rng.chance(0.1) ? null : Math.round(logUniform(rng, 1_000, 2_000_000) / 100) * 100,
        StageName: stage,
        ...stageValues(stage),
        CloseDate: formatDate(closeDate),
        OwnerId: org.integrationUserId,
        ...stamps(created, modified),
      },
      created,
    );
  }

  // A few deletions and merges inside the delete log's 15-day window.
  const recent = (): number => now - rng.int(1, 10 * DAY);
  const some = (type: string, n: number): string[] =>
    [...org.store(type).keys()].filter(() => rng.chance(0.5)).slice(-n);
  for (const type of ['Account', 'Contact', 'Lead', 'Opportunity']) {
    for (const id of some(type, 2)) org.deleteRecord(type, id, recent());
  }
  for (const type of ['Account', 'Contact']) {
    const live = [...org.store(type).values()].filter((r) => r.deletedAt === null);
    const master = live[0];
    const loser = live[live.length - 1];
    if (master !== undefined && loser !== undefined && master !== loser) {
      org.mergeRecords(type, master.values['Id'] as string, [loser.values['Id'] as string], recent());
    }
  }
  if (options.currencies !== undefined) {
    enableMultiCurrency(org, options.currencies, orgCreated);
    const others = Object.keys(options.currencies.rates).filter((code) => code !== options.currencies?.corporate);
    const currencyRng = createRng(options.seed + 1); // its own sequence: the data above stay the same
    for (const type of ['Account', 'Contact', 'Lead', 'Opportunity']) {
      for (const record of org.store(type).values()) {
        if (others.length > 0 && currencyRng.chance(0.2)) record.values['CurrencyIsoCode'] = currencyRng.pick(others);
      }
    }
  }
  const recordTypeRng = createRng(options.seed + 2);
  for (const [object, names] of Object.entries(options.recordTypes ?? {})) {
    const ids = names.map((name) => addRecordType(org, object, name, orgCreated));
    if (ids.length === 0) continue;
    for (const record of org.store(object).values()) record.values['RecordTypeId'] = recordTypeRng.pick(ids);
  }
  return org;
}

export interface MutateOptions {
  readonly seed: number;
  /** How many of each to change (defaults: 5% of opportunities, 5% of contacts, 5% of leads). */
  readonly opportunities?: number;
  readonly contacts?: number;
  readonly leads?: number;
  readonly now?: number;
}

export interface MutateResult {
  readonly opportunities: string[];
  readonly contacts: string[];
  readonly leads: string[];
}

function liveRecords(org: Org, type: string): SfRecord[] {
  return [...org.store(type).values()].filter((r) => r.deletedAt === null);
}

function choose(rng: Rng, records: SfRecord[], n: number): SfRecord[] {
  const pool = [...records];
  const out: SfRecord[] = [];
  while (out.length < n && pool.length > 0) {
    const index = rng.int(0, pool.length - 1);
    const [taken] = pool.splice(index, 1);
    if (taken !== undefined) out.push(taken);
  }
  return out;
}

/** Changes Opportunity amounts (closing some as won) and lead scores; returns the changed ids. */
export function mutateOrg(org: Org, options: MutateOptions): MutateResult {
  const rng = createRng(options.seed);
  const now = options.now ?? Date.now();
  const opportunities = liveRecords(org, 'Opportunity');
  const contacts = liveRecords(org, 'Contact');
  const leads = liveRecords(org, 'Lead').filter((r) => r.values['IsConverted'] !== true);
  const changed: MutateResult = { opportunities: [], contacts: [], leads: [] };

  for (const opp of choose(rng, opportunities, options.opportunities ?? Math.ceil(opportunities.length * 0.05))) {
    const amount = opp.values['Amount'];
    opp.values['Amount'] =
      typeof amount === 'number'
        ? Math.round((amount * (0.5 + rng.next() * 1.5)) / 100) * 100
        : rng.int(10, 500) * 1000;
    if (opp.values['IsClosed'] !== true && rng.chance(0.4)) {
      Object.assign(opp.values, { StageName: 'Closed Won', IsClosed: true, IsWon: true, CloseDate: formatDate(now) });
    }
    org.touch(opp, now);
    changed.opportunities.push(opp.values['Id'] as string);
  }
  const rescore = (records: SfRecord[], n: number | undefined, out: string[]): void => {
    for (const record of choose(rng, records, n ?? Math.ceil(records.length * 0.05))) {
      record.values['Lead_Score__c'] = rng.int(0, 100);
      org.touch(record, now);
      out.push(record.values['Id'] as string);
    }
  };
  rescore(contacts, options.contacts, changed.contacts);
  rescore(leads, options.leads, changed.leads);
  return changed;
}
