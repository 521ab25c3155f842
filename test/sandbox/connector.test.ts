/**
 * The real HubSpot connector (connectors/hubspot, unchanged) against the sandbox, with the
 * sandbox's default (HubSpot) rate limits: identify, setup, preflight, full and incremental
 * reads, deals with their primary company, and batch writes with refused records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { generatePortal, mutate } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox, type Sandbox } from '../../sandbox/hubspot/server.ts';
import type { Connector } from '../../src/sync/connector.ts';

const NOW = Date.UTC(2026, 10, 1);
const TIERS = [
  { value: 'tech_touch', label: 'Tech touch' },
  { value: 'mid_touch', label: 'Mid touch' },
  { value: 'high_touch', label: 'High touch' },
];
const COMPANY_PROPERTIES = ['annualrevenue', 'numberofemployees', 'lifecyclestage', 'support_plan', 'prefers_digital'];

let portal: Portal;
let sandbox: Sandbox;
let running: RunningSandbox;
let connector: Connector;

beforeAll(async () => {
  portal = generatePortal({ seed: 21, companies: 220, contacts: 600, deals: 300, now: NOW });
  sandbox = createSandbox({ portal, token: 'pat-sandbox' });
  running = await sandbox.listen(0);
  connector = createHubSpotConnector({ accessToken: 'pat-sandbox', baseUrl: running.url });
});

afterAll(async () => {
  await running.close();
});

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

describe('the HubSpot connector against the sandbox', () => {
  it('identifies the portal', async () => {
    await expect(connector.identify()).resolves.toEqual({ externalId: String(portal.portalId), name: null });
  });

  it('preflight asks for setup; setup creates the group and properties once', async () => {
    const before = await connector.preflight({ companies: COMPANY_PROPERTIES, contacts: ['lifecyclestage'] });
    expect(before.missingProperties).toEqual({});
    expect(before.problems.join('\n')).toContain('run setup first');

    const first = await connector.setup(TIERS);
    expect(first.changes).toContain('created property group engagement_model on companies');
    expect(first.changes).toContain('created property engagement_model on contacts');
    expect(portal.schema.companies.properties.get('engagement_model')?.options.map((o) => o.value)).toEqual(
      TIERS.map((t) => t.value),
    );
    expect(first.lists?.map((list) => list.name)).toContain('Engagement model: Mid touch contacts');
    // What the sandbox returns must read back as identical: nothing to change the second time.
    expect((await connector.setup(TIERS, { knownLists: first.lists ?? [] })).changes).toEqual([]);
    const after = await connector.preflight({
      companies: [...COMPANY_PROPERTIES, 'no_such'],
      contacts: ['lifecyclestage'],
    });
    expect(after).toEqual({ missingProperties: { companies: ['no_such'] }, problems: [] });
    // A mapping still reading the legacy score is told it is frozen.
    const legacy = await connector.preflight({ contacts: ['hubspotscore'] });
    expect(legacy.missingProperties).toEqual({});
    expect(legacy.problems).toEqual([expect.stringContaining('hubspotscore stopped updating on 2025-08-31')]);
  });

  it('reads every company, and deals with their primary company', async () => {
    const companies = await collect(connector.read('companies', { properties: COMPANY_PROPERTIES }));
    expect(companies).toHaveLength(220);
    const sample = companies[7];
    expect(sample?.properties['annualrevenue']).toBe(
      portal.objects.companies.records.get(sample?.id ?? '')?.properties['annualrevenue'],
    );
    const deals = await collect(connector.readDeals({ properties: ['amount', 'hs_is_closed_won', 'closedate'] }));
    expect(deals).toHaveLength(300);
    for (const deal of deals) expect(deal.companyId).toBe(portal.objects.deals.records.get(deal.id)?.companyId);
  });

  it('lists the contacts’ score properties: the lead-scoring tool’s and the frozen legacy one', async () => {
    const scores = await connector.scoreProperties?.();
    expect(scores).toEqual(
      expect.arrayContaining([
        { name: 'inbound_lead_score', label: 'Inbound lead score', kind: 'combined' },
        { name: 'inbound_lead_score_fit', label: 'Inbound lead score: fit', kind: 'fit' },
        { name: 'inbound_lead_score_engagement', label: 'Inbound lead score: engagement', kind: 'engagement' },
        { name: 'hubspotscore', label: 'HubSpot Score', kind: 'legacy' },
      ]),
    );
    expect(scores).toHaveLength(4);
  });

  it('reads incrementally what changed since a time, deals through associations v4', async () => {
    const at = Date.now() + 1000;
    const changed = mutate(portal, { deals: 12, contacts: 30, seed: 4, now: at });
    const deals = await collect(connector.readDeals({ properties: ['amount'], modifiedSince: at }));
    expect(deals.map((d) => d.id).sort()).toEqual([...changed.deals].sort());
    for (const deal of deals) expect(deal.companyId).toBe(portal.objects.deals.records.get(deal.id)?.companyId);
    const contacts = await collect(
      connector.read('contacts', { properties: ['inbound_lead_score'], modifiedSince: at }),
    );
    expect(contacts.map((c) => c.id).sort()).toEqual([...changed.contacts].sort());
  });

  it('writes tiers in batches; records the sandbox refuses come back rejected', async () => {
    const ids = portal.objects.companies.order.slice(0, 150).map(String);
    const updates = ids.map((id, i) => ({
      id,
      properties: { engagement_model: i === 42 ? 'platinum_touch' : 'mid_touch', engagement_model_reason: 'test' },
    }));
    updates.push({ id: '1', properties: { engagement_model: 'mid_touch', engagement_model_reason: 'gone' } });
    const calls = connector.apiCalls;
    sandbox.resetStats();
    const result = await connector.update('company', updates);
    expect(result.rejected.map((r) => r.id).sort()).toEqual(['1', ids[42]].sort());
    expect(result.rejected.find((r) => r.id === ids[42])?.error).toBe(
      'engagement_model: platinum_touch was not one of the allowed options: [tech_touch, mid_touch, high_touch] (INVALID_OPTION)',
    );
    // Each batch with a bad record costs its refusal and one resend: 4 calls, no bisection.
    expect(connector.apiCalls - calls).toBe(4);
    const answered = Object.entries(sandbox.stats.byStatus).filter(([, count]) => count > 0);
    expect(Object.fromEntries(answered)).toEqual({ '200': 2, '400': 1, '404': 1 });
    expect(result.written).toHaveLength(149);
    expect(portal.objects.companies.records.get(ids[0] ?? '')?.properties['engagement_model']).toBe('mid_touch');
    expect(portal.objects.companies.records.get(ids[42] ?? '')?.properties['engagement_model']).toBeUndefined();
    expect(sandbox.stats.byStatus['429'] ?? 0).toBe(0);
  });
});
