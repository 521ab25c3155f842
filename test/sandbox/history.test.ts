/**
 * Property history in the sandbox portal (sandbox/hubspot/history.ts), through the real SDK: who set
 * a value — the app's API writes (`INTEGRATION`, the app id) and a person's edit in the UI (`CRM_UI`,
 * `userId:<id>`, `updatedByUserId`) — newest first on get one, list and batch read, never on search,
 * at most 50 records with history per request, and the person named through owners `idProperty=userId`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { editByHand, HISTORY_LIMIT_MESSAGE, SANDBOX_USERS } from '../../sandbox/hubspot/history.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { fromSnapshot, toSnapshot } from '../../sandbox/hubspot/snapshot.ts';
import { failure, filter, reads, searchBody, start, updates, type Harness } from './helpers.ts';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
let clock = NOW;
let portal: Portal;
let h: Harness;
const user = SANDBOX_USERS[0] ?? { userId: 0, ownerId: '', firstName: '', lastName: '', email: '' };

beforeAll(async () => {
  portal = generatePortal({ seed: 3, companies: 120, contacts: 200, deals: 50, now: NOW });
  h = await start({ portal, limits: false, now: () => clock });
});

afterAll(async () => {
  await h.running.close();
});

describe('property history (propertiesWithHistory)', () => {
  it('an API write is the app’s (INTEGRATION), a hand edit the user’s (CRM_UI), newest first', async () => {
    const id = String(portal.objects.companies.order[0]);
    clock += 60_000;
    await h.client.crm.objects.batchApi.update('companies', updates([[id, { domain: 'retail.example' }]]));
    clock += 60_000;
    editByHand(portal, 'companies', id, { property: 'domain', value: 'bank.example', userId: user.userId, at: clock });

    const one = await h.client.crm.objects.basicApi.getById('companies', id, ['domain'], ['domain']);
    expect(one.properties['domain']).toBe('bank.example');
    const entries = one.propertiesWithHistory?.['domain'] ?? [];
    expect(entries.map((e) => [e.value, e.sourceType, e.sourceId, e.updatedByUserId])).toEqual(
      [
        ['bank.example', 'CRM_UI', `userId:${user.userId}`, user.userId],
        ['retail.example', 'INTEGRATION', '1', undefined],
        expect.arrayContaining([]) as unknown,
      ].slice(0, entries.length),
    );
    expect(entries[0]?.timestamp.toISOString()).toBe(new Date(clock).toISOString());
    expect(new Date(one.updatedAt).getTime()).toBe(clock);

    const batch = await h.client.crm.objects.batchApi.read('companies', reads([id], ['domain'], ['domain']));
    expect(batch.results[0]?.propertiesWithHistory?.['domain']?.[0]?.sourceType).toBe('CRM_UI');
    const page = await h.client.crm.objects.basicApi.getPage('companies', 50, undefined, ['domain'], ['domain']);
    expect(page.results.find((r) => r.id === id)?.propertiesWithHistory?.['domain']?.[0]?.value).toBe('bank.example');
    // The snapshot `npm start` keeps keeps the history too.
    const saved = fromSnapshot(toSnapshot(portal)).objects.companies.records.get(id);
    expect(saved?.history?.['domain']?.[0]?.updatedByUserId).toBe(user.userId);
    // Without history asked for, none comes back.
    expect(
      (await h.client.crm.objects.basicApi.getById('companies', id, ['domain'])).propertiesWithHistory,
    ).toBeUndefined();
  });

  it('search cannot return history: it ignores propertiesWithHistory', async () => {
    const body = Object.assign(
      searchBody([[filter('hs_object_id', 'GTE' as never, '0')]], { properties: ['domain'], limit: 5 }),
      { propertiesWithHistory: ['domain'] },
    );
    const found = await h.client.crm.objects.searchApi.doSearch('companies', body);
    expect(found.results.length).toBe(5);
    for (const result of found.results)
      expect((result as { propertiesWithHistory?: unknown }).propertiesWithHistory).toBeUndefined();
  });

  it('at most 50 records with history: a batch read of 51 and a list page of 51 are refused (400)', async () => {
    const ids = portal.objects.companies.order.slice(0, 51).map(String);
    const batch = await failure(h.client.crm.objects.batchApi.read('companies', reads(ids, ['domain'], ['domain'])));
    expect(batch.code).toBe(400);
    expect(batch.body['message']).toBe(HISTORY_LIMIT_MESSAGE);
    expect(batch.body['category']).toBe('VALIDATION_ERROR');
    const list = await failure(
      h.client.crm.objects.basicApi.getPage('companies', 51, undefined, ['domain'], ['domain']),
    );
    expect(list.code).toBe(400);
    // 51 without history is fine; 50 with history is fine.
    expect((await h.client.crm.objects.batchApi.read('companies', reads(ids, ['domain']))).results.length).toBe(51);
    const fifty = await h.client.crm.objects.batchApi.read(
      'companies',
      reads(ids.slice(0, 50), ['domain'], ['domain']),
    );
    expect(fifty.results.length).toBe(50);
  });

  it('names the user behind updatedByUserId through owners (idProperty=userId); an unknown one is a 404', async () => {
    const owner = await h.client.crm.owners.ownersApi.getById(user.userId, 'userId');
    expect([owner.firstName, owner.lastName, owner.userId, owner.id]).toEqual([
      user.firstName,
      user.lastName,
      user.userId,
      user.ownerId,
    ]);
    expect((await failure(h.client.crm.owners.ownersApi.getById(1, 'userId'))).code).toBe(404);
    // By owner id, the user id does not match.
    expect((await failure(h.client.crm.owners.ownersApi.getById(user.userId, 'id'))).code).toBe(404);
  });

  it('POST /sandbox/v1/ui-edits plays a user editing a property in the UI (npm start has no other hands)', async () => {
    const id = String(portal.objects.companies.order[5]);
    const post = (body: unknown) =>
      fetch(`${h.running.url}/sandbox/v1/ui-edits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const done = await post({
      objectType: 'companies',
      objectId: id,
      property: 'domain',
      value: 'ui.example',
      userId: user.userId,
    });
    expect(done.status).toBe(204);
    const one = await h.client.crm.objects.basicApi.getById('companies', id, ['domain'], ['domain']);
    expect(one.propertiesWithHistory?.['domain']?.[0]).toMatchObject({
      value: 'ui.example',
      sourceType: 'CRM_UI',
      updatedByUserId: user.userId,
    });
    expect((await post({ objectType: 'companies', objectId: id, property: 'nope', value: 'x' })).status).toBe(400);
    expect(
      (await post({ objectType: 'companies', objectId: id, property: 'domain', value: 'x', userId: 1 })).status,
    ).toBe(400);
  });
});
