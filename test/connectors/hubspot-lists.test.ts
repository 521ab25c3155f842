/**
 * The lists per tier HubSpot setup keeps (connectors/hubspot/lists.ts), against nock: the exact
 * Lists API v3 requests (bodies matched), found again by id, renamed and repaired in place, a
 * create whose answer was lost adopting the list by name, lists of dropped tiers left and reported.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import type { CrmList } from '../../src/sync/connector.ts';
import { api, harness } from './hubspot-nock.ts';
import { useNock } from '../nock.ts';

useNock();

const TIERS = [
  { value: 'mid', label: 'Mid-touch' },
  { value: 'high', label: 'High-touch' },
];
const PORTAL = 4711;
const UI = 'app-eu1.hubspot.com';
const url = (id: string): string => `https://${UI}/contacts/${PORTAL}/objectLists/${id}`;

/** The properties part of setup, already up to date (so only list calls remain to match). */
function propertiesUpToDate(scope: nock.Scope): nock.Scope {
  const options = TIERS.map((tier, i) => ({ label: tier.label, value: tier.value, displayOrder: i, hidden: false }));
  const property = (name: string, type: string, fieldType: string, opts: unknown[] = []): Record<string, unknown> => ({
    name,
    label: name,
    type,
    fieldType,
    groupName: 'engagement_model',
    description: '',
    options: opts,
  });
  const exists = { status: 'error', message: 'A property group already exists', category: 'OBJECT_ALREADY_EXISTS' };
  let s = scope;
  for (const type of ['companies', 'contacts']) {
    s = s
      .post(`/crm/v3/properties/${type}/groups`)
      .reply(409, exists)
      .get(`/crm/v3/properties/${type}`)
      .reply(200, {
        results: [
          property('engagement_model', 'enumeration', 'select', options),
          property('engagement_model_override', 'enumeration', 'select', options),
          property('engagement_model_reason', 'string', 'textarea'),
          property('engagement_model_updated_at', 'datetime', 'date'),
          property('engagement_model_next', 'string', 'text'),
        ],
      });
  }
  return s.get('/account-info/v3/details').reply(200, { portalId: PORTAL, uiDomain: UI, timeZone: 'Europe/Berlin' });
}

/** What HubSpot must receive as the filter: OR → AND → engagement_model IS_ANY_OF [value]. */
function filterFor(value: string): nock.DataMatcherMap {
  return {
    filterBranchType: 'OR',
    filterBranchOperator: 'OR',
    filters: [],
    filterBranches: [
      {
        filterBranchType: 'AND',
        filterBranchOperator: 'AND',
        filterBranches: [],
        filters: [
          {
            filterType: 'PROPERTY',
            property: 'engagement_model',
            operation: {
              operationType: 'ENUMERATION',
              operator: 'IS_ANY_OF',
              values: [value],
              includeObjectsWithNoValueSet: false,
            },
          },
        ],
      },
    ],
  };
}

function list(listId: string, name: string, objectTypeId: string, filterBranch: unknown): Record<string, unknown> {
  return {
    listId,
    name,
    objectTypeId,
    processingType: 'DYNAMIC',
    processingStatus: 'COMPLETE',
    listVersion: 1,
    size: 0,
    filterBranch,
  };
}

const OBJECT_TYPE = { companies: '0-2', contacts: '0-1' } as const;

describe('HubSpot setup: a list per tier', () => {
  it('creates an active companies list and contacts list per tier, filtered on the tier, linked on the portal’s host', async () => {
    let scope = propertiesUpToDate(api());
    let id = 100;
    for (const tier of TIERS) {
      for (const object of ['companies', 'contacts'] as const) {
        const body = {
          name: `Engagement model: ${tier.label} ${object}`,
          objectTypeId: OBJECT_TYPE[object],
          processingType: 'DYNAMIC',
          filterBranch: filterFor(tier.value),
        };
        scope = scope
          .post('/crm/v3/lists', body)
          .reply(200, { list: list(String(++id), body.name, body.objectTypeId, body.filterBranch) });
      }
    }
    const { connector } = harness();
    const report = await connector.setup(TIERS);
    scope.done();
    expect(report.lists).toEqual([
      { object: 'companies', tier: 'mid', name: 'Engagement model: Mid-touch companies', id: '101', url: url('101') },
      { object: 'contacts', tier: 'mid', name: 'Engagement model: Mid-touch contacts', id: '102', url: url('102') },
      { object: 'companies', tier: 'high', name: 'Engagement model: High-touch companies', id: '103', url: url('103') },
      { object: 'contacts', tier: 'high', name: 'Engagement model: High-touch contacts', id: '104', url: url('104') },
    ]);
    expect(report.changes).toContain('created list "Engagement model: High-touch contacts"');
    expect(report.warnings).toEqual([]);
    // 2 × (group + listing) + account details + 4 creates.
    expect(connector.apiCalls).toBe(9);
  });

  it('finds known lists by id: puts back a name someone changed and a filter that drifted, leaves the rest', async () => {
    const known: CrmList[] = [
      { object: 'companies', tier: 'mid', name: 'Engagement model: Mid-touch companies', id: '1' },
      { object: 'contacts', tier: 'mid', name: 'Engagement model: Mid-touch contacts', id: '2' },
      { object: 'companies', tier: 'high', name: 'Engagement model: High-touch companies', id: '3' },
      { object: 'contacts', tier: 'high', name: 'Engagement model: High-touch contacts', id: '4' },
    ];
    const drifted = filterFor('high');
    const and = (drifted['filterBranches'] as unknown as Record<string, unknown>[])[0] ?? {};
    and['filters'] = [
      ...(and['filters'] as unknown[]),
      {
        filterType: 'PROPERTY',
        property: 'lifecyclestage',
        operation: { operationType: 'ENUMERATION', operator: 'IS_ANY_OF', values: ['customer'] },
      },
    ];
    const scope = propertiesUpToDate(api())
      .get('/crm/v3/lists/1')
      .query({ includeFilters: 'true' })
      .reply(200, { list: list('1', 'Mid accounts (marketing)', '0-2', filterFor('mid')) })
      .put('/crm/v3/lists/1/update-list-name')
      .query({ listName: 'Engagement model: Mid-touch companies' })
      .reply(200, { updatedList: list('1', 'Engagement model: Mid-touch companies', '0-2', filterFor('mid')) })
      .get('/crm/v3/lists/2')
      .query({ includeFilters: 'true' })
      .reply(200, { list: list('2', 'Engagement model: Mid-touch contacts', '0-1', filterFor('mid')) })
      .get('/crm/v3/lists/3')
      .query({ includeFilters: 'true' })
      .reply(200, { list: list('3', 'Engagement model: High-touch companies', '0-2', drifted) })
      .put('/crm/v3/lists/3/update-list-filters', { filterBranch: filterFor('high') })
      .reply(200, { updatedList: list('3', 'Engagement model: High-touch companies', '0-2', filterFor('high')) })
      .get('/crm/v3/lists/4')
      .query({ includeFilters: 'true' })
      .reply(200, { list: list('4', 'Engagement model: High-touch contacts', '0-1', filterFor('high')) });
    const { connector } = harness();
    const report = await connector.setup(TIERS, { knownLists: known });
    scope.done();
    expect(report.changes).toEqual([
      'renamed list "Mid accounts (marketing)" to "Engagement model: Mid-touch companies"',
      'put back the filter of list "Engagement model: High-touch companies" (engagement_model is High-touch)',
    ]);
    expect(report.lists?.map((l) => l.id)).toEqual(['1', '2', '3', '4']);
  });

  it('adopts the list a lost answer created: the retried create meets ILS.DUPLICATE_LIST_NAMES and reads it by name', async () => {
    const tiers = [{ value: 'high', label: 'High-touch' }];
    const duplicate = {
      status: 'error',
      message: "A list named 'Engagement model: High-touch companies' already exists.",
      category: 'VALIDATION_ERROR',
      subCategory: 'ILS.DUPLICATE_LIST_NAMES',
      correlationId: 'c',
    };
    const companies = 'Engagement model: High-touch companies';
    const contacts = 'Engagement model: High-touch contacts';
    const scope = api()
      .post('/crm/v3/properties/companies/groups')
      .reply(409, {})
      .get('/crm/v3/properties/companies')
      .reply(200, { results: [] })
      .post('/crm/v3/properties/contacts/groups')
      .reply(409, {})
      .get('/crm/v3/properties/contacts')
      .reply(200, { results: [] })
      .post(/\/crm\/v3\/properties\/(companies|contacts)$/)
      .times(10)
      .reply(201, {})
      .get('/account-info/v3/details')
      .reply(200, { portalId: PORTAL, uiDomain: UI })
      // HubSpot committed the create, then the answer was lost (502); the retry is a duplicate.
      .post('/crm/v3/lists', (body: Record<string, unknown>) => body['name'] === companies)
      .reply(502, 'Bad Gateway')
      .post('/crm/v3/lists', (body: Record<string, unknown>) => body['name'] === companies)
      .reply(400, duplicate)
      .get(`/crm/v3/lists/object-type-id/0-2/name/${encodeURIComponent(companies)}`)
      .query({ includeFilters: 'true' })
      .reply(200, { list: list('77', companies, '0-2', filterFor('high')) })
      // The contacts list's name is held by a MANUAL list someone made: left, and said so.
      .post('/crm/v3/lists', (body: Record<string, unknown>) => body['name'] === contacts)
      .reply(400, { ...duplicate, message: 'dup' })
      .get(`/crm/v3/lists/object-type-id/0-1/name/${encodeURIComponent(contacts)}`)
      .query({ includeFilters: 'true' })
      .reply(200, { list: { ...list('78', contacts, '0-1', undefined), processingType: 'MANUAL' } });
    const { connector, sleeps } = harness();
    const report = await connector.setup(tiers);
    scope.done();
    expect(sleeps).toHaveLength(1);
    expect(report.changes).toContain(`adopted existing list "${companies}"`);
    expect(report.lists).toEqual([{ object: 'companies', tier: 'high', name: companies, id: '77', url: url('77') }]);
    expect(report.warnings).toEqual([
      expect.stringContaining(`"${contacts}" exists but is not an active contacts list`),
    ]);
  });

  it('leaves and reports the lists of a tier the policy dropped; creates again a known list deleted in HubSpot', async () => {
    const tiers = [{ value: 'high', label: 'High-touch' }];
    const known: CrmList[] = [
      { object: 'companies', tier: 'high', name: 'Engagement model: High-touch companies', id: '3' },
      { object: 'contacts', tier: 'high', name: 'Engagement model: High-touch contacts', id: '4' },
      { object: 'companies', tier: 'mid', name: 'Engagement model: Mid-touch companies', id: '1' },
    ];
    const scope = api()
      .post(/groups$/)
      .times(2)
      .reply(409, {})
      .get(/\/crm\/v3\/properties\/(companies|contacts)$/)
      .times(2)
      .reply(200, { results: [] })
      .post(/\/crm\/v3\/properties\/(companies|contacts)$/)
      .times(10)
      .reply(201, {})
      .get('/account-info/v3/details')
      .reply(200, { portalId: PORTAL })
      .get('/crm/v3/lists/3')
      .query(true)
      .reply(200, { list: list('3', 'Engagement model: High-touch companies', '0-2', filterFor('high')) })
      .get('/crm/v3/lists/4')
      .query(true)
      .reply(404, { status: 'error', message: 'List 4 does not exist.', category: 'OBJECT_NOT_FOUND' })
      .post('/crm/v3/lists', {
        name: 'Engagement model: High-touch contacts',
        objectTypeId: '0-1',
        processingType: 'DYNAMIC',
        filterBranch: filterFor('high'),
      })
      .reply(200, { list: list('9', 'Engagement model: High-touch contacts', '0-1', filterFor('high')) })
      .get('/crm/v3/lists/1')
      .query(true)
      .reply(200, { list: list('1', 'Mid companies', '0-2', filterFor('mid')) });
    const { connector } = harness();
    const report = await connector.setup(tiers, { knownLists: known });
    scope.done();
    expect(report.lists?.map((l) => [l.tier, l.id, l.name])).toEqual([
      ['high', '3', 'Engagement model: High-touch companies'],
      ['high', '9', 'Engagement model: High-touch contacts'],
      ['mid', '1', 'Mid companies'],
    ]);
    // Without uiDomain in the account details, HubSpot's default host.
    expect(report.lists?.[0]?.url).toBe(`https://app.hubspot.com/contacts/${PORTAL}/objectLists/3`);
    expect(report.warnings).toEqual([
      'HubSpot list "Mid companies" is for tier mid, which the policy no longer has; left as it is (delete it in HubSpot if no one uses it)',
    ]);
  });

  it('with lists off, touches no list (and reports none)', async () => {
    const scope = propertiesUpToDate(api());
    const { connector } = harness();
    const report = await connector.setup(TIERS, { lists: false });
    expect(report.lists).toBeUndefined();
    expect(connector.apiCalls).toBe(4);
    expect(scope.isDone()).toBe(false); // the account details were not asked for
    nock.cleanAll();
  });
});
