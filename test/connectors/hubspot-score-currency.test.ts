/**
 * The HubSpot connector's side of the lead score and deal currencies, against nock: which score
 * properties it finds in a property listing shaped like a real portal's, and that a run reads the
 * chosen score property (not the frozen `hubspotscore`) and each deal's home-currency amount.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mapDeal, propertiesToRead, validateMapping, type Mapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { resolveMapping } from '../../src/sync/lead-score.ts';
import { readJson, repoRoot } from '../helpers.ts';
import type { Connector } from '../../src/sync/connector.ts';
import { api, harness, TIME } from './hubspot-nock.ts';
import { useNock } from '../nock.ts';

const connector = (): Connector => harness().connector;

function hubspotMapping(): Mapping {
  const result = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.mapping;
}

/** A property definition as `GET /crm/v3/properties/{type}` lists it. */
function property(name: string, label: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    label,
    type: 'number',
    fieldType: 'number',
    description: '',
    groupName: 'contactinformation',
    options: [],
    displayOrder: -1,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: false,
    hidden: false,
    hubspotDefined: false,
    formField: false,
    createdAt: TIME,
    updatedAt: TIME,
    archived: false,
    modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
    ...fields,
  };
}

const score = { fieldType: 'calculation_score', calculated: true, groupName: 'lead_scores' };
const LISTING = {
  results: [
    property('hubspotscore', 'HubSpot Score', { ...score, hubspotDefined: true, groupName: 'contactinformation' }),
    property('hs_predictivecontactscore_v2', 'Likelihood to close', { calculated: true }),
    property('numberofemployees', 'Number of employees'),
    property('mql_fit', 'MQL model: fit', score),
    property('mql', 'MQL model', { ...score, description: 'The score the tool calculates.' }),
    property('mql_engagement', 'MQL model: engagement', score),
    property('lifecyclestage', 'Lifecycle Stage', { type: 'enumeration', fieldType: 'radio' }),
  ],
};

useNock();

describe('lead score', () => {
  it('finds the score properties in the contacts’ property listing and tells their kind', async () => {
    const scope = api().get('/crm/v3/properties/contacts').reply(200, LISTING);
    const found = await connector().scoreProperties?.();
    expect(found).toEqual([
      { name: 'hubspotscore', label: 'HubSpot Score', kind: 'legacy' },
      { name: 'mql_fit', label: 'MQL model: fit', kind: 'fit' },
      { name: 'mql', label: 'MQL model', kind: 'combined' }, // its parts are named after it
      { name: 'mql_engagement', label: 'MQL model: engagement', kind: 'engagement' },
    ]);
    scope.done();
  });

  it('picks the combined score once, stores it, and reads contacts with it, not with hubspotscore', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const installation = await store.upsertInstallation('hubspot', '123', null);
    const hubspot = connector();
    const listing = api().get('/crm/v3/properties/contacts').reply(200, LISTING);
    const first = await resolveMapping(store, hubspot, installation.id, hubspotMapping());
    listing.done();
    expect(first.leadScore).toMatchObject({ property: 'mql', source: 'picked', warnings: [] });
    expect((await store.getInstallation(installation.id))?.settings.leadScoreProperty).toBe('mql');
    // The next run asks HubSpot nothing (nock would refuse the call) and reads the same property.
    const again = await resolveMapping(store, hubspot, installation.id, hubspotMapping());
    expect(again.leadScore).toMatchObject({ property: 'mql', source: 'stored' });

    const properties = propertiesToRead(again.mapping, 'contact');
    const read = api()
      .get('/crm/v3/objects/contacts')
      .query({ limit: '100', properties, archived: 'false' })
      .reply(200, { results: [{ id: '7', properties: { mql: '61' }, createdAt: TIME, updatedAt: TIME }] });
    expect(properties).toContain('mql');
    expect(properties).not.toContain('hubspotscore');
    const pages = [];
    for await (const page of hubspot.read('contacts', { properties })) pages.push(page);
    expect(pages).toEqual([[{ id: '7', properties: { mql: '61' } }]]);
    read.done();
    await store.close();
  });

  it('falls back to the frozen hubspotscore with a warning when the portal has no other score', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const installation = await store.upsertInstallation('hubspot', '124', null);
    const legacyOnly = { results: LISTING.results.filter((p) => !String(p['name']).startsWith('mql')) };
    api().get('/crm/v3/properties/contacts').reply(200, legacyOnly);
    const resolved = await resolveMapping(store, connector(), installation.id, hubspotMapping());
    expect(resolved.leadScore).toMatchObject({ property: 'hubspotscore', source: 'picked' });
    expect(resolved.leadScore?.warnings).toEqual([
      'hubspotscore stopped updating on 2025-08-31: lead scores read from it are frozen',
    ]);
    await store.close();
  });
});

describe('deal currencies', () => {
  it('asks for each deal’s amount in the home currency and counts it instead of the deal-currency amount', async () => {
    const mapping = hubspotMapping();
    const properties = propertiesToRead(mapping, 'deal');
    const since = Date.parse('2026-03-01T00:00:00.000Z');
    const t = '2026-03-02T00:00:00.000Z';
    const won = { hs_is_closed_won: 'true', hs_is_closed: 'true', closedate: t, hs_lastmodifieddate: t };
    const scope = api()
      .post('/crm/v3/objects/deals/search', {
        filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(since) }] }],
        sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
        properties: [...properties, 'hs_lastmodifieddate'],
        limit: 200,
      })
      .reply(200, {
        total: 2,
        results: [
          // 1,000,000 yen are about 6,700 dollars in a USD portal.
          { id: 'd1', properties: { ...won, amount: '1000000', amount_in_home_currency: '6700' } },
          // A deal HubSpot has not converted (no value): its amount counts.
          { id: 'd2', properties: { ...won, amount: '250', amount_in_home_currency: null } },
        ].map((deal) => ({ ...deal, createdAt: TIME, updatedAt: TIME, archived: false })),
      })
      .post('/crm/v4/associations/deals/companies/batch/read', { inputs: [{ id: 'd1' }, { id: 'd2' }] })
      .reply(200, { status: 'COMPLETE', results: [], startedAt: TIME, completedAt: TIME });
    expect(properties).toEqual(expect.arrayContaining(['amount', 'amount_in_home_currency']));
    const deals = [];
    for await (const page of connector().readDeals({ properties, modifiedSince: since })) deals.push(...page);
    scope.done();
    expect(deals.map((deal) => mapDeal(mapping, deal, 'c1').amount)).toEqual([6700, 250]);
  });
});
