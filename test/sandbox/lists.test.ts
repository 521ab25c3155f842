/**
 * The sandbox's Lists API v3 (sandbox/hubspot/routes-lists.ts), driven by the real
 * `@hubspot/api-client` where a call is well-formed and by raw requests where it must fail:
 * dynamic memberships computed from the filter, names unique across the portal (400
 * ILS.DUPLICATE_LIST_NAMES), HubSpot's filter-branch rules, the list scopes.
 */
import { ListSearchRequest, type ListCreateRequest } from '@hubspot/api-client/lib/codegen/crm/lists/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { fromSnapshot, toSnapshot } from '../../sandbox/hubspot/snapshot.ts';
import { failure, model, start, type Harness } from './helpers.ts';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
let portal: Portal;
let h: Harness;

beforeAll(async () => {
  portal = generatePortal({ seed: 11, companies: 200, contacts: 400, deals: 100, now: NOW });
  h = await start({ portal, limits: false, now: () => NOW });
});

afterAll(async () => {
  await h.running.close();
});

type Json = Record<string, unknown>;

/** An OR root with one AND branch holding one enumeration filter (the shape RightTouch sends). */
function enumerationBranch(property: string, values: string[], operator = 'IS_ANY_OF'): Json {
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
            property,
            operation: { operationType: 'ENUMERATION', operator, values, includeObjectsWithNoValueSet: false },
          },
        ],
      },
    ],
  };
}

function createRequest(name: string, objectTypeId: string, branch: Json | undefined): ListCreateRequest {
  return {
    name,
    objectTypeId,
    processingType: branch === undefined ? 'MANUAL' : 'DYNAMIC',
    ...(branch === undefined ? {} : { filterBranch: branch }),
  } as unknown as ListCreateRequest;
}

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${h.running.url}${path}`, {
    method,
    headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
}

function idsWhere(
  type: 'companies' | 'contacts',
  property: string,
  test: (value: string | undefined) => boolean,
): string[] {
  return [...portal.objects[type].records.values()]
    .filter((record) => test(record.properties[property]))
    .map((record) => record.id)
    .sort((a, b) => Number(a) - Number(b));
}

async function allMembers(listId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await h.client.crm.lists.membershipsApi.getPage(listId, after, undefined, 50);
    ids.push(...page.results.map((member) => member.recordId));
    after = page.paging?.next?.after;
  } while (after !== undefined);
  return ids;
}

describe('a dynamic list', () => {
  it('is created through the SDK and holds exactly the records its filter matches, as they change', async () => {
    const created = await h.client.crm.lists.listsApi.create(
      createRequest('Premier companies', '0-2', enumerationBranch('support_plan', ['premier', 'standard'])),
    );
    const { list } = created;
    expect(list).toMatchObject({ name: 'Premier companies', objectTypeId: '0-2', processingType: 'DYNAMIC' });
    expect(list.processingStatus).toBe('COMPLETE');
    const expected = idsWhere('companies', 'support_plan', (plan) => plan === 'premier' || plan === 'standard');
    expect(expected.length).toBeGreaterThan(5);
    expect(list.size).toBe(expected.length);
    expect(await allMembers(list.listId)).toEqual(expected);

    // A record whose value changes joins (or leaves) without anything else happening.
    const outsider = [...portal.objects.companies.records.values()].find((c) => !c.properties['support_plan']);
    if (outsider === undefined) throw new Error('no company without a plan');
    outsider.properties['support_plan'] = 'premier';
    expect(await allMembers(list.listId)).toContain(outsider.id);
    outsider.properties['support_plan'] = 'basic';
    expect(await allMembers(list.listId)).not.toContain(outsider.id);
  });

  it('is found by id (filters only when asked), by name whatever the case, and by search', async () => {
    const { list } = await h.client.crm.lists.listsApi.create(
      createRequest('Basic plan', '0-2', enumerationBranch('support_plan', ['basic'])),
    );
    const plain = await raw('GET', `/crm/v3/lists/${list.listId}`);
    expect(plain.status).toBe(200);
    expect((plain.body['list'] as Json)['filterBranch']).toBeUndefined();
    const withFilters = await h.client.crm.lists.listsApi.getById(list.listId, true);
    expect(withFilters.list.filterBranch).toBeDefined();
    const byName = await h.client.crm.lists.listsApi.getByName('BASIC PLAN', '0-2');
    expect(byName.list.listId).toBe(list.listId);
    expect((await failure(h.client.crm.lists.listsApi.getByName('Basic plan', '0-1'))).code).toBe(404);
    const found = await h.client.crm.lists.listsApi.doSearch(model(ListSearchRequest, { query: 'basic' }));
    expect(found.lists.map((l) => l.listId)).toEqual([list.listId]);
    expect(found.lists[0]?.additionalProperties['hs_list_size']).toBe(String(list.size));
  });

  it('refuses a second list of the same name, across object types and case: 400 ILS.DUPLICATE_LIST_NAMES', async () => {
    await h.client.crm.lists.listsApi.create(createRequest('Engagement: Leads', '0-2', undefined));
    const again = await failure(
      h.client.crm.lists.listsApi.create(createRequest('engagement: leads', '0-1', undefined)),
    );
    expect(again.code).toBe(400);
    expect(again.body).toMatchObject({ category: 'VALIDATION_ERROR', subCategory: 'ILS.DUPLICATE_LIST_NAMES' });
    expect(typeof again.body['correlationId']).toBe('string');
  });

  it('is renamed in place (not onto another list’s name) and its filters replaced (DYNAMIC only)', async () => {
    const { list } = await h.client.crm.lists.listsApi.create(
      createRequest('Customers', '0-1', enumerationBranch('lifecyclestage', ['customer'])),
    );
    const renamed = await h.client.crm.lists.listsApi.updateName(list.listId, 'Contacts who are customers');
    expect(renamed.updatedList?.name).toBe('Contacts who are customers');
    expect(renamed.updatedList?.listVersion).toBe(2);
    const clash = await failure(h.client.crm.lists.listsApi.updateName(list.listId, 'premier COMPANIES'));
    expect(clash.body['subCategory']).toBe('ILS.DUPLICATE_LIST_NAMES');

    const updated = await raw('PUT', `/crm/v3/lists/${list.listId}/update-list-filters`, {
      filterBranch: enumerationBranch('lifecyclestage', ['lead']),
    });
    expect(updated.status).toBe(200);
    expect(await allMembers(list.listId)).toEqual(idsWhere('contacts', 'lifecyclestage', (stage) => stage === 'lead'));

    const manual = await h.client.crm.lists.listsApi.create(createRequest('Hand-picked', '0-1', undefined));
    const refused = await raw('PUT', `/crm/v3/lists/${manual.list.listId}/update-list-filters`, {
      filterBranch: enumerationBranch('lifecyclestage', ['lead']),
    });
    expect(refused.status).toBe(400);
  });

  it('is deleted (204, then 404, its name free) and restored', async () => {
    const { list } = await h.client.crm.lists.listsApi.create(createRequest('Short-lived', '0-1', undefined));
    await h.client.crm.lists.listsApi.remove(list.listId);
    expect((await failure(h.client.crm.lists.listsApi.getById(list.listId))).code).toBe(404);
    expect((await raw('DELETE', `/crm/v3/lists/${list.listId}`)).status).toBe(404);
    await h.client.crm.lists.listsApi.restore(list.listId);
    expect((await h.client.crm.lists.listsApi.getById(list.listId)).list.name).toBe('Short-lived');
  });
});

describe('what HubSpot refuses', () => {
  const create = (filterBranch: unknown, objectTypeId = '0-2'): Promise<{ status: number; body: Json }> =>
    raw('POST', '/crm/v3/lists/', {
      name: `Refused ${Math.random()}`,
      objectTypeId,
      processingType: 'DYNAMIC',
      filterBranch,
    });
  const andRoot = { ...enumerationBranch('support_plan', ['basic']), filterBranchType: 'AND' };
  const filtersAtRoot = {
    filterBranchType: 'OR',
    filterBranches: [],
    filters: (enumerationBranch('support_plan', ['basic'])['filterBranches'] as Json[])[0]?.['filters'],
  };
  const cases: [string, unknown, string | undefined][] = [
    ['an AND root', andRoot, 'root filter branch must be an OR'],
    ['filters directly under the OR root', filtersAtRoot, 'cannot hold filters'],
    ['an unknown property', enumerationBranch('no_such_property', ['x']), 'does not exist'],
    ['a value that is not an option', enumerationBranch('support_plan', ['platinum']), 'not a valid option'],
    ['an unknown operator', enumerationBranch('support_plan', ['basic'], 'IS_SORT_OF'), 'not valid for'],
    ['no filter branch on a DYNAMIC list', undefined, 'needs a filterBranch'],
  ];
  for (const [what, branch, message] of cases) {
    it(`refuses ${what} with a 400 VALIDATION_ERROR`, async () => {
      const answer = await create(branch);
      expect(answer.status).toBe(400);
      expect(answer.body['category']).toBe('VALIDATION_ERROR');
      if (message !== undefined) expect(String(answer.body['message'])).toContain(message);
    });
  }

  it('refuses a STRING operation on a dropdown and an unknown object type', async () => {
    const stringOnEnum = enumerationBranch('support_plan', ['basic']);
    const and = (stringOnEnum['filterBranches'] as Json[])[0] as Json;
    and['filters'] = [
      {
        filterType: 'PROPERTY',
        property: 'support_plan',
        operation: { operationType: 'STRING', operator: 'IS_EQUAL_TO', value: 'basic' },
      },
    ];
    expect((await create(stringOnEnum)).status).toBe(400);
    expect((await create(enumerationBranch('support_plan', ['basic']), '0-99')).status).toBe(400);
  });
});

describe('scopes', () => {
  it('answers 403 MISSING_SCOPES without crm.lists.read / crm.lists.write, and says which', async () => {
    const narrow = await start({
      portal: generatePortal({ seed: 2, companies: 5, contacts: 5, deals: 2, now: NOW }),
      limits: false,
      scopes: ['oauth', 'crm.objects.companies.read', 'crm.lists.read'],
    });
    try {
      const write = await failure(
        narrow.client.crm.lists.listsApi.create(
          createRequest('Nope', '0-2', enumerationBranch('support_plan', ['basic'])),
        ),
      );
      expect(write.code).toBe(403);
      expect(write.body['category']).toBe('MISSING_SCOPES');
      expect(write.body['errors']).toEqual([
        expect.objectContaining({ context: { requiredGranularScopes: ['crm.lists.write'] } }),
      ]);
      const search = await narrow.client.crm.lists.listsApi.doSearch(model(ListSearchRequest, { query: '' }));
      expect(search.total).toBe(0);
      const info = await narrow.client.oauth.accessTokensApi.get('sandbox-token');
      expect(info.scopes).toEqual(['oauth', 'crm.objects.companies.read', 'crm.lists.read']);
    } finally {
      await narrow.running.close();
    }
  });
});

describe('the snapshot', () => {
  it('keeps the lists, their ids and names across a restart', () => {
    const restored = fromSnapshot(toSnapshot(portal));
    expect([...restored.lists.lists.values()].map((l) => [l.listId, l.name])).toEqual(
      [...portal.lists.lists.values()].map((l) => [l.listId, l.name]),
    );
    expect(restored.lists.nextId).toBe(portal.lists.nextId);
  });
});
