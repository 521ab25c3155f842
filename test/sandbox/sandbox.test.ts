/**
 * The sandbox CRM driven by the real `@hubspot/api-client` v14 (basePath → the sandbox on a free
 * loopback port): every assertion is about what the SDK receives, as the connector would.
 */
import {
  BatchInputPublicFetchAssociationsBatchRequest,
  PublicFetchAssociationsBatchRequest,
} from '@hubspot/api-client/lib/codegen/crm/associations/v4/index.js';
import { FilterOperatorEnum, type Filter } from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import {
  OptionInput,
  PropertyCreate,
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
  PropertyGroupCreate,
  PropertyUpdate,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generatePortal, mutate } from '../../sandbox/hubspot/generate.ts';
import type { CrmRecord, Portal } from '../../sandbox/hubspot/model.ts';
import {
  errorCodes,
  failure,
  messageEntries,
  filter,
  model,
  reads,
  searchBody,
  sortBy,
  start,
  updates,
  type Harness,
} from './helpers.ts';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const SIZE = { companies: 250, contacts: 1000, deals: 400 };

let clock = NOW;
let portal: Portal;
let h: Harness;

beforeAll(async () => {
  portal = generatePortal({ seed: 7, ...SIZE, now: NOW });
  h = await start({ portal, limits: false, now: () => clock });
});

afterAll(async () => {
  await h.running.close();
});

beforeEach(() => {
  clock += 60_000;
});

function record(type: 'companies' | 'contacts' | 'deals', id: string): CrmRecord {
  const found = portal.objects[type].records.get(id);
  if (found === undefined) throw new Error(`no ${type} ${id}`);
  return found;
}

function firstIds(type: 'companies' | 'contacts' | 'deals', count: number, skip = 0): string[] {
  return portal.objects[type].order.slice(skip, skip + count).map(String);
}

describe('list (GET /crm/v3/objects/{type})', () => {
  it('pages through every company with limit 100 and the after cursor', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await h.client.crm.companies.basicApi.getPage(100, after);
      ids.push(...page.results.map((c) => c.id));
      after = page.paging?.next?.after;
      pages++;
    } while (after !== undefined);
    expect(ids).toHaveLength(SIZE.companies);
    expect(new Set(ids).size).toBe(SIZE.companies);
    expect(pages).toBe(3);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
  });

  it('defaults to 10 results and refuses a limit over 100', async () => {
    const page = await h.client.crm.contacts.basicApi.getPage();
    expect(page.results).toHaveLength(10);
    expect(page.paging?.next?.link).toContain('/crm/v3/objects/contacts?');
    const refused = await failure(h.client.crm.contacts.basicApi.getPage(101));
    expect(refused.code).toBe(400);
    expect(refused.body['category']).toBe('VALIDATION_ERROR');
  });

  it('returns only the properties asked for, plus the ones HubSpot always returns', async () => {
    const page = await h.client.crm.objects.basicApi.getPage('companies', 20, undefined, [
      'annualrevenue',
      'support_plan',
      'no_such_property',
    ]);
    for (const company of page.results) {
      expect(Object.keys(company.properties).sort()).toEqual(
        ['annualrevenue', 'createdate', 'hs_lastmodifieddate', 'hs_object_id', 'support_plan'].sort(),
      );
      const stored = record('companies', company.id);
      expect(company.properties['annualrevenue']).toBe(stored.properties['annualrevenue']);
      expect(company.properties['hs_object_id']).toBe(company.id);
      expect(company.updatedAt.getTime()).toBe(stored.updatedAt);
      expect(company.properties['hs_lastmodifieddate']).toBe(new Date(stored.updatedAt).toISOString());
    }
    // Contacts use lastmodifieddate; without `properties` the defaults come back.
    const contacts = await h.client.crm.contacts.basicApi.getPage(3);
    expect(Object.keys(contacts.results[0]?.properties ?? {}).sort()).toEqual(
      ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'].sort(),
    );
  });

  it('accepts properties as repeated or comma-separated query parameters', async () => {
    const url = `${h.running.url}/crm/v3/objects/contacts?limit=2&properties=hubspotscore,email&properties=prefers_digital`;
    const response = await fetch(url, { headers: { authorization: 'Bearer t' } });
    const body = (await response.json()) as { results: { properties: Record<string, unknown> }[] };
    expect(Object.keys(body.results[0]?.properties ?? {})).toEqual(
      expect.arrayContaining(['hubspotscore', 'email', 'prefers_digital', 'lastmodifieddate']),
    );
  });

  it('includes each deal’s primary company as an inline association', async () => {
    const page = await h.client.crm.deals.basicApi.getPage(100, undefined, ['amount'], undefined, ['companies']);
    expect(page.results).toHaveLength(100);
    for (const deal of page.results) {
      const expected = record('deals', deal.id).companyId;
      expect(expected).not.toBeNull();
      expect(deal.associations?.['companies']?.results).toEqual([
        { id: expected, type: 'deal_to_company' },
        { id: expected, type: 'deal_to_company_unlabeled' },
      ]);
    }
  });

  it('answers associations v4 batch reads with the primary type id', async () => {
    const ids = firstIds('deals', 5);
    const response = await h.client.crm.associations.v4.batchApi.getPage(
      'deals',
      'companies',
      model(BatchInputPublicFetchAssociationsBatchRequest, {
        inputs: ids.map((id) => model(PublicFetchAssociationsBatchRequest, { id })),
      }),
    );
    expect(response.results.map((row) => row._from.id).sort()).toEqual([...ids].sort());
    for (const row of response.results) {
      expect(String(row.to[0]?.toObjectId)).toBe(record('deals', row._from.id).companyId);
      expect(row.to[0]?.associationTypes.map((t) => t.typeId)).toEqual([5, 341]);
    }
  });
});

describe('search (POST /crm/v3/objects/{type}/search)', () => {
  it('pages through contacts modified at or after a time, ascending by lastmodifieddate', async () => {
    const cutoff = NOW - 20 * 86_400_000;
    const expected = [...portal.objects.contacts.records.values()].filter((c) => c.updatedAt >= cutoff);
    expect(expected.length).toBeGreaterThan(50);
    const seen: string[] = [];
    const times: number[] = [];
    let after: string | undefined;
    let total: number | undefined;
    do {
      const page = await h.client.crm.objects.searchApi.doSearch(
        'contacts',
        searchBody([[filter('lastmodifieddate', FilterOperatorEnum.Gte, String(cutoff))]], {
          sorts: [sortBy('lastmodifieddate')],
          properties: ['hubspotscore'],
          limit: 40,
          ...(after === undefined ? {} : { after }),
        }),
      );
      total = page.total;
      for (const contact of page.results) {
        seen.push(contact.id);
        times.push(Date.parse(contact.properties['lastmodifieddate'] ?? ''));
        expect(Object.keys(contact.properties).sort()).toEqual(
          ['createdate', 'hs_object_id', 'hubspotscore', 'lastmodifieddate'].sort(),
        );
      }
      after = page.paging?.next?.after;
    } while (after !== undefined);
    expect(total).toBe(expected.length);
    expect(seen.sort()).toEqual(expected.map((c) => c.id).sort());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a keyset page (one GT/GTE filter on the sort property) finds what the same filter among others finds', async () => {
    const times = [...portal.objects.contacts.records.values()].map((c) => c.updatedAt).sort((a, b) => a - b);
    const at = String(times[Math.floor(times.length / 2)]);
    for (const operator of [FilterOperatorEnum.Gt, FilterOperatorEnum.Gte]) {
      const ids = async (filters: Filter[]): Promise<[number, string[]]> => {
        const page = await h.client.crm.objects.searchApi.doSearch(
          'contacts',
          searchBody([filters], { sorts: [sortBy('lastmodifieddate')], limit: 200 }),
        );
        return [page.total, page.results.map((c) => c.id)];
      };
      const keyset = await ids([filter('lastmodifieddate', operator, at)]);
      // A second, always-true filter takes the general path (filter every record, in index order).
      const general = await ids([
        filter('lastmodifieddate', operator, at),
        filter('hs_object_id', FilterOperatorEnum.HasProperty),
      ]);
      expect(keyset).toEqual(general);
      expect(keyset[0]).toBe(
        times.filter((t) => (operator === FilterOperatorEnum.Gt ? t > Number(at) : t >= Number(at))).length,
      );
    }
  });

  it('filters companies on hs_lastmodifieddate with GTE and LT together, sorted descending', async () => {
    const from = NOW - 60 * 86_400_000;
    const to = NOW - 10 * 86_400_000;
    const page = await h.client.crm.objects.searchApi.doSearch(
      'companies',
      searchBody(
        [
          [
            filter('hs_lastmodifieddate', FilterOperatorEnum.Gte, String(from)),
            filter('hs_lastmodifieddate', FilterOperatorEnum.Lt, String(to)),
          ],
        ],
        { sorts: ['-hs_lastmodifieddate'], limit: 200 },
      ),
    );
    const expected = [...portal.objects.companies.records.values()].filter(
      (c) => c.updatedAt >= from && c.updatedAt < to,
    );
    expect(page.total).toBe(expected.length);
    const times = page.results.map((c) => c.updatedAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(Object.keys(page.results[0]?.properties ?? {})).toContain('domain'); // default properties
  });

  it('supports EQ on an enumeration, HAS_PROPERTY, NOT_HAS_PROPERTY and OR between groups', async () => {
    const premier = await h.client.crm.objects.searchApi.doSearch(
      'companies',
      searchBody([[filter('support_plan', FilterOperatorEnum.Eq, 'premier')]], { limit: 0 }),
    );
    const all = [...portal.objects.companies.records.values()];
    expect(premier.total).toBe(all.filter((c) => c.properties['support_plan'] === 'premier').length);
    const either = await h.client.crm.objects.searchApi.doSearch(
      'companies',
      searchBody([
        [filter('support_plan', FilterOperatorEnum.HasProperty)],
        [filter('annualrevenue', FilterOperatorEnum.NotHasProperty)],
      ]),
    );
    const expected = all.filter((c) => c.properties['support_plan'] !== '' || !c.properties['annualrevenue']);
    expect(either.total).toBe(expected.length);
    expect(either.results).toHaveLength(10); // default page size
  });

  it('refuses a limit over 200 and an unknown filter property', async () => {
    expect((await failure(h.client.crm.objects.searchApi.doSearch('deals', searchBody([], { limit: 201 })))).code).toBe(
      400,
    );
    const unknown = await failure(
      h.client.crm.objects.searchApi.doSearch('deals', searchBody([[filter('nope', FilterOperatorEnum.Eq, '1')]])),
    );
    expect(unknown.code).toBe(400);
    expect(errorCodes(unknown.body)).toEqual(['PROPERTY_DOESNT_EXIST']);
  });
});

describe('the 10,000-result search cap', () => {
  let big: Harness;
  beforeAll(async () => {
    big = await start({
      portal: generatePortal({ seed: 2, companies: 50, contacts: 10_300, deals: 0, now: NOW }),
      limits: false,
    });
  });
  afterAll(async () => {
    await big.running.close();
  });

  it('pages up to 10,000 and answers 400 beyond, while total counts every match', async () => {
    const request = { sorts: [sortBy('hs_object_id')], limit: 200 };
    const last = await big.client.crm.objects.searchApi.doSearch(
      'contacts',
      searchBody([], { ...request, after: '9800' }),
    );
    expect(last.total).toBe(10_300);
    expect(last.results).toHaveLength(200);
    expect(last.paging?.next?.after).toBe('10000');
    const beyond = await failure(
      big.client.crm.objects.searchApi.doSearch('contacts', searchBody([], { ...request, after: '10000' })),
    );
    expect(beyond.code).toBe(400);
    expect(beyond.body['category']).toBe('VALIDATION_ERROR');
    expect(beyond.body['status']).toBe('error');
    expect(typeof beyond.body['correlationId']).toBe('string');
  });

  it('makes the cap configurable, and the list endpoint has none', async () => {
    const small = await start({
      portal: generatePortal({ seed: 3, companies: 30, contacts: 0, deals: 0, now: NOW }),
      searchCap: 20,
      limits: false,
    });
    try {
      const first = await small.client.crm.objects.searchApi.doSearch(
        'companies',
        searchBody([], { limit: 10, after: '10' }),
      );
      expect(first.paging?.next?.after).toBe('20');
      const beyond = small.client.crm.objects.searchApi.doSearch(
        'companies',
        searchBody([], { limit: 10, after: '20' }),
      );
      expect((await failure(beyond)).code).toBe(400);
      const listed = await small.client.crm.companies.basicApi.getPage(100);
      expect(listed.results).toHaveLength(30);
    } finally {
      await small.running.close();
    }
  });
});

describe('batch read and update', () => {
  it('reads a batch; missing ids come back as a 207 error naming them', async () => {
    const ids = firstIds('contacts', 3);
    const read = await h.client.crm.objects.batchApi.readWithHttpInfo(
      'contacts',
      reads([...ids, '999'], ['hubspotscore']),
    );
    expect(read.httpStatusCode).toBe(207);
    expect(read.data.results.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(read.data.results[0]?.properties['hubspotscore']).toBe(
      record('contacts', ids[0] ?? '').properties['hubspotscore'],
    );
    const errors = 'errors' in read.data ? read.data.errors : undefined;
    expect(errors?.map((e) => [e.category, e.context])).toEqual([['OBJECT_NOT_FOUND', { ids: ['999'] }]]);
    const complete = await h.client.crm.objects.batchApi.readWithHttpInfo('contacts', reads(ids, []));
    expect(complete.httpStatusCode).toBe(200);
  });

  it('updates 100 companies and bumps their last-modified time', async () => {
    const ids = firstIds('companies', 100);
    const response = await h.client.crm.objects.batchApi.update(
      'companies',
      updates(ids.map((id, i) => [id, { support_plan: i % 2 === 0 ? 'premier' : 'basic', annualrevenue: '1000' }])),
    );
    expect(response.status).toBe('COMPLETE');
    expect(response.results).toHaveLength(100);
    expect('errors' in response).toBe(false);
    ids.forEach((id, i) => {
      const stored = record('companies', id);
      expect(stored.properties['support_plan']).toBe(i % 2 === 0 ? 'premier' : 'basic');
      expect(stored.updatedAt).toBe(clock);
    });
    const found = await h.client.crm.objects.searchApi.doSearch(
      'companies',
      searchBody([[filter('hs_lastmodifieddate', FilterOperatorEnum.Gte, String(clock))]]),
    );
    expect(found.total).toBe(100);
  });

  it('refuses a batch of 101 and writes nothing', async () => {
    const ids = firstIds('companies', 101, 100);
    const refused = await failure(
      h.client.crm.objects.batchApi.update('companies', updates(ids.map((id) => [id, { name: 'Renamed' }]))),
    );
    expect(refused.code).toBe(400);
    expect(refused.body['category']).toBe('VALIDATION_ERROR');
    expect(ids.some((id) => record('companies', id).properties['name'] === 'Renamed')).toBe(false);
  });

  it('refuses the whole batch for one unknown property or invalid option', async () => {
    const [a = '', b = '', c = ''] = firstIds('companies', 3, 150);
    const before = record('companies', a).properties['support_plan'];
    const unknown = await failure(
      h.client.crm.objects.batchApi.update(
        'companies',
        updates([
          [a, { support_plan: 'standard' }],
          [b, { no_such_prop: 'x' }],
        ]),
      ),
    );
    expect(unknown.code).toBe(400);
    expect(unknown.body['category']).toBe('VALIDATION_ERROR');
    // As HubSpot sends it: the details as JSON inside `message`, no structured `errors[]`.
    expect(unknown.body['errors']).toBeUndefined();
    expect(messageEntries(unknown.body)).toEqual([
      {
        isValid: false,
        message: 'Property "no_such_prop" does not exist',
        error: 'PROPERTY_DOESNT_EXIST',
        name: 'no_such_prop',
        localizedErrorMessage: 'Property "no_such_prop" does not exist',
        portalId: portal.portalId,
      },
    ]);
    expect(record('companies', a).properties['support_plan']).toBe(before);

    const option = await failure(
      h.client.crm.objects.batchApi.update(
        'companies',
        updates([
          [a, { support_plan: 'standard' }],
          [c, { support_plan: 'Premier' }], // options are case-sensitive
        ]),
      ),
    );
    expect(option.code).toBe(400);
    expect(messageEntries(option.body)).toEqual([
      {
        isValid: false,
        message: 'Premier was not one of the allowed options: [basic, standard, premier]',
        error: 'INVALID_OPTION',
        name: 'support_plan',
      },
    ]);
    expect(record('companies', a).properties['support_plan']).toBe(before);

    // Several bad records: one entry per refused value, in input order, none naming its record.
    const several = await failure(
      h.client.crm.objects.batchApi.update(
        'companies',
        updates([
          [c, { support_plan: 'gold' }],
          [a, { support_plan: 'standard' }],
          [b, { support_plan: 'silver', annualrevenue: 'lots' }],
        ]),
      ),
    );
    expect(several.code).toBe(400);
    expect(messageEntries(several.body).map((e) => [e['name'], e['error'], e['message']])).toEqual([
      ['support_plan', 'INVALID_OPTION', 'gold was not one of the allowed options: [basic, standard, premier]'],
      ['support_plan', 'INVALID_OPTION', 'silver was not one of the allowed options: [basic, standard, premier]'],
      ['annualrevenue', 'INVALID_LONG', 'lots was not a valid long.'],
    ]);
    expect(JSON.stringify(several.body)).not.toContain(b);
  });

  it('refuses duplicate ids (400) and unknown ids (404) without writing', async () => {
    const [a = '', b = ''] = firstIds('contacts', 2, 10);
    const duplicate = await failure(
      h.client.crm.objects.batchApi.update(
        'contacts',
        updates([
          [a, { firstname: '1' }],
          [a, { firstname: '2' }],
        ]),
      ),
    );
    expect(duplicate.code).toBe(400);
    expect(duplicate.body['message']).toContain('Duplicate IDs found in batch input');
    const missing = await failure(
      h.client.crm.objects.batchApi.update(
        'contacts',
        updates([
          [b, { firstname: '55' }],
          ['424242', { firstname: '56' }],
        ]),
      ),
    );
    expect(missing.code).toBe(404);
    expect(missing.body['category']).toBe('OBJECT_NOT_FOUND');
    expect(missing.body['context']).toEqual({ ids: ['424242'] });
    expect(record('contacts', b).properties['firstname']).not.toBe('55');
  });

  it('refuses writes to HubSpot-computed properties', async () => {
    const [deal = ''] = firstIds('deals', 1);
    const refused = await failure(
      h.client.crm.objects.batchApi.update('deals', updates([[deal, { hs_is_closed_won: 'true' }]])),
    );
    expect(messageEntries(refused.body).map((e) => e['error'])).toEqual(['READ_ONLY_VALUE']);
  });
});

describe('properties and groups', () => {
  const tierOptions = [
    model(OptionInput, { label: 'Tech touch', value: 'tech_touch', displayOrder: 0, hidden: false }),
    model(OptionInput, { label: 'High touch', value: 'high_touch', displayOrder: 1, hidden: false }),
  ];

  it('lists the seeded standard properties', async () => {
    const companies = await h.client.crm.properties.coreApi.getAll('companies');
    const names = companies.results.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'annualrevenue',
        'numberofemployees',
        'lifecyclestage',
        'support_plan',
        'prefers_digital',
      ]),
    );
    const plan = await h.client.crm.properties.coreApi.getByName('companies', 'support_plan');
    expect(plan.options.map((o) => o.value)).toEqual(['basic', 'standard', 'premier']);
    const deals = await h.client.crm.properties.coreApi.getAll('deals');
    expect(deals.results.map((p) => p.name)).toEqual(
      expect.arrayContaining(['amount', 'closedate', 'hs_is_closed', 'hs_is_closed_won', 'dealstage']),
    );
  });

  it('creates a group (201), then answers 409 for the same name', async () => {
    const group = await h.client.crm.properties.groupsApi.create(
      'companies',
      model(PropertyGroupCreate, { name: 'engagement_model', label: 'Engagement model', displayOrder: -1 }),
    );
    expect(group).toMatchObject({ name: 'engagement_model', label: 'Engagement model', archived: false });
    const again = await failure(
      h.client.crm.properties.groupsApi.create(
        'companies',
        model(PropertyGroupCreate, { name: 'engagement_model', label: 'Again' }),
      ),
    );
    expect(again.code).toBe(409);
    expect(again.body['category']).toBe('OBJECT_ALREADY_EXISTS');
    const groups = await h.client.crm.properties.groupsApi.getAll('companies');
    expect(groups.results.map((g) => g.name)).toContain('engagement_model');
  });

  it('creates a property (201), answers 409 for the same name, and PATCH replaces the options', async () => {
    const definition = model(PropertyCreate, {
      name: 'engagement_model',
      label: 'Engagement model',
      groupName: 'engagement_model',
      type: PropertyCreateTypeEnum.Enumeration,
      fieldType: PropertyCreateFieldTypeEnum.Select,
      formField: true,
      hidden: false,
      options: tierOptions,
    });
    const created = await h.client.crm.properties.coreApi.create('companies', definition);
    expect(created.options.map((o) => o.value)).toEqual(['tech_touch', 'high_touch']);
    const again = await failure(h.client.crm.properties.coreApi.create('companies', definition));
    expect(again.code).toBe(409);
    expect(again.body['message']).toBe("A property named 'engagement_model' already exists.");

    const [first = ''] = firstIds('companies', 1, 200);
    await h.client.crm.objects.batchApi.update('companies', updates([[first, { engagement_model: 'high_touch' }]]));
    expect(record('companies', first).properties['engagement_model']).toBe('high_touch');

    // PATCH with one option: the other is gone, and can no longer be written.
    await h.client.crm.properties.coreApi.update(
      'companies',
      'engagement_model',
      model(PropertyUpdate, {
        options: [model(OptionInput, { label: 'Low touch', value: 'low_touch', displayOrder: 0, hidden: false })],
      }),
    );
    const patched = await h.client.crm.properties.coreApi.getByName('companies', 'engagement_model');
    expect(patched.options.map((o) => o.value)).toEqual(['low_touch']);
    const refused = await failure(
      h.client.crm.objects.batchApi.update('companies', updates([[first, { engagement_model: 'high_touch' }]])),
    );
    expect(messageEntries(refused.body).map((e) => [e['error'], e['name']])).toEqual([
      ['INVALID_OPTION', 'engagement_model'],
    ]);
    // A PATCH without options keeps them.
    await h.client.crm.properties.coreApi.update(
      'companies',
      'engagement_model',
      model(PropertyUpdate, { label: 'Engagement model (v2)' }),
    );
    const relabelled = await h.client.crm.properties.coreApi.getByName('companies', 'engagement_model');
    expect(relabelled.label).toBe('Engagement model (v2)');
    expect(relabelled.options.map((o) => o.value)).toEqual(['low_touch']);
  });

  it('refuses a property in a group that does not exist, and a bad type/fieldType pair', async () => {
    const base = {
      name: 'x_prop',
      label: 'X',
      type: PropertyCreateTypeEnum.String,
      fieldType: PropertyCreateFieldTypeEnum.Text,
    };
    const noGroup = model(PropertyCreate, { ...base, groupName: 'nope' });
    expect((await failure(h.client.crm.properties.coreApi.create('contacts', noGroup))).code).toBe(400);
    const badPair = model(PropertyCreate, {
      ...base,
      groupName: 'contactinformation',
      fieldType: PropertyCreateFieldTypeEnum.Select,
    });
    expect((await failure(h.client.crm.properties.coreApi.create('contacts', badPair))).code).toBe(400);
    expect((await failure(h.client.crm.properties.coreApi.getByName('contacts', 'x_prop'))).code).toBe(404);
  });
});

describe('portal identity and auth', () => {
  it('answers account details and token info with the portal id', async () => {
    const response = await fetch(`${h.running.url}/account-info/v3/details`, {
      headers: { authorization: 'Bearer t' },
    });
    const details = (await response.json()) as Record<string, unknown>;
    expect(details).toMatchObject({ portalId: portal.portalId, timeZone: 'US/Eastern', companyCurrency: 'USD' });
    const info = await h.client.oauth.accessTokensApi.get('any-token');
    expect(info.hubId).toBe(portal.portalId);
  });

  it('answers 401 with HubSpot’s body without a token, or with the wrong one when a token is set', async () => {
    const bare = await fetch(`${h.running.url}/crm/v3/objects/companies`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    const locked = await start({ portal, limits: false, token: 'right' }, 'wrong');
    try {
      const refused = await failure(locked.client.crm.companies.basicApi.getPage(1));
      expect(refused.code).toBe(401);
      expect(refused.body['category']).toBe('INVALID_AUTHENTICATION');
    } finally {
      await locked.running.close();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 TEN_SECONDLY_ROLLING once the window is used up, with the rate-limit headers', async () => {
    let now = NOW;
    const limited = await start({ portal, now: () => now, limits: { perWindow: 5, windowMs: 10_000 } });
    try {
      for (let i = 0; i < 5; i++) {
        const ok = await limited.client.crm.companies.basicApi.getPageWithHttpInfo(1);
        expect(ok.headers['x-hubspot-ratelimit-remaining']).toBe(String(4 - i));
        expect(ok.headers['x-hubspot-ratelimit-max']).toBe('5');
        expect(ok.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('10000');
        now += 100;
      }
      const refused = await failure(limited.client.crm.companies.basicApi.getPage(1));
      expect(refused.code).toBe(429);
      expect(refused.body).toMatchObject({
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
      });
      expect(typeof refused.body['correlationId']).toBe('string');
      expect(refused.headers['x-hubspot-ratelimit-remaining']).toBe('0');
      // Rolling: the first call leaves the window 10 s after it was made.
      now = NOW + 10_000;
      await expect(limited.client.crm.companies.basicApi.getPage(1)).resolves.toBeDefined();
      expect(limited.sandbox.stats.rateLimited.tenSecondly).toBe(1);
      expect(limited.sandbox.stats.byStatus['429']).toBe(1);
      expect(limited.sandbox.stats.byEndpoint['GET /crm/v3/objects/:objectType']).toBe(7);
    } finally {
      await limited.running.close();
    }
  });

  it('limits search to 5 per second (SECONDLY), outside the 10-s bucket and without headers', async () => {
    let now = NOW;
    const limited = await start({ portal, now: () => now, limits: { perWindow: 2 } });
    try {
      for (let i = 0; i < 5; i++) {
        const ok = await limited.client.crm.objects.searchApi.doSearchWithHttpInfo(
          'deals',
          searchBody([], { limit: 1 }),
        );
        expect(ok.headers['x-hubspot-ratelimit-remaining']).toBeUndefined();
      }
      const refused = await failure(
        limited.client.crm.objects.searchApi.doSearch('deals', searchBody([], { limit: 1 })),
      );
      expect(refused.code).toBe(429);
      expect(refused.body).toMatchObject({ policyName: 'SECONDLY', message: 'You have reached your secondly limit.' });
      await expect(limited.client.crm.deals.basicApi.getPage(1)).resolves.toBeDefined(); // other bucket
      now += 1001;
      await expect(
        limited.client.crm.objects.searchApi.doSearch('deals', searchBody([], { limit: 1 })),
      ).resolves.toBeDefined();
      expect(limited.sandbox.stats.rateLimited).toEqual({ tenSecondly: 0, secondly: 1 });
    } finally {
      await limited.running.close();
    }
  });
});

describe('fault injection', () => {
  it('injects the configured faults at the configured rate, replayably', async () => {
    const run = async (): Promise<number[]> => {
      const faulty = await start({ portal, limits: false, faults: { rate: 0.5, kinds: ['500', '429'], seed: 11 } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) {
          const response = await fetch(`${faulty.running.url}/crm/v3/objects/deals?limit=1`, {
            headers: { authorization: 'Bearer t' },
          });
          statuses.push(response.status);
        }
        const { faults } = faulty.sandbox.stats;
        expect(faults['500'] + faults['429']).toBe(statuses.filter((s) => s !== 200).length);
        return statuses;
      } finally {
        await faulty.running.close();
      }
    };
    const first = await run();
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(0);
    expect(first.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(5);
    expect(await run()).toEqual(first);
  });

  it('holds a timed-out request, then drops the connection', async () => {
    const faulty = await start({ portal, limits: false, faults: { rate: 1, kinds: ['timeout'], timeoutMs: 50 } });
    try {
      await expect(
        fetch(`${faulty.running.url}/crm/v3/objects/deals`, { headers: { authorization: 'Bearer t' } }),
      ).rejects.toThrow();
    } finally {
      await faulty.running.close();
    }
  });
});

describe('generatePortal and mutate', () => {
  const snapshot = (p: Portal): string =>
    JSON.stringify((['companies', 'contacts', 'deals'] as const).map((type) => [...p.objects[type].records.values()]));

  it('is deterministic for a seed and differs between seeds', () => {
    const options = { companies: 40, contacts: 120, deals: 60, now: NOW };
    const a = generatePortal({ seed: 5, ...options });
    const b = generatePortal({ seed: 5, ...options });
    const c = generatePortal({ seed: 6, ...options });
    expect(snapshot(a)).toBe(snapshot(b));
    expect(a.portalId).toBe(b.portalId);
    expect(snapshot(a)).not.toBe(snapshot(c));
  });

  it('generates realistic values', () => {
    const p = generatePortal({ seed: 9, companies: 2000, contacts: 4000, deals: 2000, now: NOW });
    const companies = [...p.objects.companies.records.values()];
    const revenues = companies.map((c) => c.properties['annualrevenue'] ?? '');
    expect(revenues.some((r) => r === '')).toBe(true);
    expect(revenues.some((r) => /^\d{1,3}(,\d{3})+\.\d{2}$/.test(r))).toBe(true);
    const plans = companies.map((c) => c.properties['support_plan']);
    expect(plans.filter((plan) => plan === '').length).toBeGreaterThan(companies.length / 2);
    expect(plans).toContain('premier');
    expect(new Set(companies.map((c) => c.properties['prefers_digital']))).toEqual(new Set(['true', 'false', '']));
    const contacts = [...p.objects.contacts.records.values()];
    const tied = contacts.filter((c) => c.properties['associatedcompanyid'] !== '');
    expect(tied.length / contacts.length).toBeGreaterThan(0.8);
    for (const c of tied) expect(p.objects.companies.records.has(c.properties['associatedcompanyid'] ?? '')).toBe(true);
    for (const c of contacts) {
      const score = c.properties['hubspotscore'] ?? '';
      if (score !== '') expect(Number(score)).toBeGreaterThanOrEqual(0);
      if (score !== '') expect(Number(score)).toBeLessThanOrEqual(100);
    }
    for (const d of p.objects.deals.records.values()) {
      expect(d.companyId).not.toBeNull();
      expect(d.properties['hs_is_closed_won'] === 'true').toBe(d.properties['dealstage'] === 'closedwon');
      expect(Number.isNaN(Date.parse(d.properties['closedate'] ?? ''))).toBe(false);
      expect(d.updatedAt).toBeLessThanOrEqual(NOW);
    }
  });

  it('mutate changes exactly n deals and n lead scores (never the frozen hubspotscore) and bumps their modified time', async () => {
    const before = new Map([...portal.objects.deals.records.values()].map((d) => [d.id, JSON.stringify(d.properties)]));
    const scores = new Map(
      [...portal.objects.contacts.records.values()].map((c) => [c.id, c.properties['inbound_lead_score']]),
    );
    const legacy = JSON.stringify(
      [...portal.objects.contacts.records.values()].map((c) => c.properties['hubspotscore']),
    );
    const at = clock + 5_000;
    const changed = mutate(portal, { deals: 25, contacts: 40, seed: 1, now: at });
    expect(changed.deals).toHaveLength(25);
    expect(changed.contacts).toHaveLength(40);
    const differing = [...portal.objects.deals.records.values()].filter(
      (d) => before.get(d.id) !== JSON.stringify(d.properties),
    );
    expect(differing.map((d) => d.id).sort()).toEqual([...changed.deals].sort());
    const rescored = [...portal.objects.contacts.records.values()].filter(
      (c) => scores.get(c.id) !== c.properties['inbound_lead_score'],
    );
    expect(rescored.map((c) => c.id).sort()).toEqual([...changed.contacts].sort());
    // The legacy score is frozen: a recalculation never touches it.
    expect(JSON.stringify([...portal.objects.contacts.records.values()].map((c) => c.properties['hubspotscore']))).toBe(
      legacy,
    );
    // A scheduled sync finds exactly them through search.
    const found = await h.client.crm.objects.searchApi.doSearch(
      'deals',
      searchBody([[filter('hs_lastmodifieddate', FilterOperatorEnum.Gte, String(at))]], {
        properties: ['amount', 'hs_is_closed_won'],
        limit: 100,
      }),
    );
    expect(found.results.map((d) => d.id).sort()).toEqual([...changed.deals].sort());
  });
});
