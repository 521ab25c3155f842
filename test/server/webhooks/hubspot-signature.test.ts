/** HubSpot v3 signatures: the documented formula, the 5-minute window, the URI decoding. */
import { createHmac } from 'node:crypto';
import { Signature } from '@hubspot/api-client';
import { describe, expect, test } from 'vitest';
import {
  publicUri,
  signedUri,
  signHubSpotV3,
  verifyHubSpotSignatureV3,
  type VerifyOptions,
} from '../../../connectors/hubspot/webhooks/signature.ts';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const URI = 'https://righttouch.example.com/webhooks/hubspot';
const BODY = '[{"eventId":1,"portalId":62515}]';
const TS = 1_700_000_000_000;

/** The documented formula, written out independently of the module. */
function documented(secret: string, source: string): string {
  return createHmac('sha256', secret).update(source, 'utf8').digest('base64');
}

function request(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    clientSecret: SECRET,
    method: 'POST',
    uri: URI,
    rawBody: Buffer.from(BODY),
    signature: documented(SECRET, `POST${URI}${BODY}${TS}`),
    timestamp: String(TS),
    now: TS + 1000,
    ...overrides,
  };
}

describe('signHubSpotV3', () => {
  test('matches a fixed vector (computed with openssl from method + uri + body + timestamp)', () => {
    // printf '%s' 'POSThttps://righttouch.example.com/webhooks/hubspot[{"eventId":1,"portalId":62515}]1700000000000'
    //   | openssl dgst -sha256 -hmac 'yyyyyyyy-…' -binary | base64
    const vector = 'uRIepZbUSGGWBXRTnC9bkQfN01WLkFiORhiqRf0++nc=';
    expect(signHubSpotV3({ clientSecret: SECRET, method: 'POST', uri: URI, rawBody: BODY, timestamp: TS })).toBe(
      vector,
    );
    expect(documented(SECRET, `POST${URI}${BODY}${TS}`)).toBe(vector);
  });

  test('agrees with @hubspot/api-client for a URI without escapes', () => {
    const sdk = Signature.getSignature('POST', 'v3', {
      signature: '',
      clientSecret: SECRET,
      requestBody: BODY,
      url: URI,
      timestamp: TS,
    });
    expect(
      signHubSpotV3({ clientSecret: SECRET, method: 'POST', uri: URI, rawBody: Buffer.from(BODY), timestamp: TS }),
    ).toBe(sdk);
  });

  test('signs the raw bytes, multi-byte UTF-8 included', () => {
    const body = '[{"propertyValue":"Zoë — 東京"}]';
    expect(
      signHubSpotV3({ clientSecret: SECRET, method: 'POST', uri: URI, rawBody: Buffer.from(body), timestamp: TS }),
    ).toBe(documented(SECRET, `POST${URI}${body}${TS}`));
  });
});

describe('verifyHubSpotSignatureV3', () => {
  test('accepts a good signature', () => {
    expect(verifyHubSpotSignatureV3(request())).toEqual({ ok: true });
  });

  test('accepts timestamps up to 5 minutes old or ahead, refuses older and further ahead', () => {
    const fiveMinutes = 5 * 60 * 1000;
    expect(verifyHubSpotSignatureV3(request({ now: TS + fiveMinutes }))).toEqual({ ok: true });
    expect(verifyHubSpotSignatureV3(request({ now: TS + fiveMinutes + 1 }))).toEqual({ ok: false, reason: 'stale' });
    expect(verifyHubSpotSignatureV3(request({ now: TS - fiveMinutes }))).toEqual({ ok: true });
    expect(verifyHubSpotSignatureV3(request({ now: TS - fiveMinutes - 1 }))).toEqual({ ok: false, reason: 'stale' });
  });

  test('a stale request is refused even when its signature is right', () => {
    const old = TS - 10 * 60 * 1000;
    const signature = documented(SECRET, `POST${URI}${BODY}${old}`);
    expect(verifyHubSpotSignatureV3(request({ signature, timestamp: String(old), now: TS }))).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  test('a tampered body, URI, method or timestamp, or the wrong secret, is a mismatch', () => {
    const mismatch = { ok: false, reason: 'mismatch' };
    expect(verifyHubSpotSignatureV3(request({ rawBody: Buffer.from(BODY.replace('62515', '62516')) }))).toEqual(
      mismatch,
    );
    expect(verifyHubSpotSignatureV3(request({ uri: `${URI}?x=1` }))).toEqual(mismatch);
    expect(verifyHubSpotSignatureV3(request({ uri: URI.replace('https', 'http') }))).toEqual(mismatch);
    expect(verifyHubSpotSignatureV3(request({ method: 'PUT' }))).toEqual(mismatch);
    expect(verifyHubSpotSignatureV3(request({ timestamp: String(TS + 1) }))).toEqual(mismatch);
    expect(verifyHubSpotSignatureV3(request({ clientSecret: 'another-secret' }))).toEqual(mismatch);
  });

  test('a malformed signature header is a mismatch, not an exception', () => {
    const good = request().signature ?? '';
    for (const signature of ['abc', `${good}=`, `sha256=${good}`, good.toLowerCase(), '€'.repeat(44)]) {
      expect(verifyHubSpotSignatureV3(request({ signature }))).toEqual({ ok: false, reason: 'mismatch' });
    }
  });

  test('missing or unreadable headers', () => {
    const missing = { ok: false, reason: 'missing' };
    expect(verifyHubSpotSignatureV3(request({ signature: undefined }))).toEqual(missing);
    expect(verifyHubSpotSignatureV3(request({ signature: '  ' }))).toEqual(missing);
    expect(verifyHubSpotSignatureV3(request({ timestamp: undefined }))).toEqual(missing);
    expect(verifyHubSpotSignatureV3(request({ timestamp: 'yesterday' }))).toEqual(missing);
    expect(verifyHubSpotSignatureV3(request({ timestamp: '-1' }))).toEqual(missing);
  });
});

describe('URI decoding', () => {
  // As received (escaped), and as HubSpot signs it: %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B
  // decoded, in either case; %20 and every other escape left alone.
  const received = `${URI}?install=a%3Ab&next=%2Fx%20z%27%281%29%2a%2C%3b%40%21%24`;
  const signed = `${URI}?install=a:b&next=/x%20z'(1)*,;@!$`;

  test('decodes exactly the documented escapes', () => {
    expect(signedUri(received)).toBe(signed);
    expect(signedUri('https://h/p?a=%25%3A%26%3D%2B%23')).toBe('https://h/p?a=%25:%26%3D%2B%23');
    expect(signedUri('https://h/a%3Fb%3F')).toBe('https://h/a?b?');
  });

  test('a request signed over the decoded URI verifies against the URI as received', () => {
    // The fixed vector was computed with openssl over the decoded string.
    const signature = 'EyM0onV3MNvyoQqI/wSIPb1ivbHgoAXRy+U+WS49riI=';
    expect(documented('secret', `POST${signed}[]${TS}`)).toBe(signature);
    const check = verifyHubSpotSignatureV3(
      request({ clientSecret: 'secret', uri: received, rawBody: Buffer.from('[]'), signature }),
    );
    expect(check).toEqual({ ok: true });
  });

  test('a signature over the still-escaped URI does not verify', () => {
    const signature = documented(SECRET, `POST${received}${BODY}${TS}`);
    expect(verifyHubSpotSignatureV3(request({ uri: received, signature }))).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('publicUri joins the public base URL and the original URL', () => {
    expect(publicUri('https://righttouch.example.com', '/webhooks/hubspot?x=1')).toBe(
      'https://righttouch.example.com/webhooks/hubspot?x=1',
    );
    expect(publicUri('https://righttouch.example.com/', '/webhooks/hubspot')).toBe(URI);
    expect(publicUri('https://example.com/rt', '/webhooks/hubspot')).toBe('https://example.com/rt/webhooks/hubspot');
  });
});
