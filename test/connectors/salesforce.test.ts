/**
 * The Salesforce connector (jsforce underneath) against nock: the SOQL and bodies it sends, what
 * it makes of Salesforce's answers, retries of locked rows, the daily API reserve, and refresh
 * with token rotation. Waits go through an injected sleep that records them and returns at once.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import {
  createSalesforceConnector,
  SalesforceBudgetError,
  salesforceOptionsFromEnv,
  type SalesforceConnectorOptions,
} from '../../connectors/salesforce/index.ts';
import type { Connector } from '../../src/sync/connector.ts';
import { useNock } from '../nock.ts';

const ORG = 'https://acme.my.salesforce.com';
const LOGIN = 'https://login.example.test';
const V = '/services/data/v66.0';

function connector(options: Partial<SalesforceConnectorOptions> = {}, sleeps: number[] = []): Connector {
  return createSalesforceConnector({
    instanceUrl: ORG,
    accessToken: 'AT1',
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
}

function api(token = 'AT1'): nock.Scope {
  return nock(ORG).matchHeader('authorization', `Bearer ${token}`);
}

function soqlOf(query: string): (q: Record<string, unknown>) => boolean {
  return (q) => q['q'] === query;
}

/** describe of an object with these fields (the connector reads only fields the object has). */
function describes(scope: nock.Scope, object: string, fields: readonly string[]): nock.Scope {
  return scope.get(`${V}/sobjects/${object}/describe`).reply(200, {
    name: object,
    fields: ['Id', ...fields].map((name) => ({ name, updateable: name !== 'Id' })),
  });
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

useNock();

describe('Salesforce connector: reads', () => {
  it('pages Accounts through nextRecordsUrl, with values as text and the client named on every call', async () => {
    const described = describes(api(), 'Account', ['AnnualRevenue', 'Prefers_Digital__c', 'Name']);
    const scope = api()
      .matchHeader('sforce-call-options', 'client=RightTouch')
      .matchHeader('sforce-query-options', 'batchSize=2000')
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id, AnnualRevenue, Prefers_Digital__c FROM Account'))
      .reply(200, {
        totalSize: 3,
        done: false,
        nextRecordsUrl: `${V}/query/01gD0000002HU6KIAW-2000`,
        records: [
          { attributes: { type: 'Account' }, Id: '001A', AnnualRevenue: 1200000.5, Prefers_Digital__c: true },
          { attributes: { type: 'Account' }, Id: '001B', AnnualRevenue: null, Prefers_Digital__c: false },
        ],
      })
      .get(`${V}/query/01gD0000002HU6KIAW-2000`)
      .reply(200, {
        totalSize: 3,
        done: true,
        records: [{ attributes: { type: 'Account' }, Id: '001C', AnnualRevenue: 5, Prefers_Digital__c: false }],
      });
    const sf = connector();
    const pages = await collect(sf.read('companies', { properties: ['AnnualRevenue', 'Prefers_Digital__c'] }));
    expect(pages).toEqual([
      [
        { id: '001A', properties: { AnnualRevenue: '1200000.5', Prefers_Digital__c: 'true' } },
        { id: '001B', properties: { AnnualRevenue: null, Prefers_Digital__c: 'false' } },
      ],
      [{ id: '001C', properties: { AnnualRevenue: '5', Prefers_Digital__c: 'false' } }],
    ]);
    expect(sf.apiCalls).toBe(3);
    described.done();
    scope.done();
  });

  it('reads contacts, then unconverted leads without AccountId, since a time on SystemModstamp', async () => {
    const since = Date.parse('2026-11-20T10:00:00.750Z');
    const scope = describes(api(), 'Contact', ['Lead_Score__c', 'AccountId'])
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id, Lead_Score__c, AccountId FROM Contact WHERE SystemModstamp >= 2026-11-20T10:00:00Z'))
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [{ Id: '003A', Lead_Score__c: 71, AccountId: '001A' }],
      });
    describes(scope, 'Lead', ['Lead_Score__c'])
      .get(`${V}/query`)
      .query(
        soqlOf(
          'SELECT Id, Lead_Score__c FROM Lead WHERE IsConverted = false AND SystemModstamp >= 2026-11-20T10:00:00Z',
        ),
      )
      .reply(200, { totalSize: 1, done: true, records: [{ Id: '00QA', Lead_Score__c: 'garbage' }] });
    const pages = await collect(
      connector().read('contacts', { properties: ['Lead_Score__c', 'AccountId'], modifiedSince: since }),
    );
    expect(pages.flat()).toEqual([
      { id: '003A', properties: { Lead_Score__c: '71', AccountId: '001A' } },
      { id: '00QA', properties: { Lead_Score__c: 'garbage', AccountId: null } },
    ]);
    scope.done();
  });

  it('reads Opportunities with their AccountId as the company', async () => {
    const scope = describes(api(), 'Opportunity', ['Amount', 'IsWon', 'AccountId'])
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id, Amount, IsWon, AccountId FROM Opportunity'))
      .reply(200, {
        totalSize: 2,
        done: true,
        records: [
          { Id: '006A', Amount: 50000, IsWon: true, AccountId: '001A' },
          { Id: '006B', Amount: 10, IsWon: false, AccountId: null },
        ],
      });
    const deals = (await collect(connector().readDeals({ properties: ['Amount', 'IsWon'] }))).flat();
    expect(deals).toEqual([
      { id: '006A', properties: { Amount: '50000', IsWon: 'true' }, companyId: '001A' },
      { id: '006B', properties: { Amount: '10', IsWon: 'false' }, companyId: null },
    ]);
    scope.done();
  });

  it('reads Opportunities incrementally through queryAll, and a deleted one comes back without its company', async () => {
    const scope = describes(api(), 'Opportunity', ['Amount', 'IsWon', 'AccountId'])
      .get(`${V}/queryAll`)
      .query(
        soqlOf(
          'SELECT Id, Amount, IsWon, AccountId, IsDeleted FROM Opportunity WHERE SystemModstamp >= 2026-11-20T10:00:00Z',
        ),
      )
      .reply(200, {
        totalSize: 2,
        done: true,
        records: [
          { Id: '006A', Amount: 50000, IsWon: true, AccountId: '001A', IsDeleted: false },
          { Id: '006B', Amount: 900000, IsWon: true, AccountId: '001A', IsDeleted: true },
        ],
      });
    const since = Date.parse('2026-11-20T10:00:00Z');
    const deals = (
      await collect(connector().readDeals({ properties: ['Amount', 'IsWon'], modifiedSince: since }))
    ).flat();
    expect(deals).toEqual([
      { id: '006A', properties: { Amount: '50000', IsWon: 'true' }, companyId: '001A' },
      { id: '006B', properties: { Amount: '900000', IsWon: 'true' }, companyId: null },
    ]);
    scope.done();
  });

  it('asked for the corporate currency in a multi-currency org, checks the user’s currency once and selects convertCurrency(AnnualRevenue)', async () => {
    const scope = api()
      .get(`${V}/sobjects/Account/describe`)
      .reply(200, {
        name: 'Account',
        fields: [
          { name: 'Id', type: 'id' },
          { name: 'AnnualRevenue', type: 'currency' },
          { name: 'NumberOfEmployees', type: 'int' },
          { name: 'CurrencyIsoCode', type: 'picklist' },
        ],
      })
      .get('/services/oauth2/userinfo')
      .reply(200, { user_id: '005A00000000001AAA', organization_id: '00DA00000000001AAA' })
      .get(`${V}/query`)
      .query(soqlOf('SELECT IsoCode FROM CurrencyType WHERE IsCorporate = true'))
      .reply(200, { totalSize: 1, done: true, records: [{ IsoCode: 'USD' }] })
      .get(`${V}/query`)
      .query(soqlOf("SELECT DefaultCurrencyIsoCode FROM User WHERE Id = '005A00000000001AAA'"))
      .reply(200, { totalSize: 1, done: true, records: [{ DefaultCurrencyIsoCode: 'USD' }] })
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id, convertCurrency(AnnualRevenue), NumberOfEmployees FROM Account'))
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [{ Id: '001A', AnnualRevenue: 1111111.11, NumberOfEmployees: 40 }],
      })
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id, convertCurrency(AnnualRevenue), NumberOfEmployees FROM Account'))
      .reply(200, { totalSize: 0, done: true, records: [] });
    const sf = connector();
    const options = { properties: ['AnnualRevenue', 'NumberOfEmployees'], currency: 'corporate' } as const;
    expect((await collect(sf.read('companies', options))).flat()).toEqual([
      { id: '001A', properties: { AnnualRevenue: '1111111.11', NumberOfEmployees: '40' } },
    ]);
    expect((await collect(sf.read('companies', options))).flat()).toEqual([]); // no second check
    scope.done();
  });

  it('leaves out of the query a mapped field the org lacks (it reads as missing) and anything not a field name', async () => {
    const scope = describes(api(), 'Account', ['AnnualRevenue'])
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id, AnnualRevenue FROM Account'))
      .reply(200, { totalSize: 1, done: true, records: [{ Id: '001A', AnnualRevenue: 7 }] });
    const pages = await collect(
      connector().read('companies', { properties: ['AnnualRevenue', 'Support_Plan__c', 'Name FROM User --'] }),
    );
    expect(pages.flat()).toEqual([
      { id: '001A', properties: { AnnualRevenue: '7', Support_Plan__c: null, 'Name FROM User --': null } },
    ]);
    scope.done();
  });
});

describe('Salesforce connector: writes', () => {
  it('writes through collections of 200, retries locked rows with back-off, and returns the rest refused', async () => {
    const updates = Array.from({ length: 250 }, (_, i) => ({
      id: `003${String(i).padStart(15, '0')}`,
      properties: { Engagement_Model__c: 'mid_touch' },
    }));
    const record = (id: string) => ({ attributes: { type: 'Contact' }, id, Engagement_Model__c: 'mid_touch' });
    const ok = (id: string) => ({ id, success: true, errors: [] });
    const ids = updates.map((u) => u.id);
    const locked = ids[7] ?? '';
    const deleted = ids[210] ?? '';
    const scope = api()
      .patch(`${V}/composite/sobjects`, { allOrNone: false, records: ids.slice(0, 200).map(record) })
      .reply(
        200,
        ids.slice(0, 200).map((id) =>
          id === locked
            ? {
                success: false,
                errors: [
                  { statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record' },
                ],
              }
            : ok(id),
        ),
      )
      .patch(`${V}/composite/sobjects`, { allOrNone: false, records: ids.slice(200).map(record) })
      .reply(
        200,
        ids
          .slice(200)
          .map((id) =>
            id === deleted
              ? { success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted' }] }
              : ok(id),
          ),
      )
      .patch(`${V}/composite/sobjects`, { allOrNone: false, records: [record(locked)] })
      .reply(200, [ok(locked)]);
    const sleeps: number[] = [];
    const result = await connector({}, sleeps).update('contact', updates);
    expect(result.rejected).toEqual([{ id: deleted, error: 'ENTITY_IS_DELETED: entity is deleted' }]);
    expect(result.written).toHaveLength(249);
    expect(result.written).toContain(locked);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
    scope.done();
  });

  it('sends leads to Lead and contacts to Contact, by id prefix', async () => {
    const scope = api()
      .patch(`${V}/composite/sobjects`, {
        allOrNone: false,
        records: [{ attributes: { type: 'Contact' }, id: '003A', Engagement_Model__c: 'low_touch' }],
      })
      .reply(200, [{ id: '003A', success: true, errors: [] }])
      .patch(`${V}/composite/sobjects`, {
        allOrNone: false,
        records: [{ attributes: { type: 'Lead' }, id: '00QA', Engagement_Model__c: 'tech_touch' }],
      })
      .reply(200, [{ id: '00QA', success: true, errors: [] }]);
    const result = await connector().update('contact', [
      { id: '003A', properties: { Engagement_Model__c: 'low_touch' } },
      { id: '00QA', properties: { Engagement_Model__c: 'tech_touch' } },
    ]);
    expect(result).toEqual({ written: ['003A', '00QA'], rejected: [] });
    scope.done();
  });

  it('retries a whole call on a 503 (jsforce never retries a PATCH)', async () => {
    const body = {
      allOrNone: false,
      records: [{ attributes: { type: 'Account' }, id: '001A', Engagement_Model__c: 'high_touch' }],
    };
    const scope = api()
      .patch(`${V}/composite/sobjects`, body)
      .reply(503, [{ errorCode: 'SERVER_UNAVAILABLE', message: 'try later' }])
      .patch(`${V}/composite/sobjects`, body)
      .reply(200, [{ id: '001A', success: true, errors: [] }]);
    const sleeps: number[] = [];
    const result = await connector({}, sleeps).update('company', [
      { id: '001A', properties: { Engagement_Model__c: 'high_touch' } },
    ]);
    expect(result.written).toEqual(['001A']);
    expect(sleeps).toEqual([500]);
    scope.done();
  });
});

describe('Salesforce connector: limits and tokens', () => {
  it('stops before eating into the reserve of the daily allocation, and says why', async () => {
    const scope = describes(api(), 'Account', [])
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id FROM Account'))
      .reply(
        200,
        { totalSize: 1, done: false, nextRecordsUrl: `${V}/query/01g-2000`, records: [{ Id: '001A' }] },
        {
          'Sforce-Limit-Info': 'api-usage=8500/10000',
        },
      );
    const sf = connector({ apiReserve: 0.2 });
    const pages = sf.read('companies', { properties: [] });
    await expect(collect(pages)).rejects.toThrow(SalesforceBudgetError);
    await expect(collect(sf.read('companies', { properties: [] }))).rejects.toThrow(
      /1500 of 10000 daily calls left, and RightTouch leaves 20%/,
    );
    expect(sf.apiCalls).toBe(2);
    scope.done();
  });

  it('a REQUEST_LIMIT_EXCEEDED answer fails the call with Salesforce’s words', async () => {
    const scope = describes(api(), 'Account', [])
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id FROM Account'))
      .reply(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    await expect(collect(connector().read('companies', { properties: [] }))).rejects.toThrow(
      /TotalRequests Limit exceeded/,
    );
    scope.done();
  });

  it('on a 401 refreshes once, replays the call, and keeps (and reports) the rotated refresh token', async () => {
    const tokens: { accessToken: string; refreshToken: string | undefined }[] = [];
    const login = nock(LOGIN)
      .post('/services/oauth2/token', (body: Record<string, string>) => {
        return body['grant_type'] === 'refresh_token' && body['refresh_token'] === 'RT1' && body['client_id'] === 'cid';
      })
      .reply(200, { access_token: 'AT2', refresh_token: 'RT2', instance_url: ORG, id: `${LOGIN}/id/00D/005` })
      .post('/services/oauth2/token', (body: Record<string, string>) => body['refresh_token'] === 'RT2')
      .reply(200, { access_token: 'AT3', refresh_token: 'RT3', instance_url: ORG, id: `${LOGIN}/id/00D/005` });
    const expired = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
    const described = describes(nock(ORG).matchHeader('authorization', 'Bearer AT1'), 'Account', []);
    const org = nock(ORG)
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id FROM Account'))
      .matchHeader('authorization', 'Bearer AT1')
      .reply(401, expired)
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id FROM Account'))
      .matchHeader('authorization', 'Bearer AT2')
      .reply(200, { totalSize: 1, done: true, records: [{ Id: '001A' }] })
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id FROM Account'))
      .matchHeader('authorization', 'Bearer AT2')
      .reply(401, expired)
      .get(`${V}/query`)
      .query(soqlOf('SELECT Id FROM Account'))
      .matchHeader('authorization', 'Bearer AT3')
      .reply(200, { totalSize: 0, done: true, records: [] });
    const sf = connector({
      refreshToken: 'RT1',
      clientId: 'cid',
      clientSecret: 'secret',
      loginUrl: LOGIN,
      onTokens: (t) => {
        tokens.push(t);
      },
    });
    expect((await collect(sf.read('companies', { properties: [] }))).flat()).toEqual([{ id: '001A', properties: {} }]);
    // The second refresh must send RT2: replaying the consumed RT1 would revoke the whole family.
    await collect(sf.read('companies', { properties: [] }));
    expect(tokens).toEqual([
      { accessToken: 'AT2', refreshToken: 'RT2' },
      { accessToken: 'AT3', refreshToken: 'RT3' },
    ]);
    login.done();
    described.done();
    org.done();
  });

  it('reads its settings from SF_* variables and says what is missing', () => {
    expect(() => salesforceOptionsFromEnv({})).toThrow(/SF_INSTANCE_URL is not set/);
    expect(() => salesforceOptionsFromEnv({ SF_INSTANCE_URL: ORG })).toThrow(/SF_ACCESS_TOKEN, or SF_REFRESH_TOKEN/);
    expect(() => salesforceOptionsFromEnv({ SF_INSTANCE_URL: ORG, SF_REFRESH_TOKEN: 'x' })).toThrow(/SF_CLIENT_ID/);
    expect(() => salesforceOptionsFromEnv({ SF_INSTANCE_URL: ORG, SF_ACCESS_TOKEN: 'x', SF_API_RESERVE: '2' })).toThrow(
      /SF_API_RESERVE must be a number from 0 to 0.99/,
    );
    expect(
      salesforceOptionsFromEnv({ SF_INSTANCE_URL: ORG, SF_ACCESS_TOKEN: 'x', SF_BULK_THRESHOLD: '500' }),
    ).toMatchObject({ instanceUrl: ORG, accessToken: 'x', bulkThreshold: 500 });
    expect(() =>
      createSalesforceConnector({ instanceUrl: 'https://acme.lightning.force.com', accessToken: 'x' }),
    ).toThrow(/Lightning UI address/);
  });
});
