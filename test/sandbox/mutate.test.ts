/**
 * The sandbox's `mutate` editing companies (the incremental-sync benchmark's company changes), the
 * webhook events of those edits, and deleting a record without an event (`removeRecord`).
 */
import { describe, expect, test } from 'vitest';
import { removeRecord } from '../../sandbox/hubspot/crm-actions.ts';
import { generatePortal, mutate } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createWebhookEmitter, mutateAndEmit } from '../../sandbox/hubspot/webhooks.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const TIERING_FIELDS = ['annualrevenue', 'numberofemployees', 'support_plan'];

function portalOf(): Portal {
  return generatePortal({ seed: 15, companies: 120, contacts: 300, deals: 150, now: NOW - 60_000 });
}

const propertiesOf = (portal: Portal, type: 'companies' | 'contacts' | 'deals') =>
  new Map([...portal.objects[type].records.values()].map((r) => [r.id, JSON.stringify(r.properties)]));

describe('mutate: companies', () => {
  test('edits exactly n companies, one tiering field each, and bumps their modified time', () => {
    const portal = portalOf();
    const before = new Map([...portal.objects.companies.records.values()].map((c) => [c.id, { ...c.properties }]));
    const changed = mutate(portal, { companies: 25, seed: 3, now: NOW });
    expect(changed.companies).toHaveLength(25);
    expect(new Set(changed.companies).size).toBe(25);
    for (const company of portal.objects.companies.records.values()) {
      const was = before.get(company.id) ?? {};
      const edited = Object.keys(company.properties).filter((name) => company.properties[name] !== was[name]);
      if (changed.companies.includes(company.id)) {
        expect(edited).toHaveLength(1);
        expect(TIERING_FIELDS).toContain(edited[0]);
        expect(company.updatedAt).toBe(NOW);
        const value = company.properties[edited[0] ?? ''] ?? '';
        if (edited[0] !== 'support_plan') expect(value).toMatch(/^[1-9]\d*$/); // typed in plainly
      } else {
        expect(edited).toEqual([]);
        expect(company.updatedAt).toBeLessThan(NOW);
      }
    }
  });

  test('a seed changes the same deals and contacts with or without company edits', () => {
    const plain = portalOf();
    const withCompanies = portalOf();
    const a = mutate(plain, { deals: 10, contacts: 10, seed: 5, now: NOW });
    const b = mutate(withCompanies, { deals: 10, contacts: 10, companies: 10, seed: 5, now: NOW });
    expect(b.deals).toEqual(a.deals);
    expect(b.contacts).toEqual(a.contacts);
    expect(propertiesOf(withCompanies, 'deals')).toEqual(propertiesOf(plain, 'deals'));
    expect(a.companies).toEqual([]);
  });

  test('mutateAndEmit sends company.propertyChange for exactly the edited field, with its new value', async () => {
    const portal = portalOf();
    const bodies: unknown[] = [];
    const failures: unknown[] = [];
    const emitter = createWebhookEmitter({
      targetUrl: 'http://127.0.0.1:9/webhooks/hubspot',
      clientSecret: 'secret',
      appId: 7,
      portalId: portal.portalId,
      batchMs: 1,
      retries: 0,
      onError: (error) => failures.push(error),
      fetch: (_url, init) => {
        bodies.push(JSON.parse(typeof init?.body === 'string' ? init.body : '[]'));
        return Promise.resolve(new Response(null, { status: 204 }));
      },
    });
    const changed = mutateAndEmit(portal, { companies: 8, seed: 9, now: NOW }, emitter);
    await emitter.close();
    expect(failures).toEqual([]);
    const events = bodies.flat() as Record<string, unknown>[];
    expect(events).toHaveLength(8);
    expect(new Set(events.map((e) => String(e['objectId'])))).toEqual(new Set(changed.companies));
    for (const e of events) {
      expect(e['subscriptionType']).toBe('company.propertyChange');
      expect(TIERING_FIELDS).toContain(e['propertyName']);
      const company = portal.objects.companies.records.get(String(e['objectId']));
      expect(e['propertyValue']).toBe(company?.properties[String(e['propertyName'])]);
    }
  });
});

test('removeRecord deletes a deal from the portal (list order too) and answers undefined the second time', () => {
  const portal = portalOf();
  const id = [...portal.objects.deals.records.keys()][3] ?? '';
  const version = portal.objects.deals.version;
  expect(removeRecord(portal, 'deals', id)?.id).toBe(id);
  expect(portal.objects.deals.records.has(id)).toBe(false);
  expect(portal.objects.deals.order).not.toContain(Number(id));
  expect(portal.objects.deals.version).toBe(version + 1);
  expect(removeRecord(portal, 'deals', id)).toBeUndefined();
});
