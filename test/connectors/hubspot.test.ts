/**
 * The HubSpot connector against nock: the exact requests it sends (bodies matched) and what it
 * makes of HubSpot's answers. Waits between retries go through an injected sleep that records
 * them and returns at once, so nothing here waits for real back-off.
 */
import { Client } from '@hubspot/api-client';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import {
  createHubSpotConnector,
  HubSpotDailyLimitError,
  HubSpotError,
  hubSpotOptionsFromEnv,
} from '../../connectors/hubspot/index.ts';
import { api, harness, TIME, TOKEN } from './hubspot-nock.ts';
import { useNock } from '../nock.ts';

function object(id: string, properties: Record<string, string | null>): Record<string, unknown> {
  return { id, properties, createdAt: TIME, updatedAt: TIME, archived: false };
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

// A type alias, not an interface, so nock accepts it as a body matcher (it needs an index signature).
type BatchBody = { inputs: { id: string; properties: Record<string, string> }[] };

/**
 * The batch a request carries. (nock 15 calls reply functions with the fetch `Request`, not the
 * `(uri, body)` pair its README still shows; a two-parameter function is taken as callback style.)
 */
async function sentBatch(request: Request): Promise<BatchBody> {
  return (await request.json()) as BatchBody;
}

/** A 200 batch update answer echoing the records sent. */
async function echo(request: Request): Promise<Record<string, unknown>> {
  const { inputs } = await sentBatch(request);
  return {
    status: 'COMPLETE',
    results: inputs.map((input) => object(input.id, input.properties)),
    startedAt: TIME,
    completedAt: TIME,
  };
}

function batchOf(ids: readonly string[], properties: Record<string, string>): BatchBody {
  return { inputs: ids.map((id) => ({ id, properties })) };
}

const TIER_PROPS = { engagement_model: 'high' };

useNock();

describe('identify', () => {
  it('reads the portal id from the account details', async () => {
    const scope = api()
      .get('/account-info/v3/details')
      .reply(200, { portalId: 4242, accountType: 'STANDARD', timeZone: 'Europe/Paris', uiDomain: 'app.hubspot.com' });
    const { connector } = harness();
    await expect(connector.identify()).resolves.toEqual({ externalId: '4242', name: null });
    expect(connector.apiCalls).toBe(1);
    scope.done();
  });
});

describe('configuration', () => {
  it('reads the token and an optional base URL from the environment', () => {
    expect(hubSpotOptionsFromEnv({ HUBSPOT_ACCESS_TOKEN: 'pat-1' })).toEqual({ accessToken: 'pat-1' });
    expect(
      hubSpotOptionsFromEnv({ HUBSPOT_ACCESS_TOKEN: 'pat-1', HUBSPOT_BASE_URL: 'http://localhost:4010/hubspot' }),
    ).toEqual({ accessToken: 'pat-1', baseUrl: 'http://localhost:4010/hubspot' });
    expect(() => hubSpotOptionsFromEnv({})).toThrow('HUBSPOT_ACCESS_TOKEN is not set');
  });

  it('sends every call to the base URL, path prefix included', async () => {
    const scope = nock('http://sandbox.test')
      .get('/hubspot/account-info/v3/details')
      .reply(200, { portalId: 7, portalName: 'Sandbox' })
      .get('/hubspot/crm/v3/objects/contacts')
      .query({ limit: '100', properties: 'email', archived: 'false' })
      .reply(200, { results: [] });
    const connector = createHubSpotConnector({ accessToken: TOKEN, baseUrl: 'http://sandbox.test/hubspot/' });
    await expect(connector.identify()).resolves.toEqual({ externalId: '7', name: 'Sandbox' });
    expect(await collect(connector.read('contacts', { properties: ['email'] }))).toEqual([]);
    scope.done();
  });
});

describe('setup', () => {
  const tiers = [
    { value: 'tech', label: 'Tech touch' },
    { value: 'high', label: 'High touch' },
  ];
  const options = [
    { label: 'Tech touch', value: 'tech', displayOrder: 0, hidden: false },
    { label: 'High touch', value: 'high', displayOrder: 1, hidden: false },
  ];

  it('creates the group and the five properties on companies and contacts', async () => {
    const expected = [
      {
        name: 'engagement_model',
        label: 'Engagement model',
        groupName: 'engagement_model',
        type: 'enumeration',
        fieldType: 'select',
        formField: true,
        hidden: false,
        options,
        description: 'Set by RightTouch from the engagement-model policy.',
        displayOrder: 0,
      },
      {
        name: 'engagement_model_override',
        label: 'Engagement model override',
        groupName: 'engagement_model',
        type: 'enumeration',
        fieldType: 'select',
        formField: true,
        hidden: false,
        options,
        description:
          'Set by hand to override the engagement model the policy decides. Leave empty to follow the policy.',
        displayOrder: 1,
      },
      {
        name: 'engagement_model_reason',
        label: 'Engagement model reason',
        description: 'Why the policy chose this engagement model (set by RightTouch).',
        groupName: 'engagement_model',
        type: 'string',
        fieldType: 'textarea',
        formField: false,
        hidden: false,
        displayOrder: 2,
      },
      {
        name: 'engagement_model_updated_at',
        label: 'Engagement model updated at',
        description: 'When RightTouch last wrote the engagement model.',
        groupName: 'engagement_model',
        type: 'datetime',
        fieldType: 'date',
        formField: false,
        hidden: false,
        displayOrder: 3,
      },
      {
        name: 'engagement_model_next',
        label: 'Engagement model next tier',
        description: 'What would move the record to the next engagement model up (set by RightTouch).',
        groupName: 'engagement_model',
        type: 'string',
        fieldType: 'text',
        formField: false,
        hidden: false,
        displayOrder: 4,
      },
    ];
    let scope = api();
    for (const type of ['companies', 'contacts']) {
      scope = scope
        .post(`/crm/v3/properties/${type}/groups`, { name: 'engagement_model', label: 'Engagement model' })
        .reply(201, { name: 'engagement_model', label: 'Engagement model', displayOrder: -1, archived: false })
        .get(`/crm/v3/properties/${type}`)
        .reply(200, { results: [] });
      for (const body of expected) {
        scope = scope.post(`/crm/v3/properties/${type}`, body).reply(201, { ...body, options: body.options ?? [] });
      }
    }
    const { connector } = harness();
    const report = await connector.setup(tiers, { lists: false }); // lists: hubspot-lists.test.ts
    expect(report.changes).toEqual(
      ['companies', 'contacts'].flatMap((type) => [
        `created property group engagement_model on ${type}`,
        `created property engagement_model on ${type}`,
        `created property engagement_model_override on ${type}`,
        `created property engagement_model_reason on ${type}`,
        `created property engagement_model_updated_at on ${type}`,
        `created property engagement_model_next on ${type}`,
      ]),
    );
    expect(connector.apiCalls).toBe(14);
    scope.done();
  });

  it('merges the tiers into existing options with a PATCH that keeps every existing option', async () => {
    function property(name: string, type: string, fieldType: string, opts: unknown[] = []): Record<string, unknown> {
      return { name, label: name, type, fieldType, groupName: 'engagement_model', description: '', options: opts };
    }
    const existing = [
      // `tech` is labelled differently; `legacy` is no longer in the policy (and may still be on records).
      { label: 'Tech', value: 'tech', displayOrder: 0, hidden: false },
      { label: 'Legacy', value: 'legacy', displayOrder: 1, hidden: false, description: 'old tier' },
    ];
    const upToDate = [...options];
    const listing = (tierOptions: unknown[]): Record<string, unknown> => ({
      results: [
        property('name', 'string', 'text'),
        property('engagement_model', 'enumeration', 'select', tierOptions),
        property('engagement_model_override', 'enumeration', 'select', upToDate),
        property('engagement_model_reason', 'string', 'textarea'),
        property('engagement_model_updated_at', 'datetime', 'date'),
        property('engagement_model_next', 'string', 'text'),
      ],
    });
    const exists = { status: 'error', message: 'A property group already exists', category: 'OBJECT_ALREADY_EXISTS' };
    const merged = [
      { label: 'Tech touch', value: 'tech', displayOrder: 0, hidden: false },
      { label: 'High touch', value: 'high', displayOrder: 1, hidden: false },
      { label: 'Legacy', value: 'legacy', displayOrder: 2, hidden: false, description: 'old tier' },
    ];
    const scope = api()
      .post('/crm/v3/properties/companies/groups', { name: 'engagement_model', label: 'Engagement model' })
      .reply(409, exists)
      .get('/crm/v3/properties/companies')
      .reply(200, listing(existing))
      .patch('/crm/v3/properties/companies/engagement_model', { options: merged })
      .reply(200, property('engagement_model', 'enumeration', 'select', merged))
      .post('/crm/v3/properties/contacts/groups', { name: 'engagement_model', label: 'Engagement model' })
      .reply(409, exists)
      .get('/crm/v3/properties/contacts')
      .reply(200, listing(upToDate));
    const { connector } = harness();
    const report = await connector.setup(tiers, { lists: false }); // lists: hubspot-lists.test.ts
    expect(report.changes).toEqual([
      'updated options of property engagement_model on companies (added high; relabelled tech)',
    ]);
    scope.done();
  });
});

describe('preflight', () => {
  it('lists missing mapped properties and a missing scope', async () => {
    const names = ['name', 'engagement_model', 'engagement_model_override', 'engagement_model_reason'];
    const scope = api()
      .get('/crm/v3/properties/companies')
      .reply(200, {
        results: names.map((name) => ({
          name,
          label: name,
          type: 'string',
          fieldType: 'text',
          groupName: 'g',
          description: '',
          options: [],
        })),
      })
      .get('/crm/v3/objects/companies')
      .query({ limit: '1', archived: 'false' })
      .reply(200, { results: [object('1', { name: 'Acme' })] })
      .get('/crm/v3/properties/contacts')
      .reply(403, {
        status: 'error',
        message: 'This app hasn\u2019t been granted all required scopes to make this call.',
        category: 'MISSING_SCOPES',
        errors: [{ message: 'missing scopes', context: { requiredGranularScopes: ['crm.objects.contacts.read'] } }],
      })
      .get('/crm/v3/objects/contacts')
      .query({ limit: '1', archived: 'false' })
      .reply(403, { status: 'error', message: 'missing scopes', category: 'MISSING_SCOPES' });
    const { connector } = harness();
    const report = await connector.preflight({ companies: ['name', 'support_plan'], contacts: ['email'] });
    expect(report.missingProperties).toEqual({ companies: ['support_plan'] });
    expect(report.problems).toEqual([
      'companies lack engagement_model_next, engagement_model_updated_at: run setup first',
      'cannot read the contacts properties: the app lacks a scope (needs crm.objects.contacts.read)',
      'cannot read contacts: the app lacks a scope',
    ]);
    scope.done();
  });
});

describe('read', () => {
  it('reads everything through the list endpoint, following the after cursor over 3 pages', async () => {
    const query = { limit: '100', properties: ['name', 'domain'], archived: 'false' };
    const scope = api()
      .get('/crm/v3/objects/companies')
      .query(query)
      .reply(200, {
        results: [object('1', { name: 'A', domain: 'a.example' }), object('2', { name: 'B', domain: null })],
        paging: { next: { after: '3', link: 'x' } },
      })
      .get('/crm/v3/objects/companies')
      .query({ ...query, after: '3' })
      .reply(200, { results: [object('3', { name: 'C', domain: 'c.example' })], paging: { next: { after: '4' } } })
      .get('/crm/v3/objects/companies')
      .query({ ...query, after: '4' })
      .reply(200, { results: [object('4', { name: 'D', domain: 'd.example' })] });
    const { connector } = harness();
    const pages = await collect(connector.read('companies', { properties: ['name', 'domain'] }));
    expect(pages).toEqual([
      [
        { id: '1', properties: { name: 'A', domain: 'a.example' } },
        { id: '2', properties: { name: 'B', domain: null } },
      ],
      [{ id: '3', properties: { name: 'C', domain: 'c.example' } }],
      [{ id: '4', properties: { name: 'D', domain: 'd.example' } }],
    ]);
    expect(connector.apiCalls).toBe(3);
    scope.done();
  });

  it('reads changes through search (GTE, ascending), each page re-keyed from the last time seen', async () => {
    const since = Date.parse('2026-03-01T00:00:00.000Z');
    const t1 = '2026-03-01T10:00:00.000Z';
    const t2 = '2026-03-02T10:00:00.000Z';
    const t3 = '2026-03-03T10:00:00.000Z';
    const t4 = '2026-03-04T10:00:00.000Z';
    const body = (from: number) => ({
      filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(from) }] }],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['email', 'lastmodifieddate'],
      limit: 200,
    });
    const contact = (id: string, time: string): Record<string, unknown> =>
      object(id, { email: `${id}@example.com`, lastmodifieddate: time });
    const scope = api()
      .post('/crm/v3/objects/contacts/search', body(since))
      .reply(200, { total: 5, results: [contact('1', t1), contact('2', t2)], paging: { next: { after: '2' } } })
      // Not `after: 2`: a new query from t2; 2 comes again and is dropped, 3 and 4 follow.
      .post('/crm/v3/objects/contacts/search', body(Date.parse(t2)))
      .reply(200, {
        total: 3,
        results: [contact('2', t2), contact('3', t3), contact('4', t3)],
        paging: { next: { after: '3' } },
      })
      .post('/crm/v3/objects/contacts/search', body(Date.parse(t3)))
      .reply(200, { total: 3, results: [contact('3', t3), contact('4', t3), contact('5', t4)] });
    const { connector } = harness();
    const pages = await collect(connector.read('contacts', { properties: ['email'], modifiedSince: since }));
    expect(pages.map((page) => page.map((c) => c.id))).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(pages[0]?.[0]).toEqual({ id: '1', properties: { email: '1@example.com', lastmodifieddate: t1 } });
    expect(connector.apiCalls).toBe(3);
    scope.done();
  });

  it('walks 10k objects sharing one modified time by id, then goes on strictly after that time', async () => {
    const since = Date.parse('2026-03-01T00:00:00.000Z');
    const t0 = '2026-03-01T00:00:00.000Z';
    const t1 = '2026-03-05T00:00:00.000Z';
    const company = (id: string, time: string): Record<string, unknown> =>
      object(id, { name: id, hs_lastmodifieddate: time });
    const base = {
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['name', 'hs_lastmodifieddate'],
      limit: 200,
    };
    const since0 = [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) }];
    const scope = api()
      .post('/crm/v3/objects/companies/search', { ...base, filterGroups: [{ filters: since0 }] })
      .reply(200, { total: 10_001, results: [company('1', t0), company('2', t0)], paging: { next: { after: '9800' } } })
      .post('/crm/v3/objects/companies/search', { ...base, filterGroups: [{ filters: since0 }], after: '9800' })
      .reply(200, { total: 10_001, results: [company('3', t0)], paging: { next: { after: '10000' } } })
      .post('/crm/v3/objects/companies/search', {
        filterGroups: [
          {
            filters: [
              { propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) },
              { propertyName: 'hs_lastmodifieddate', operator: 'LTE', value: String(since) },
              { propertyName: 'hs_object_id', operator: 'GT', value: '0' },
            ],
          },
        ],
        sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
        properties: ['name', 'hs_lastmodifieddate'],
        limit: 200,
      })
      .reply(200, { total: 4, results: ['1', '2', '3', '4'].map((id) => company(id, t0)) })
      .post('/crm/v3/objects/companies/search', {
        ...base,
        filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GT', value: String(since) }] }],
      })
      .reply(200, { total: 1, results: [company('5', t1)] });
    const { connector } = harness();
    const pages = await collect(connector.read('companies', { properties: ['name'], modifiedSince: since }));
    expect(pages.map((page) => page.map((c) => c.id))).toEqual([['1', '2'], ['3'], ['4'], ['5']]);
    scope.done();
  });
});

describe('readDeals', () => {
  it('takes the primary company from the list endpoint associations', async () => {
    const scope = api()
      .get('/crm/v3/objects/deals')
      .query({ limit: '100', properties: 'amount', associations: 'companies', archived: 'false' })
      .reply(200, {
        results: [
          {
            ...object('d1', { amount: '100' }),
            associations: {
              companies: {
                results: [
                  { id: '9', type: 'deal_to_company_unlabeled' },
                  { id: '1', type: 'deal_to_company' },
                  { id: '1', type: 'deal_to_company_unlabeled' },
                ],
              },
            },
          },
          object('d2', { amount: '200' }),
          {
            ...object('d3', { amount: null }),
            associations: { companies: { results: [{ id: '7', type: 'deal_to_company_unlabeled' }] } },
          },
        ],
      });
    const { connector } = harness();
    const pages = await collect(connector.readDeals({ properties: ['amount'] }));
    expect(pages).toEqual([
      [
        { id: 'd1', properties: { amount: '100' }, companyId: '1' },
        { id: 'd2', properties: { amount: '200' }, companyId: null },
        // No primary association: the first company, so the deal still counts (once).
        { id: 'd3', properties: { amount: null }, companyId: '7' },
      ],
    ]);
    scope.done();
  });

  it('fetches associations for searched deals through the associations v4 batch read', async () => {
    const since = Date.parse('2026-03-01T00:00:00.000Z');
    const t = '2026-03-02T00:00:00.000Z';
    const scope = api()
      .post('/crm/v3/objects/deals/search', {
        filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) }] }],
        sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
        properties: ['amount', 'hs_lastmodifieddate'],
        limit: 200,
      })
      .reply(200, {
        total: 2,
        results: [
          object('d1', { amount: '5', hs_lastmodifieddate: t }),
          object('d2', { amount: '6', hs_lastmodifieddate: t }),
        ],
      })
      .post('/crm/v4/associations/deals/companies/batch/read', { inputs: [{ id: 'd1' }, { id: 'd2' }] })
      .reply(207, {
        status: 'COMPLETE',
        results: [
          {
            from: { id: 'd1' }, // `_from` in the SDK's types
            to: [
              { toObjectId: 11, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 341, label: null }] },
              {
                toObjectId: 12,
                associationTypes: [
                  { category: 'HUBSPOT_DEFINED', typeId: 5, label: 'Primary' },
                  { category: 'HUBSPOT_DEFINED', typeId: 341, label: null },
                ],
              },
            ],
          },
        ],
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'No associations',
            context: { fromObjectId: ['d2'] },
          },
        ],
        startedAt: TIME,
        completedAt: TIME,
      });
    const { connector } = harness();
    const pages = await collect(connector.readDeals({ properties: ['amount'], modifiedSince: since }));
    expect(pages).toEqual([
      [
        { id: 'd1', properties: { amount: '5', hs_lastmodifieddate: t }, companyId: '12' },
        { id: 'd2', properties: { amount: '6', hs_lastmodifieddate: t }, companyId: null },
      ],
    ]);
    expect(connector.apiCalls).toBe(2);
    scope.done();
  });
});

describe('readByIds', () => {
  it('batch-reads the named records 100 per call; records HubSpot no longer has are left out', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => String(i + 1));
    const scope = api()
      .post('/crm/v3/objects/companies/batch/read', {
        inputs: ids.slice(0, 100).map((id) => ({ id })),
        properties: ['annualrevenue'],
        propertiesWithHistory: [],
      })
      .query({ archived: 'false' })
      .reply(207, {
        status: 'COMPLETE',
        results: ids.slice(1, 100).map((id) => object(id, { annualrevenue: '10' })),
        numErrors: 1,
        errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'gone', context: { ids: ['1'] } }],
        startedAt: TIME,
        completedAt: TIME,
      })
      .post('/crm/v3/objects/companies/batch/read', {
        inputs: [{ id: '101' }],
        properties: ['annualrevenue'],
        propertiesWithHistory: [],
      })
      .query({ archived: 'false' })
      .reply(200, {
        status: 'COMPLETE',
        results: [object('101', { annualrevenue: null })],
        startedAt: TIME,
        completedAt: TIME,
      });
    const { connector } = harness();
    if (connector.readByIds === undefined) throw new Error('the HubSpot connector reads by id');
    const pages = await collect(connector.readByIds('companies', [...ids, '101'], ['annualrevenue']));
    expect(pages.map((page) => page.length)).toEqual([99, 1]);
    expect(pages[1]).toEqual([{ id: '101', properties: { annualrevenue: null } }]);
    expect(pages.flat().some((record) => record.id === '1')).toBe(false);
    expect(connector.apiCalls).toBe(2);
    scope.done();
  });

  it('reads named deals with their primary company (associations v4)', async () => {
    const scope = api()
      .post('/crm/v3/objects/deals/batch/read', {
        inputs: [{ id: 'd1' }],
        properties: ['amount'],
        propertiesWithHistory: [],
      })
      .query({ archived: 'false' })
      .reply(200, {
        status: 'COMPLETE',
        results: [object('d1', { amount: '30000' })],
        startedAt: TIME,
        completedAt: TIME,
      })
      .post('/crm/v4/associations/deals/companies/batch/read', { inputs: [{ id: 'd1' }] })
      .reply(200, {
        status: 'COMPLETE',
        results: [
          {
            from: { id: 'd1' },
            to: [{ toObjectId: 42, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 5, label: 'Primary' }] }],
          },
        ],
        startedAt: TIME,
        completedAt: TIME,
      });
    const { connector } = harness();
    if (connector.readDealsByIds === undefined) throw new Error('the HubSpot connector reads deals by id');
    const pages = await collect(connector.readDealsByIds(['d1'], ['amount']));
    expect(pages).toEqual([[{ id: 'd1', properties: { amount: '30000' }, companyId: '42' }]]);
    scope.done();
  });
});

describe('update', () => {
  it('writes 150 records in two batches, 100 then 50', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => String(i + 1));
    const scope = api()
      .post('/crm/v3/objects/companies/batch/update', batchOf(ids.slice(0, 100), TIER_PROPS))
      .reply(200, echo)
      .post('/crm/v3/objects/companies/batch/update', batchOf(ids.slice(100), TIER_PROPS))
      .reply(200, echo);
    const { connector } = harness();
    const result = await connector.update(
      'company',
      ids.map((id) => ({ id, properties: TIER_PROPS })),
    );
    expect(result).toEqual({ written: ids, rejected: [] });
    expect(connector.apiCalls).toBe(2);
    scope.done();
  });

  it('bisects a batch HubSpot refuses with a 400 down to the bad record', async () => {
    const invalid = {
      status: 'error',
      message: 'Property values were not valid: "nope" was not one of the allowed options',
      category: 'VALIDATION_ERROR',
      correlationId: 'c0ffee',
    };
    const sent: string[][] = [];
    const record = (status: number) => async (request: Request) => {
      sent.push((await sentBatch(request.clone())).inputs.map((input) => input.id));
      return [status, status === 200 ? await echo(request) : invalid] as const;
    };
    const props = (id: string): Record<string, string> => ({ engagement_model: id === 'c' ? 'nope' : 'high' });
    const batch = (ids: string[]): BatchBody => ({ inputs: ids.map((id) => ({ id, properties: props(id) })) });
    const scope = api()
      .post('/crm/v3/objects/contacts/batch/update', batch(['a', 'b', 'c', 'd']))
      .reply(record(400))
      .post('/crm/v3/objects/contacts/batch/update', batch(['a', 'b']))
      .reply(record(200))
      .post('/crm/v3/objects/contacts/batch/update', batch(['c', 'd']))
      .reply(record(400))
      .post('/crm/v3/objects/contacts/batch/update', batch(['c']))
      .reply(record(400))
      .post('/crm/v3/objects/contacts/batch/update', batch(['d']))
      .reply(record(200));
    const { connector, sleeps } = harness();
    const result = await connector.update(
      'contact',
      ['a', 'b', 'c', 'd'].map((id) => ({ id, properties: props(id) })),
    );
    expect(sent).toEqual([['a', 'b', 'c', 'd'], ['a', 'b'], ['c', 'd'], ['c'], ['d']]);
    expect(result).toEqual({ written: ['a', 'b', 'd'], rejected: [{ id: 'c', error: invalid.message }] });
    expect(sleeps).toEqual([]); // a 400 is not retried, only split
    scope.done();
  });

  it('reads a structured errors[] too: every record setting a property HubSpot lacks is rejected at once', async () => {
    const props = { engagement_model: 'high', bogus: 'x' };
    const scope = api()
      .post('/crm/v3/objects/companies/batch/update', batchOf(['1', '2', '3'], props))
      .reply(400, {
        status: 'error',
        message: 'Property values were not valid',
        category: 'VALIDATION_ERROR',
        errors: [
          {
            message: 'Property "bogus" does not exist',
            code: 'PROPERTY_DOESNT_EXIST',
            context: { propertyName: ['bogus'] },
          },
        ],
      });
    const { connector } = harness();
    const result = await connector.update(
      'company',
      ['1', '2', '3'].map((id) => ({ id, properties: props })),
    );
    expect(result.written).toEqual([]);
    expect(result.rejected.map((r) => r.id)).toEqual(['1', '2', '3']);
    expect(connector.apiCalls).toBe(1);
    scope.done();
  });

  it('rejects the ids a 207 names and counts the rest as written', async () => {
    const scope = api()
      .post('/crm/v3/objects/companies/batch/update', batchOf(['1', '2', '3'], TIER_PROPS))
      .reply(207, {
        status: 'COMPLETE',
        results: [object('1', TIER_PROPS), object('3', TIER_PROPS)],
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'Object not found. objectId are usually numeric.',
            context: { ids: ['2'] },
            errors: [],
            links: {},
          },
        ],
        startedAt: TIME,
        completedAt: TIME,
      });
    const { connector } = harness();
    const result = await connector.update(
      'company',
      ['1', '2', '3'].map((id) => ({ id, properties: TIER_PROPS })),
    );
    expect(result).toEqual({
      written: ['1', '3'],
      rejected: [{ id: '2', error: 'Object not found. objectId are usually numeric.' }],
    });
    scope.done();
  });
});

describe('rate limits and retries', () => {
  const rateLimited = (policyName: string, message: string): Record<string, unknown> => ({
    status: 'error',
    message,
    errorType: 'RATE_LIMIT',
    correlationId: 'c0ffee',
    policyName,
  });

  it('waits out the 10-second window after a TEN_SECONDLY_ROLLING 429, then retries', async () => {
    const scope = api()
      .post('/crm/v3/objects/companies/batch/update', batchOf(['1'], TIER_PROPS))
      .reply(429, rateLimited('TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.'))
      .post('/crm/v3/objects/companies/batch/update', batchOf(['1'], TIER_PROPS))
      .reply(200, echo);
    const { connector, sleeps, warnings } = harness();
    const result = await connector.update('company', [{ id: '1', properties: TIER_PROPS }]);
    expect(result).toEqual({ written: ['1'], rejected: [] });
    expect(sleeps).toEqual([10_000]);
    expect(connector.apiCalls).toBe(2);
    expect(connector.rateLimited).toBe(1);
    expect(warnings.join('\n')).not.toContain(TOKEN);
    scope.done();
  });

  it('waits about a second after a SECONDLY 429 on search', async () => {
    const body = {
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['name', 'hs_lastmodifieddate'],
      limit: 200,
    };
    const scope = api()
      .post('/crm/v3/objects/companies/search', body)
      .reply(429, rateLimited('SECONDLY', 'You have reached your secondly limit.'))
      .post('/crm/v3/objects/companies/search', body)
      .reply(200, { total: 0, results: [] });
    const { connector, sleeps } = harness();
    expect(await collect(connector.read('companies', { properties: ['name'], modifiedSince: 0 }))).toEqual([]);
    expect(sleeps).toEqual([1000]);
    scope.done();
  });

  it('stops on a DAILY 429 with a clear error and no retry', async () => {
    const scope = api()
      .post('/crm/v3/objects/contacts/batch/update', batchOf(['1'], TIER_PROPS))
      .reply(429, rateLimited('DAILY', 'You have reached your daily limit.'));
    const { connector, sleeps } = harness();
    const update = connector.update('contact', [{ id: '1', properties: TIER_PROPS }]);
    await expect(update).rejects.toThrow(HubSpotDailyLimitError);
    await expect(update).rejects.toThrow(/daily API limit reached/);
    expect(sleeps).toEqual([]);
    expect(connector.apiCalls).toBe(1);
    scope.done();
  });

  it('retries 5xx with exponential back-off, whatever the body', async () => {
    const query = { limit: '100', properties: 'name', archived: 'false' };
    const scope = api()
      .get('/crm/v3/objects/companies')
      .query(query)
      .reply(502, '<html>Bad gateway</html>', { 'content-type': 'text/html' })
      .get('/crm/v3/objects/companies')
      .query(query)
      .reply(503, { status: 'error', message: 'Service unavailable', category: 'INTERNAL_ERROR' })
      .get('/crm/v3/objects/companies')
      .query(query)
      .reply(200, { results: [object('1', { name: 'A' })] });
    const { connector, sleeps } = harness({ backoffMs: 100 });
    const pages = await collect(connector.read('companies', { properties: ['name'] }));
    expect(pages).toEqual([[{ id: '1', properties: { name: 'A' } }]]);
    expect(sleeps).toEqual([100, 200]);
    expect(connector.apiCalls).toBe(3);
    scope.done();
  });

  it('gives up after its retries and throws the last 5xx', async () => {
    const scope = api()
      .post('/crm/v3/objects/companies/batch/update', batchOf(['1'], TIER_PROPS))
      .times(3)
      .reply(500, { status: 'error', message: 'internal error', category: 'INTERNAL_ERROR' });
    const { connector, sleeps } = harness({ retries: 2, backoffMs: 10 });
    const update = connector.update('company', [{ id: '1', properties: TIER_PROPS }]);
    await expect(update).rejects.toThrow(HubSpotError);
    await expect(update).rejects.toThrow(
      'HubSpot batch update of 1 companies failed (500 INTERNAL_ERROR): internal error',
    );
    expect(sleeps).toEqual([10, 20]);
    scope.done();
  });

  it('retries a request that times out', async () => {
    const query = { limit: '100', properties: 'name', archived: 'false' };
    const scope = api()
      .get('/crm/v3/objects/companies')
      .query(query)
      .delay(300)
      .reply(200, { results: [] })
      .get('/crm/v3/objects/companies')
      .query(query)
      .reply(200, { results: [object('1', { name: 'A' })] });
    const { connector, sleeps } = harness({ requestTimeoutMs: 50, backoffMs: 1 });
    const pages = await collect(connector.read('companies', { properties: ['name'] }));
    expect(pages).toEqual([[{ id: '1', properties: { name: 'A' } }]]);
    expect(sleeps).toEqual([1]);
    scope.done();
  });

  it('is not slowed by the SDK limiter of another client created later in the process', async () => {
    const query = { limit: '100', properties: 'name', archived: 'false' };
    const scope = api()
      .get('/crm/v3/objects/companies')
      .query(query)
      .reply(200, { results: [object('1', { name: 'A' })], paging: { next: { after: '2' } } })
      .get('/crm/v3/objects/companies')
      .query({ ...query, after: '2' })
      .reply(200, { results: [object('2', { name: 'B' })] });
    const { connector } = harness();
    // The SDK keeps limiter/retry decorators in a process-wide singleton that each `new Client()`
    // overwrites and that API objects pick up when first touched (reference §4.5). This client
    // would space calls 2 s apart; our connector pinned its APIs before it existed.
    const other = new Client({ accessToken: 'someone-else', limiterOptions: { minTime: 2000, maxConcurrent: 1 } });
    expect(other.crm.objects).toBeDefined();
    const started = performance.now();
    expect(await collect(connector.read('companies', { properties: ['name'] }))).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(1000);
    scope.done();
  });
});
