/**
 * How the sandbox signs what it sends as HubSpot (webhook deliveries, `hubspot.fetch` card calls).
 *
 * Written from HubSpot's "Validating requests" page
 * (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation,
 * legacy-app copy at https://developers.hubspot.com/docs/api/webhooks/validating-requests; reference
 * hubspot-api.md §6.3), and deliberately not shared with the product's verifier
 * (`connectors/hubspot/webhooks/signature.ts`): the two are independent readings of the page, so a
 * test in which the product accepts what the sandbox signed checks one against the other.
 *
 * - v3 (`X-HubSpot-Signature-v3`, with `X-HubSpot-Request-Timestamp` in epoch ms): the HMAC-SHA256,
 *   keyed with the app's client secret, of the UTF-8 string method + URI + body + timestamp,
 *   base64-encoded. The URI is the full URL HubSpot calls; the page has the receiver decode these
 *   escapes before hashing — : / ? @ ! $ ' ( ) * , ; — so the string HubSpot hashes holds those
 *   characters decoded; every other escape (`%20`, `%26`, …) stays as it is in the URL.
 * - v1 (`X-HubSpot-Signature`, `X-HubSpot-Signature-Version: v1`, sent with webhook-API
 *   deliveries): the hex SHA-256 of client secret + body. The page's worked example is this
 *   module's test vector.
 */
import { createHash, createHmac } from 'node:crypto';

/** The characters the page lists as decoded in the signed URI. */
const DECODED_IN_URI = [':', '/', '?', '@', '!', '$', "'", '(', ')', '*', ',', ';'] as const;

/** `%XX` (hex digits in either case) for each listed character, and the character it stands for. */
const URI_ESCAPES: readonly (readonly [RegExp, string])[] = DECODED_IN_URI.map((char) => [
  new RegExp(`%${char.charCodeAt(0).toString(16).padStart(2, '0')}`, 'gi'),
  char,
]);

/** The URI as HubSpot puts it in the v3 source string. */
export function uriAsSigned(uri: string): string {
  let result = uri;
  for (const [escape, char] of URI_ESCAPES) result = result.replace(escape, char);
  return result;
}

export interface SignatureV3Input {
  readonly clientSecret: string;
  /** The HTTP method (upper-cased here, as it goes on the wire for the standard methods). */
  readonly method: string;
  /** The full URL called, escapes as sent. */
  readonly uri: string;
  /** The body exactly as sent ('' for none). */
  readonly body: string;
  /** The X-HubSpot-Request-Timestamp value (epoch ms). */
  readonly timestamp: number | string;
}

/** The X-HubSpot-Signature-v3 header for a request the sandbox sends as HubSpot. */
export function hubspotSignatureV3(input: SignatureV3Input): string {
  const source = `${input.method.toUpperCase()}${uriAsSigned(input.uri)}${input.body}${String(input.timestamp)}`;
  return createHmac('sha256', Buffer.from(input.clientSecret, 'utf8'))
    .update(Buffer.from(source, 'utf8'))
    .digest('base64');
}

/** The X-HubSpot-Signature header of a webhook-API delivery (version v1). */
export function hubspotSignatureV1(clientSecret: string, body: string): string {
  return createHash('sha256')
    .update(Buffer.from(clientSecret + body, 'utf8'))
    .digest('hex');
}
