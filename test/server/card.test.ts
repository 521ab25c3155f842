/** The record card's history endpoint: signed by HubSpot, scoped to the signing portal. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signHubSpotV3 } from '../../connectors/hubspot/webhooks/signature.ts';
import { startServer, type Harness } from './harness.ts';

const PUBLIC = 'https://rt.example.com';
let h: Harness;

beforeEach(async () => {
  h = await startServer({ HUBSPOT_CLIENT_ID: 'cid', HUBSPOT_CLIENT_SECRET: 'card-secret', PUBLIC_BASE_URL: PUBLIC });
  const a = await h.store.upsertInstallation('hubspot', '111');
  const b = await h.store.upsertInstallation('hubspot', '222');
  await h.store.applyTierChanges(a.id, 'r1', [{ type: 'company', id: '9', tier: 'mid_touch', reasons: ['A'] }], 1);
  await h.store.applyTierChanges(b.id, 'r2', [{ type: 'company', id: '9', tier: 'high_touch', reasons: ['B'] }], 1);
});
afterEach(async () => {
  await h.close();
});

function signed(path: string, secret = 'card-secret', timestamp = Date.now()): Promise<Response> {
  const signature = signHubSpotV3({
    clientSecret: secret,
    method: 'GET',
    uri: `${PUBLIC}${path}`,
    rawBody: '',
    timestamp,
  });
  return fetch(`${h.url}${path}`, {
    headers: { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) },
  });
}

describe('GET /card/hubspot/history', () => {
  it('answers the signing portal’s history of the record, and only that portal’s', async () => {
    const a = (await (await signed('/card/hubspot/history?portalId=111&type=company&id=9')).json()) as {
      history: { newTier: string }[];
    };
    expect(a.history.map((e) => e.newTier)).toEqual(['mid_touch']);
    const b = (await (await signed('/card/hubspot/history?portalId=222&type=company&id=9')).json()) as {
      history: { newTier: string }[];
    };
    expect(b.history.map((e) => e.newTier)).toEqual(['high_touch']);
    expect((await signed('/card/hubspot/history?portalId=333&type=company&id=9')).status).toBe(404);
    expect((await signed('/card/hubspot/history?portalId=111&type=deal&id=9')).status).toBe(400);
  });

  it('refuses unsigned, wrongly signed, stale and tampered requests', async () => {
    expect((await fetch(`${h.url}/card/hubspot/history?portalId=111&type=company&id=9`)).status).toBe(401);
    expect((await signed('/card/hubspot/history?portalId=111&type=company&id=9', 'other-secret')).status).toBe(401);
    expect(
      (await signed('/card/hubspot/history?portalId=111&type=company&id=9', 'card-secret', Date.now() - 6 * 60_000))
        .status,
    ).toBe(401);
    // Signed for portal 111, sent for 222.
    const timestamp = Date.now();
    const signature = signHubSpotV3({
      clientSecret: 'card-secret',
      method: 'GET',
      uri: `${PUBLIC}/card/hubspot/history?portalId=111&type=company&id=9`,
      rawBody: '',
      timestamp,
    });
    const tampered = await fetch(`${h.url}/card/hubspot/history?portalId=222&type=company&id=9`, {
      headers: { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) },
    });
    expect(tampered.status).toBe(401);
  });

  it('takes a portalId the card and HubSpot both sent if they agree, and refuses one that was changed', async () => {
    // The card sets portalId from its context; HubSpot's proxy may append its own after it.
    const both = '/card/hubspot/history?portalId=111&type=company&id=9&userId=5&userEmail=a%40b.example&portalId=111';
    const answer = (await (await signed(both)).json()) as { history: { newTier: string }[] };
    expect(answer.history.map((e) => e.newTier)).toEqual(['mid_touch']);
    const conflicting = '/card/hubspot/history?portalId=222&type=company&id=9&userId=5&portalId=111';
    expect((await signed(conflicting)).status).toBe(400);
    // Signed by HubSpot for the card's portal 111; the card's own portalId changed to 222 on the way.
    const timestamp = Date.now();
    const signature = signHubSpotV3({
      clientSecret: 'card-secret',
      method: 'GET',
      uri: `${PUBLIC}${both}`,
      rawBody: '',
      timestamp,
    });
    const tampered = await fetch(`${h.url}${both.replace('portalId=111', 'portalId=222')}`, {
      headers: { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) },
    });
    expect(tampered.status).toBe(401);
  });
});
