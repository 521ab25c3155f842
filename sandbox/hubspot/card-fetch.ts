/**
 * HubSpot's `hubspot.fetch` proxy, as a double for the record card's tests: the card calls
 * `hubspot.fetch(url, { method })` in the browser, HubSpot's proxy calls the app's server.
 *
 * - The URL must be under one of the app's `permittedUrls.fetch` (else HubSpot refuses the call).
 * - The proxy may add account metadata to the query: `@hubspot/ui-extensions` types it as
 *   `ProxyMetadata { userEmail?, userId?, portalId? }` (`shared.synced/types/http-requests.synced.d.ts`,
 *   0.17.0) and the reference notes `portalId` in community code, but whether it is always there is
 *   not documented; `appendMetadata` chooses. Appended after the card's own parameters, so a card
 *   that sets `portalId` itself arrives with it twice.
 * - The request is signed with signature v3 over the full URL HubSpot calls, query included
 *   (reference §6.3 / §8), with the app's client secret (signature.ts).
 * - Default timeout 15 s (reference §8).
 *
 * `deliver` maps the public URL to where the test's server listens.
 */
import { hubspotSignatureV3 } from './signature.ts';

export interface CardFetchDoubleOptions {
  readonly clientSecret: string;
  readonly permittedUrls: readonly string[];
  readonly portalId: number;
  readonly userId: number;
  readonly userEmail: string;
  readonly appendMetadata: boolean;
  /** The URL to actually call for a public URL (e.g. the test server's address). */
  readonly deliver: (publicUrl: string) => string;
  readonly now?: () => number;
}

export interface CardFetchCall {
  readonly publicUrl: string;
  readonly status: number;
}

export function cardFetchDouble(options: CardFetchDoubleOptions): {
  fetch: (url: string | URL, init?: { method?: string; timeout?: number }) => Promise<Response>;
  calls: CardFetchCall[];
} {
  const calls: CardFetchCall[] = [];
  const fetchFn = async (url: string | URL, init?: { method?: string; timeout?: number }): Promise<Response> => {
    const target = new URL(String(url));
    if (!options.permittedUrls.some((permitted) => target.href.startsWith(permitted))) {
      throw new Error(`hubspot.fetch: ${target.origin} is not in the app's permittedUrls.fetch`);
    }
    if (options.appendMetadata) {
      target.searchParams.append('userId', String(options.userId));
      target.searchParams.append('userEmail', options.userEmail);
      target.searchParams.append('portalId', String(options.portalId));
    }
    const method = init?.method ?? 'GET';
    const timestamp = (options.now ?? Date.now)();
    const signature = hubspotSignatureV3({
      clientSecret: options.clientSecret,
      method,
      uri: target.href,
      body: '',
      timestamp,
    });
    const response = await fetch(options.deliver(target.href), {
      method,
      headers: { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) },
      signal: AbortSignal.timeout(init?.timeout ?? 15_000),
    });
    calls.push({ publicUrl: target.href, status: response.status });
    return response;
  };
  return { fetch: fetchFn, calls };
}
