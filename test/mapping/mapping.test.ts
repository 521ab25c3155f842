/** The default HubSpot mapping, its schema, and CRM objects mapped to canonical records. */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  dealTotals,
  mapCompany,
  mapContact,
  mapDeal,
  propertiesToRead,
  undiscoveredFields,
  validateMapping,
  withDiscovered,
} from '../../src/mapping/mapping.ts';
import type { Mapping } from '../../src/mapping/mapping.ts';
import { readJson, repoRoot } from '../helpers.ts';

function hubspotMapping(): Mapping {
  const result = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.mapping;
}

const NOW = Date.UTC(2026, 10, 20);

describe('mappings/hubspot.json', () => {
  test('is valid and asks HubSpot for exactly the properties it maps', () => {
    const mapping = hubspotMapping();
    expect(propertiesToRead(mapping, 'company').sort()).toEqual(
      [
        'annualrevenue',
        'domain',
        'engagement_model_override',
        'lifecyclestage',
        'name',
        'numberofemployees',
        'prefers_digital',
        'support_plan',
      ].sort(),
    );
    // The lead score is the portal's own property, discovered: nothing is asked for it until then.
    expect(propertiesToRead(mapping, 'contact').sort()).toEqual(
      [
        'associatedcompanyid',
        'email',
        'engagement_model_override',
        'firstname',
        'lastname',
        'lifecyclestage',
        'prefers_digital',
      ].sort(),
    );
    expect(undiscoveredFields(mapping)).toEqual([{ type: 'contact', field: 'leadScore', discover: 'lead-score' }]);
    const resolved = withDiscovered(mapping, { 'lead-score': 'inbound_lead_score' });
    expect(propertiesToRead(resolved, 'contact')).toContain('inbound_lead_score');
    expect(propertiesToRead(resolved, 'contact')).not.toContain('hubspotscore');
    expect(undiscoveredFields(resolved)).toEqual([]);
    expect(propertiesToRead(mapping, 'deal').sort()).toEqual([
      'amount',
      'amount_in_home_currency',
      'closedate',
      'hs_is_closed',
      'hs_is_closed_won',
    ]);
  });

  test('maps a company with cleaned values, its override and its deal totals', () => {
    const mapping = hubspotMapping();
    const record = mapCompany(
      mapping,
      {
        id: '1001',
        properties: {
          annualrevenue: '$1,200,000.50',
          numberofemployees: ' 340 ',
          lifecyclestage: 'customer',
          support_plan: 'Premier',
          prefers_digital: 'true',
          engagement_model_override: '',
          name: ' Acme  Corp ',
          domain: 'acme.com',
        },
      },
      { dealSize: 120000, openDealAmount: 5000 },
    );
    expect(record).toEqual({
      type: 'company',
      id: '1001',
      override: null,
      display: { name: 'Acme Corp', domain: 'acme.com', email: null },
      fields: {
        annualRevenue: 1200000.5,
        employees: 340,
        lifecycleStage: 'customer',
        supportPlan: 'Premier',
        prefersDigital: true,
        dealSize: 120000,
        openDealAmount: 5000,
      },
    });
  });

  test('a property missing from the portal, or garbage, makes the field missing', () => {
    const record = mapCompany(hubspotMapping(), { id: '7', properties: { numberofemployees: 'lots' } });
    expect(record.fields).toMatchObject({ employees: null, annualRevenue: null, supportPlan: null, dealSize: 0 });
  });

  test('maps a contact with its company and override; the lead score from the discovered property', () => {
    const mapping = withDiscovered(hubspotMapping(), { 'lead-score': 'inbound_lead_score' });
    const record = mapContact(mapping, {
      id: 'c-77',
      properties: {
        hubspotscore: '12', // frozen since 2025-08-31: not read
        inbound_lead_score: '72',
        prefers_digital: 'false',
        associatedcompanyid: '1001',
        engagement_model_override: ' high_touch ',
        firstname: '',
        lastname: 'Doe',
        email: 'J.Doe@Acme.com',
      },
    });
    expect(record).toEqual({
      type: 'contact',
      id: 'c-77',
      companyId: '1001',
      override: 'high_touch',
      display: { name: 'Doe', domain: null, email: 'J.Doe@Acme.com' },
      fields: { leadScore: 72, prefersDigital: false, lifecycleStage: null },
    });
  });

  test('a lead score not yet discovered reads as missing', () => {
    const record = mapContact(hubspotMapping(), { id: 'c-1', properties: { hubspotscore: '40' } });
    expect(record.fields['leadScore']).toBeNull();
  });
});

describe('display: what a record is known by', () => {
  test('Salesforce: the Account Website URL read as its domain; names joined; blanks are no value', () => {
    const result = validateMapping(readJson(join(repoRoot, 'mappings', 'salesforce.json')));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const mapping = result.mapping;
    expect(propertiesToRead(mapping, 'company')).toEqual(expect.arrayContaining(['Name', 'Website']));
    expect(propertiesToRead(mapping, 'contact')).toEqual(expect.arrayContaining(['FirstName', 'LastName', 'Email']));
    const website = (Website: string | null) =>
      mapCompany(mapping, { id: '001', properties: { Name: 'Acme', Website } });
    expect(website('https://www.Acme.com:443/about?x=1').display).toEqual({
      name: 'Acme',
      domain: 'acme.com',
      email: null,
    });
    expect(website('HTTP://ACME.CO.UK').display?.domain).toBe('acme.co.uk');
    expect(website('www2.acme.com/').display?.domain).toBe('acme.com');
    expect(website('http://user@shop.acme.com#top').display?.domain).toBe('shop.acme.com');
    expect(website('n/a').display?.domain).toBeNull();
    expect(website('   ').display?.domain).toBeNull();
    const person = mapContact(mapping, { id: '003', properties: { FirstName: ' Ann ', LastName: 'Lee', Email: null } });
    expect(person.display).toEqual({ name: 'Ann Lee', domain: null, email: null });
    expect(mapContact(mapping, { id: '003', properties: { LastName: ' ' } }).display).toBeNull();
  });

  test('a mapping without display adds none; a display section is checked', () => {
    const company = { ...hubspotMapping().company };
    delete company.display;
    const mapping: Mapping = { ...hubspotMapping(), company };
    expect('display' in mapCompany(mapping, { id: '1', properties: { name: 'Acme' } })).toBe(false);
    expect(propertiesToRead(mapping, 'company')).not.toContain('name');
    const bad = validateMapping({
      ...(readJson(join(repoRoot, 'mappings', 'hubspot.json')) as object),
      contact: { fields: {}, display: { name: [], phone: 'phone' } },
    });
    expect(bad.ok).toBe(false);
  });
});

describe('deal totals', () => {
  test('deal size: won deals closed in the 365 days before now; open amount: deals not closed; home currency where given', () => {
    const mapping = hubspotMapping();
    const deal = (id: string, companyId: string, properties: Record<string, string>) =>
      mapDeal(mapping, { id, properties }, companyId);
    const won = { hs_is_closed_won: 'true', hs_is_closed: 'true' };
    const open = { hs_is_closed_won: 'false', hs_is_closed: 'false' };
    const totals = dealTotals(
      [
        deal('d1', 'a', { ...won, amount: '100,000', closedate: '2026-06-01T00:00:00Z' }),
        deal('d2', 'a', { ...won, amount: '20000', closedate: '2025-11-19T00:00:00Z' }), // 366 days before
        deal('d3', 'a', { ...won, amount: '5000', closedate: '2026-12-01T00:00:00Z' }), // after now
        deal('d4', 'a', { hs_is_closed_won: 'false', hs_is_closed: 'false', amount: '7,500', closedate: '' }),
        deal('d5', 'a', { hs_is_closed_won: 'false', hs_is_closed: 'true', amount: '9999', closedate: '2026-06-01' }),
        deal('d6', 'b', { ...won, amount: 'n/a', closedate: '2026-06-01T00:00:00Z' }),
        deal('d7', 'b', { ...won, amount: '300', closedate: String(NOW - 1000) }),
        // Multi-currency: 90,000 in the deal's currency, 97,200 in the portal's; an open one likewise.
        deal('d8', 'c', { ...won, amount: '90000', amount_in_home_currency: '97200', closedate: '2026-06-01' }),
        deal('d9', 'c', { ...open, amount: '1000', amount_in_home_currency: '1,080.00', closedate: '' }),
      ],
      NOW,
      365,
    );
    expect(Object.fromEntries(totals)).toEqual({
      a: { dealSize: 100000, openDealAmount: 7500 },
      b: { dealSize: 300, openDealAmount: 0 },
      c: { dealSize: 97200, openDealAmount: 1080 },
    });
  });
});

describe('validateMapping', () => {
  test('reports every problem with its path', () => {
    const result = validateMapping({
      version: 1,
      crm: 'pipedrive',
      company: {
        fields: { 'bad name': { property: 'x', type: 'number' }, ok: { property: '', type: 'money' } },
        deals: { dealSize: { windowDays: 0 } },
      },
      contact: { fields: {}, extra: true },
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    const paths = problems.map((p) => p.path);
    expect(problems.find((p) => p.path === 'company.fields["bad name"]')?.message).toBe(
      'invalid key: a canonical field name (letters, digits, _)',
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        'crm',
        'company.fields["bad name"]',
        'company.fields.ok.property',
        'company.fields.ok.type',
        'company.deals.dealSize.windowDays',
        'contact.extra',
      ]),
    );
  });

  test('a property to discover must name something RightTouch can discover', () => {
    const mapping = structuredClone(hubspotMapping()) as unknown as Record<string, Record<string, unknown>>;
    (mapping['contact']?.['fields'] as Record<string, unknown>)['leadScore'] = {
      property: { discover: 'revenue' },
      type: 'number',
    };
    const result = validateMapping(mapping);
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toContain('contact.fields.leadScore.property');
  });

  test('a field cannot be both mapped and computed from deals', () => {
    const mapping = structuredClone(hubspotMapping()) as unknown as Record<string, Record<string, unknown>>;
    (mapping['company']?.['fields'] as Record<string, unknown>)['dealSize'] = { property: 'x', type: 'number' };
    const result = validateMapping(mapping);
    expect(result.ok ? [] : result.problems).toContainEqual({
      path: 'company.fields.dealSize',
      message: 'dealSize is computed from deals (company.deals); it cannot also be read from a property',
    });
  });

  test('"currency" is corporate or record, and only for Salesforce', () => {
    const salesforce = readJson(join(repoRoot, 'mappings', 'salesforce.json')) as Record<string, unknown>;
    expect(salesforce['currency']).toBe('corporate');
    expect(validateMapping(salesforce).ok).toBe(true);
    expect(validateMapping({ ...salesforce, currency: 'record' }).ok).toBe(true);
    const odd = validateMapping({ ...salesforce, currency: 'EUR' });
    expect(odd.ok ? [] : odd.problems.map((p) => p.path)).toEqual(['currency']);
    const hubspot = validateMapping({
      ...(hubspotMapping() as unknown as Record<string, unknown>),
      currency: 'corporate',
    });
    expect(hubspot.ok ? [] : hubspot.problems).toContainEqual({
      path: 'currency',
      message: 'is for Salesforce; in HubSpot map a home-currency property (e.g. amount_in_home_currency) instead',
    });
  });
});
