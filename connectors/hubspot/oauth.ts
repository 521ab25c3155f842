/**
 * HubSpot's OAuth 2.0 endpoints, called directly: the SDK's own call still uses the v1 token
 * endpoint, which is sunset in February 2027, and drops `hub_id` and `scopes` from its answer.
 *
 * Answers are told apart (reference §5.1; RFC 6749 §5.2 for the error body
 * `{"error":"invalid_grant","error_description":…,"status":"BAD_REFRESH_TOKEN",…}`):
 * - `invalid_grant` / `BAD_REFRESH_TOKEN` → `OAuthGrantError`: the portal revoked us (or the
 *   install's code is bad or used); the installation needs reconnecting.
 * - 429 (waiting out its Retry-After), 408, 5xx, network errors and timeouts → retried with backoff a
 *   few times, then `TokenEndpointUnavailableError`: the installation stays active and the next
 *   run tries again.
 * - any other 4xx (e.g. 400 `invalid_client`: our client id or secret is wrong) →
 *   `TokenRequestError`: reported, but the portal is not marked as needing a reconnect, since
 *   reinstalling would not help.
 */
import { z } from 'zod';
import { OAuthGrantError, postTokenForm } from '../oauth-token.ts';

export { OAuthGrantError } from '../oauth-token.ts';

/**
 * What these calls read of the server's settings (the server passes its ServerConfig, which has
 * these fields): the app's credentials, HubSpot's addresses, and where HubSpot redirects back to.
 */
export interface HubSpotOAuthConfig {
  readonly publicBaseUrl: string;
  readonly hubspot: {
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly authorizeUrl: string;
    readonly apiUrl: string;
    readonly scopes: readonly string[];
  };
}

export const TOKEN_PATH = '/oauth/2026-03/token';

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().positive(),
  hub_id: z.union([z.number(), z.string()]).optional(),
  scopes: z.array(z.string()).optional(),
});

export interface HubSpotTokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly portalId: string | undefined;
  readonly scopes: readonly string[];
}

/** HubSpot's token endpoint did not answer usefully (429, 5xx, network error, timeout) after the retries: try again later. */
export class TokenEndpointUnavailableError extends Error {
  override name = 'TokenEndpointUnavailableError';
}

/** Any other refusal (e.g. 400 `invalid_client`): RightTouch's own configuration, not the portal's grant. */
export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface TokenRetryOptions {
  /** Attempts in all (default 4). */
  readonly attempts?: number;
  /** Each attempt's timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** First backoff (default 500 ms), doubled each time, with jitter. */
  readonly baseDelayMs?: number;
  /** The longest Retry-After waited for (default 30 s); a longer one ends the retries at once. */
  readonly maxRetryAfterMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Retry-After header (seconds or an HTTP date) in ms, if there is one. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `invalid_grant` (RFC 6749 §5.2) or HubSpot's `BAD_REFRESH_TOKEN` status: the grant is gone. */
const REFUSED_GRANT = new Set(['invalid_grant', 'BAD_REFRESH_TOKEN']);

export function hubspotAuthorizeUrl(config: HubSpotOAuthConfig, state: string): string {
  const { clientId } = config.hubspot;
  if (clientId === undefined) throw new Error('HUBSPOT_CLIENT_ID is not set: the HubSpot app is not configured');
  const url = new URL(config.hubspot.authorizeUrl);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', hubspotRedirectUri(config));
  url.searchParams.set('scope', config.hubspot.scopes.join(' '));
  url.searchParams.set('state', state);
  return url.toString();
}

export function hubspotRedirectUri(config: HubSpotOAuthConfig): string {
  return `${config.publicBaseUrl}/oauth/hubspot/callback`;
}

/**
 * One token request, retried: 429 (after its Retry-After, else backoff), 5xx, network errors and
 * timeouts are tried again a few times, then reported as `TokenEndpointUnavailableError`. A refused
 * grant is an `OAuthGrantError`; any other 4xx a `TokenRequestError`. Neither is retried.
 */
async function tokenCall(
  config: HubSpotOAuthConfig,
  fields: Record<string, string>,
  fetchFn: typeof fetch,
  now: number,
  retry: TokenRetryOptions,
): Promise<HubSpotTokenSet> {
  const { clientId, clientSecret } = config.hubspot;
  if (clientId === undefined || clientSecret === undefined) {
    throw new Error('HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET must be set for HubSpot installs');
  }
  const attempts = Math.max(1, retry.attempts ?? 4);
  const wait = retry.sleep ?? sleep;
  let last = '';
  let retryAfter: number | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      await wait(retryAfter ?? (retry.baseDelayMs ?? 500) * 2 ** (attempt - 2) * (0.5 + Math.random() / 2));
      retryAfter = undefined;
    }
    let answer;
    try {
      answer = await postTokenForm(
        fetchFn,
        `${config.hubspot.apiUrl}${TOKEN_PATH}`,
        { ...fields, client_id: clientId, client_secret: clientSecret },
        retry.timeoutMs ?? 10_000,
      );
    } catch (error) {
      // fetch's network failures are TypeErrors; a timeout is a DOMException named TimeoutError.
      if (!(error instanceof TypeError) && !(error instanceof DOMException)) throw error;
      last = error.name === 'TimeoutError' ? 'timed out' : `${error.message}${causeOf(error)}`;
      continue;
    }
    const { response, text, json } = answer;
    if (response.ok) return tokenSet(json, now);
    const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    const code = str(body['error']) ?? str(body['status']) ?? `HTTP_${response.status}`;
    const message =
      str(body['error_description']) ?? str(body['message']) ?? (text.slice(0, 200) || response.statusText);
    last = `${response.status} ${code}: ${message}`;
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      retryAfter = response.status === 429 ? retryAfterMs(response.headers.get('retry-after'), now) : undefined;
      // Waiting longer than that is for the next run.
      if (retryAfter !== undefined && retryAfter > (retry.maxRetryAfterMs ?? 30_000)) break;
      continue;
    }
    if (REFUSED_GRANT.has(code) || REFUSED_GRANT.has(str(body['status']) ?? '')) {
      throw new OAuthGrantError(code, `HubSpot refused the grant: ${code}: ${message}`);
    }
    throw new TokenRequestError(
      code,
      `HubSpot refused the token request (${last}); check HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and the redirect URL`,
    );
  }
  throw new TokenEndpointUnavailableError(
    `HubSpot's token endpoint is unavailable (${last}); the next run tries again`,
  );
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function causeOf(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? ` (${cause.message})` : '';
}

function tokenSet(json: unknown, now: number): HubSpotTokenSet {
  const parsed = tokenResponse.safeParse(json);
  if (!parsed.success) throw new Error("HubSpot's token endpoint answered without the expected tokens");
  const data = parsed.data;
  return {
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    expiresAt: now + data.expires_in * 1000,
    portalId: data.hub_id === undefined ? undefined : String(data.hub_id),
    scopes: data.scopes ?? [],
  };
}

export function exchangeHubSpotCode(
  config: HubSpotOAuthConfig,
  code: string,
  fetchFn: typeof fetch = fetch,
  now = Date.now(),
  retry: TokenRetryOptions = {},
): Promise<HubSpotTokenSet> {
  return tokenCall(
    config,
    { grant_type: 'authorization_code', code, redirect_uri: hubspotRedirectUri(config) },
    fetchFn,
    now,
    retry,
  );
}

export function refreshHubSpotToken(
  config: HubSpotOAuthConfig,
  refreshToken: string,
  fetchFn: typeof fetch = fetch,
  now = Date.now(),
  retry: TokenRetryOptions = {},
): Promise<HubSpotTokenSet> {
  return tokenCall(config, { grant_type: 'refresh_token', refresh_token: refreshToken }, fetchFn, now, retry);
}
