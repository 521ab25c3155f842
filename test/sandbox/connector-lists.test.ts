/**
 * The real HubSpot connector's lists per tier against the sandbox's Lists API: created once,
 * holding the records of their tier, found again by id after a person renamed one, renamed when a
 * tier's label changes, a new tier's created, a dropped tier's left and reported; without the
 * list scopes setup fails with HubSpot's 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { membersOf } from '../../sandbox/hubspot/lists.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import type { Connector, CrmList } from '../../src/sync/connector.ts';

const NOW = Date.UTC(2026, 10, 1);
const TIERS = [
  { value: 'low_touch', label: 'Low-touch' },
  { value: 'high_touch', label: 'High-touch' },
];

let portal: Portal;
let running: RunningSandbox;
let connector: Connector;

beforeAll(async () => {
  portal = generatePortal({ seed: 5, companies: 60, contacts: 120, deals: 30, now: NOW });
  running = await createSandbox({ portal, token: 'pat', limits: false }).listen(0);
  connector = createHubSpotConnector({ accessToken: 'pat', baseUrl: running.url });
});

afterAll(async () => {
  await running.close();
});

function sandboxList(id: string): NonNullable<ReturnType<Portal['lists']['lists']['get']>> {
  const list = portal.lists.lists.get(id);
  if (list === undefined) throw new Error(`no list ${id}`);
  return list;
}

describe('lists per tier in the sandbox portal', () => {
  let known: readonly CrmList[] = [];

  it('creates one active list per tier and object, holding the records the connector tiers', async () => {
    const report = await connector.setup(TIERS);
    known = report.lists ?? [];
    expect(known.map((list) => list.name)).toEqual([
      'Engagement model: Low-touch companies',
      'Engagement model: Low-touch contacts',
      'Engagement model: High-touch companies',
      'Engagement model: High-touch contacts',
    ]);
    expect(known[0]?.url).toBe(`https://app.hubspot.com/contacts/${portal.portalId}/objectLists/${known[0]?.id ?? ''}`);

    const companies = [...portal.objects.companies.records.keys()].slice(0, 10);
    const written = await connector.update(
      'company',
      companies.map((id, i) => ({ id, properties: { engagement_model: i < 3 ? 'high_touch' : 'low_touch' } })),
    );
    expect(written.rejected).toEqual([]);
    const high = sandboxList(known[2]?.id ?? '');
    const low = sandboxList(known[0]?.id ?? '');
    expect(membersOf(portal, high)).toEqual(companies.slice(0, 3));
    expect(membersOf(portal, low)).toEqual(companies.slice(3));
  });

  it('finds a list a person renamed by its id and names it again; nothing else changes', async () => {
    sandboxList(known[1]?.id ?? '').name = 'Low-touch people (Q4 campaign)';
    const report = await connector.setup(TIERS, { knownLists: known });
    expect(report.changes).toEqual([
      'renamed list "Low-touch people (Q4 campaign)" to "Engagement model: Low-touch contacts"',
    ]);
    expect(report.lists).toEqual(known);
    expect((await connector.setup(TIERS, { knownLists: known })).changes).toEqual([]);
  });

  it('renames on a new label, creates a new tier’s lists and leaves a dropped tier’s, reported', async () => {
    const tiers = [
      { value: 'tech_touch', label: 'Tech-touch' },
      { value: 'high_touch', label: 'Enterprise' },
    ];
    const report = await connector.setup(tiers, { knownLists: known });
    expect(report.changes).toEqual(
      expect.arrayContaining([
        'created list "Engagement model: Tech-touch companies"',
        'renamed list "Engagement model: High-touch contacts" to "Engagement model: Enterprise contacts"',
      ]),
    );
    expect(report.warnings).toEqual([
      expect.stringContaining('"Engagement model: Low-touch companies" is for tier low_touch'),
      expect.stringContaining('"Engagement model: Low-touch contacts" is for tier low_touch'),
    ]);
    const live = [...portal.lists.lists.values()].filter((list) => list.deletedAt === undefined);
    expect(live.map((list) => list.name).sort()).toEqual(
      [
        'Engagement model: Enterprise companies',
        'Engagement model: Enterprise contacts',
        'Engagement model: Low-touch companies',
        'Engagement model: Low-touch contacts',
        'Engagement model: Tech-touch companies',
        'Engagement model: Tech-touch contacts',
      ].sort(),
    );
  });

  it('without the list scopes, setup fails with HubSpot’s 403 naming the scope', async () => {
    const narrow = await createSandbox({
      portal: generatePortal({ seed: 6, companies: 5, contacts: 5, deals: 2, now: NOW }),
      limits: false,
      scopes: ['oauth', 'crm.schemas.companies.write', 'crm.schemas.contacts.write'],
    }).listen(0);
    try {
      const other = createHubSpotConnector({ accessToken: 'x', baseUrl: narrow.url });
      await expect(other.setup(TIERS)).rejects.toThrow(/403 MISSING_SCOPES/);
      await expect(other.setup(TIERS, { lists: false })).resolves.toMatchObject({ changes: [] });
    } finally {
      await narrow.close();
    }
  });
});
