/** Webhook payload validation, and which records a batch of events asks to re-read. */
import { describe, expect, test } from 'vitest';
import {
  affectedBy,
  changedRecords,
  emptyAffected,
  MAX_BY_ID,
  mergeAffected,
  parseHubSpotEvents,
  parseHubSpotEventsJson,
  type HubSpotEvent,
} from '../../../connectors/hubspot/webhooks/events.ts';

const APP = 4242;
let nextId = 1;

function event(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    eventId: nextId++,
    subscriptionId: 7562680,
    portalId: 62515,
    appId: APP,
    occurredAt: 1_700_000_000_000,
    attemptNumber: 0,
    changeSource: 'CRM_UI',
    sourceId: 'userId:1',
    ...fields,
  };
}

function parse(events: readonly Record<string, unknown>[]): HubSpotEvent[] {
  const parsed = parseHubSpotEvents(events);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.events;
}

function sorted(set: ReadonlySet<string> | ReadonlyMap<string, string>): unknown[] {
  return set instanceof Map ? [...set].sort() : [...(set as ReadonlySet<string>)].sort();
}

describe('parseHubSpotEvents', () => {
  test('accepts HubSpot payloads, keeps unknown fields, reads ids as strings', () => {
    const parsed = parse([
      event({
        subscriptionType: 'contact.propertyChange',
        objectId: 541935488729,
        propertyName: 'email',
        propertyValue: 'a@b.c',
        somethingNew: { x: 1 },
      }),
      // The legacy field name.
      { eventId: '9', portalId: '62515', occurredAt: 1, eventType: 'company.creation', objectId: 5 },
    ]);
    expect(parsed[0]?.objectId).toBe('541935488729');
    expect(parsed[0]?.portalId).toBe('62515');
    expect((parsed[0] as Record<string, unknown>)['somethingNew']).toEqual({ x: 1 });
    expect(parsed[1]?.subscriptionType).toBe('company.creation');
    expect(parsed[1]?.eventId).toBe('9');
  });

  test('skips what it cannot read, says why, and keeps the rest', () => {
    expect(parseHubSpotEvents({ events: [] })).toEqual({ ok: false, error: 'expected a JSON array of events' });
    expect(parseHubSpotEvents([1, [2]])).toEqual({ ok: false, error: 'expected a JSON array of event objects' });
    expect(parseHubSpotEvents([])).toEqual({ ok: true, events: [], skipped: [] });
    const mixed = parseHubSpotEvents([
      event({ subscriptionType: 'contact.creation', objectId: 1 }),
      { eventId: 1 },
      event({ subscriptionType: 'deal.creation', objectId: 'abc' }),
      event({ subscriptionType: 'contact.merge', objectId: 2, newObjectId: null, sourceId: null, propertyValue: null }),
    ]);
    if (!mixed.ok) throw new Error(mixed.error);
    // A bad optional field (objectId 'abc') is dropped; the event stays.
    expect(mixed.events.map((e) => [e.subscriptionType, e.objectId])).toEqual([
      ['contact.creation', '1'],
      ['deal.creation', undefined],
      ['contact.merge', '2'],
    ]);
    expect(mixed.events[2]?.newObjectId).toBeUndefined();
    expect(mixed.skipped).toHaveLength(1);
    expect(mixed.skipped[0]?.index).toBe(1);
    expect(mixed.skipped[0]?.reason).toContain('portalId');
    const json = parseHubSpotEventsJson('[{"eventId": 1,');
    expect(!json.ok && json.error).toMatch(/^malformed JSON: /);
  });
});

describe('affectedBy', () => {
  test('groups by portal and object kind', () => {
    const groups = affectedBy(
      parse([
        event({ subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'annualrevenue' }),
        event({ subscriptionType: 'contact.creation', objectId: 2 }),
        event({ subscriptionType: 'deal.propertyChange', objectId: 3, propertyName: 'amount' }),
        event({ subscriptionType: 'deal.propertyChange', objectId: 3, propertyName: 'dealstage' }),
        event({ subscriptionType: 'company.propertyChange', objectId: 9, portalId: 777, propertyName: 'name' }),
        event({ subscriptionType: 'ticket.creation', objectId: 4 }),
        event({ subscriptionType: 'object.propertyChange', objectTypeId: '0-1', objectId: 5, propertyName: 'x' }),
        event({ subscriptionType: 'object.creation', objectTypeId: '0-5', objectId: 6 }),
      ]),
    );
    expect(groups.map((g) => g.portalId)).toEqual(['62515', '777']);
    const [main, other] = groups;
    expect(sorted(main?.companies ?? new Set())).toEqual(['1']);
    expect(sorted(main?.contacts ?? new Set())).toEqual(['2', '5']);
    expect(sorted(main?.deals ?? new Set())).toEqual(['3']);
    expect(sorted(other?.companies ?? new Set())).toEqual(['9']);
  });

  test('ignores our own output properties, but not the override', () => {
    const [group] = affectedBy(
      parse([
        event({ subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'engagement_model' }),
        event({ subscriptionType: 'company.propertyChange', objectId: 2, propertyName: 'engagement_model_reason' }),
        event({ subscriptionType: 'contact.propertyChange', objectId: 3, propertyName: 'engagement_model_updated_at' }),
        event({ subscriptionType: 'company.propertyChange', objectId: 4, propertyName: 'engagement_model_override' }),
      ]),
    );
    expect(sorted(group?.companies ?? new Set())).toEqual(['4']);
    expect(group?.contacts.size).toBe(0);
  });

  test("ignores our own app's writes (sourceId = our app id), when the app id is known", () => {
    const events = parse([
      event({ subscriptionType: 'company.propertyChange', objectId: 1, propertyName: 'name' }),
      event({
        subscriptionType: 'company.propertyChange',
        objectId: 2,
        propertyName: 'name',
        changeSource: 'INTEGRATION',
        sourceId: String(APP),
      }),
      event({
        subscriptionType: 'company.propertyChange',
        objectId: 3,
        propertyName: 'name',
        changeSource: 'INTEGRATION',
        sourceId: '999',
      }),
    ]);
    expect(sorted(affectedBy(events, undefined, { appId: APP })[0]?.companies ?? new Set())).toEqual(['1', '3']);
    expect(sorted(affectedBy(events)[0]?.companies ?? new Set())).toEqual(['1', '2', '3']);
  });

  test('deletions, merges and association changes', () => {
    const [group] = affectedBy(
      parse([
        event({ subscriptionType: 'company.deletion', objectId: 1 }),
        event({ subscriptionType: 'contact.privacyDeletion', objectId: 2 }),
        event({
          subscriptionType: 'contact.merge',
          objectId: 10,
          primaryObjectId: 10,
          mergedObjectIds: [11, 12],
          newObjectId: 13,
        }),
        event({ subscriptionType: 'company.merge', objectId: 20, primaryObjectId: 20, mergedObjectIds: [21] }),
        event({
          subscriptionType: 'contact.associationChange',
          associationType: 'CONTACT_TO_COMPANY',
          fromObjectId: 30,
          toObjectId: 31,
          associationRemoved: true,
        }),
        event({
          subscriptionType: 'deal.associationChange',
          associationType: 'DEAL_TO_TICKET',
          fromObjectId: 40,
          toObjectId: 41,
        }),
      ]),
    );
    expect(sorted(group?.removals.companies ?? new Set())).toEqual(['1']);
    expect(sorted(group?.removals.contacts ?? new Set())).toEqual(['2']);
    expect(sorted(group?.merges.contacts ?? new Map())).toEqual([
      ['10', '13'],
      ['11', '13'],
      ['12', '13'],
    ]);
    expect(sorted(group?.merges.companies ?? new Map())).toEqual([['21', '20']]);
    expect(sorted(group?.contacts ?? new Set())).toEqual(['13', '30']);
    expect(sorted(group?.companies ?? new Set())).toEqual(['20', '31']);
    expect(sorted(group?.deals ?? new Set())).toEqual(['40']);
  });

  test('a record deleted and changed ends where its latest event says', () => {
    const [group] = affectedBy(
      parse([
        event({ subscriptionType: 'company.deletion', objectId: 1, occurredAt: 2000 }),
        event({ subscriptionType: 'company.propertyChange', objectId: 1, occurredAt: 1000, propertyName: 'name' }),
        event({ subscriptionType: 'company.deletion', objectId: 2, occurredAt: 1000 }),
        event({ subscriptionType: 'company.restore', objectId: 2, occurredAt: 2000 }),
      ]),
    );
    expect(sorted(group?.removals.companies ?? new Set())).toEqual(['1']);
    expect(sorted(group?.companies ?? new Set())).toEqual(['2']);
  });

  test('mergeAffected: the later change wins', () => {
    const first = emptyAffected();
    first.companies.add('1');
    first.removals.companies.add('2');
    const later = emptyAffected();
    later.removals.companies.add('1');
    later.companies.add('2');
    later.merges.contacts.set('5', '6');
    const merged = mergeAffected(first, later);
    expect(sorted(merged.companies)).toEqual(['2']);
    expect(sorted(merged.removals.companies)).toEqual(['1']);
    expect(sorted(merged.merges.contacts)).toEqual([['5', '6']]);
  });

  test('changedRecords: named changes are read by id; removals, merges, nudges and floods make an incremental run', () => {
    const changes = emptyAffected();
    changes.deals.add('d1');
    changes.contacts.add('c1');
    expect(changedRecords(changes)).toEqual({ companies: [], contacts: ['c1'], deals: ['d1'] });
    expect(changedRecords(emptyAffected())).toBeUndefined();
    const removal = emptyAffected();
    removal.deals.add('d1');
    removal.removals.companies.add('9');
    expect(changedRecords(removal)).toBeUndefined();
    const merge = emptyAffected();
    merge.companies.add('1');
    merge.merges.companies.set('2', '1');
    expect(changedRecords(merge)).toBeUndefined();
    const flood = emptyAffected();
    for (let i = 0; i <= MAX_BY_ID; i++) flood.contacts.add(String(i));
    expect(changedRecords(flood)).toBeUndefined();
    flood.contacts.delete('0');
    expect(changedRecords(flood)?.contacts).toHaveLength(MAX_BY_ID);
  });
});
