/**
 * HubSpot's v3 request signature (reference §6.3, HubSpot's "Validating requests" page and the
 * changelog that introduced it):
 *
 *   X-HubSpot-Signature-v3 = base64( HMAC-SHA256( key = app client secret,
 *                                                 utf8(method + uri + rawBody + timestamp) ) )
 *   X-HubSpot-Request-Timestamp = epoch milliseconds, as a decimal string
 *
 * - `uri` is the full URL HubSpot called (`https://host/path?query`), not the path the app sees
 *   behind a proxy: the receiver rebuilds it as `publicBaseUrl + req.originalUrl` (see
 *   `publicUri`), where `publicBaseUrl` is the public origin plus any path prefix the proxy
 *   strips.
 * - Before hashing, these percent-escapes in the URI are decoded (and no others; hex digits in
 *   either case): %3A : %2F / %3F ? %40 @ %21 ! %24 $ %27 ' %28 ( %29 ) %2A * %2C , %3B ;
 * - Requests whose timestamp is more than 5 minutes old are refused; so, here, are those more
 *   than 5 minutes in the future (a signature cannot be made ahead of time by anyone honest, and
 *   refusing them keeps a captured request from being replayable for longer than the window).
 * - The body is the raw bytes received: a re-serialised `JSON.stringify(req.body)` rarely
 *   matches. The comparison is constant-time.
 *
 * `@hubspot/api-client`'s `Signature.isValid` computes the same HMAC but skips the URI decoding,
 * compares with `===` and throws on stale timestamps; this module does not use it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HubSpot's replay window: 5 minutes. */
export const SIGNATURE_MAX_AGE_MS = 5 * 60 * 1000;

export const SIGNATURE_HEADER = 'x-hubspot-signature-v3';
export const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

export interface VerifyOptions {
  readonly clientSecret: string;
  readonly method: string;
  /** The full https URL as HubSpot called it (escapes as received; decoding is done here). */
  readonly uri: string;
  readonly rawBody: Buffer;
  /** The X-HubSpot-Signature-v3 header, if any. */
  readonly signature: string | undefined;
  /** The X-HubSpot-Request-Timestamp header (epoch ms), if any. */
  readonly timestamp: string | undefined;
  /** Epoch ms. */
  readonly now: number;
}

export interface SignOptions {
  readonly clientSecret: string;
  readonly method: string;
  readonly uri: string;
  readonly rawBody: Buffer | string;
  /** Epoch ms, as sent in X-HubSpot-Request-Timestamp. */
  readonly timestamp: string | number;
}

const DECODED: Readonly<Record<string, string>> = {
  '3A': ':',
  '2F': '/',
  '3F': '?',
  '40': '@',
  '21': '!',
  '24': '$',
  '27': "'",
  '28': '(',
  '29': ')',
  '2A': '*',
  '2C': ',',
  '3B': ';',
};

const ESCAPE = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

/** The URI as HubSpot signs it: the listed escapes decoded, every other one left as it is. */
export function signedUri(uri: string): string {
  return uri.replace(ESCAPE, (escape: string, hex: string) => DECODED[hex.toUpperCase()] ?? escape);
}

/** The URL HubSpot called, from the configured public base URL and the request's original URL. */
export function publicUri(publicBaseUrl: string, originalUrl: string): string {
  return publicBaseUrl.replace(/\/+$/, '') + originalUrl;
}

/** The v3 signature HubSpot would send for this request (base64). */
export function signHubSpotV3(options: SignOptions): string {
  const hmac = createHmac('sha256', options.clientSecret);
  hmac.update(options.method.toUpperCase() + signedUri(options.uri), 'utf8');
  if (typeof options.rawBody === 'string') hmac.update(options.rawBody, 'utf8');
  else hmac.update(options.rawBody);
  hmac.update(String(options.timestamp), 'utf8');
  return hmac.digest('base64');
}

/** Checks a request's v3 signature and timestamp; never throws. */
export function verifyHubSpotSignatureV3(options: VerifyOptions): SignatureCheck {
  const signature = options.signature?.trim() ?? '';
  const timestamp = options.timestamp?.trim() ?? '';
  if (signature === '' || !/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  if (Math.abs(options.now - Number(timestamp)) > SIGNATURE_MAX_AGE_MS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(
    signHubSpotV3({
      clientSecret: options.clientSecret,
      method: options.method,
      uri: options.uri,
      rawBody: options.rawBody,
      timestamp,
    }),
    'utf8',
  );
  const given = Buffer.from(signature, 'utf8');
  // Both are base64 of a 32-byte digest (44 characters); only a malformed header differs in length.
  const ok = given.length === expected.length && timingSafeEqual(given, expected);
  return ok ? { ok: true } : { ok: false, reason: 'mismatch' };
}
