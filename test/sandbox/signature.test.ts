/**
 * The sandbox's own HubSpot signer (sandbox/hubspot/signature.ts) against HubSpot's documented
 * example and openssl vectors, and against the product's verifier — two independent readings of
 * the "Validating requests" page that must agree.
 */
import { describe, expect, test } from 'vitest';
import { hubspotSignatureV1, hubspotSignatureV3, uriAsSigned } from '../../sandbox/hubspot/signature.ts';
import { verifyHubSpotSignatureV3 } from '../../connectors/hubspot/webhooks/signature.ts';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const TS = 1_700_000_000_000;

describe('hubspotSignatureV1', () => {
  test("reproduces the worked example on HubSpot's v1 request validation page", () => {
    // https://developers.hubspot.com/docs/faq/v1-request-validation: secret + body, SHA-256, hex.
    const body =
      '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
    expect(hubspotSignatureV1(SECRET, body)).toBe('232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de');
  });
});

describe('hubspotSignatureV3', () => {
  test('matches openssl over method + uri + body + timestamp', () => {
    // printf '%s' 'POSThttps://righttouch.example.com/webhooks/hubspot[{"eventId":1,"portalId":62515}]1700000000000'
    //   | openssl dgst -sha256 -hmac 'yyyyyyyy-…' -binary | base64
    expect(
      hubspotSignatureV3({
        clientSecret: SECRET,
        method: 'POST',
        uri: 'https://righttouch.example.com/webhooks/hubspot',
        body: '[{"eventId":1,"portalId":62515}]',
        timestamp: TS,
      }),
    ).toBe('uRIepZbUSGGWBXRTnC9bkQfN01WLkFiORhiqRf0++nc=');
  });

  test('signs the listed escapes decoded and every other escape as sent', () => {
    // printf '%s' 'GEThttps://righttouch.example.com/card/tier?q=a:b,c%20d1700000000000' | openssl … | base64
    const uri = 'https://righttouch.example.com/card/tier?q=a%3Ab%2cc%20d';
    expect(uriAsSigned(uri)).toBe('https://righttouch.example.com/card/tier?q=a:b,c%20d');
    expect(hubspotSignatureV3({ clientSecret: SECRET, method: 'GET', uri, body: '', timestamp: TS })).toBe(
      'VjXjQsmOIT8Tz4yDx1P5s+KE/L3GBgGVRHjAIg77KZk=',
    );
  });

  test('decodes exactly the twelve characters the page lists', () => {
    // The page's table, as written there (upper case) and in lower case.
    const escapes = '%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B';
    expect(uriAsSigned(escapes)).toBe(":/?@!$'()*,;");
    expect(uriAsSigned(escapes.toLowerCase())).toBe(":/?@!$'()*,;");
    for (const kept of ['%20', '%26', '%3D', '%2B', '%23', '%25']) expect(uriAsSigned(`x${kept}`)).toBe(`x${kept}`);
  });
});

describe('the product verifies what the sandbox signs', () => {
  const uri = 'https://righttouch.example.com/webhooks/hubspot?portal=1%3A2&note=it%27s%20ok';
  const body = '[{"eventId":7,"propertyValue":"Zoë — 東京"}]';
  const signed = { clientSecret: SECRET, method: 'POST', uri, body, timestamp: TS } as const;
  const verify = (overrides: { body?: string; uri?: string; signature?: string }) =>
    verifyHubSpotSignatureV3({
      clientSecret: SECRET,
      method: 'POST',
      uri: overrides.uri ?? uri,
      rawBody: Buffer.from(overrides.body ?? body, 'utf8'),
      signature: overrides.signature ?? hubspotSignatureV3(signed),
      timestamp: String(TS),
      now: TS + 1000,
    });

  test('accepts the signature, escapes and multi-byte body included', () => {
    expect(verify({})).toEqual({ ok: true });
  });

  test('refuses it for another body or another URL', () => {
    expect(verify({ body: body.replace('7', '8') })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify({ uri: uri.replace('portal=1', 'portal=2') })).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('refuses a signature made with another secret', () => {
    expect(verify({ signature: hubspotSignatureV3({ ...signed, clientSecret: 'other' }) })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });
});
