/**
 * HubSpot's OAuth 2.0 endpoints, called directly: the SDK's own call still uses the v1 token
 * endpoint, which is sunset in February 2027, and drops `hub_id` and `scopes` from its answer.
 */
import { z } from 'zod';
import type { ServerConfig } from './config.ts';

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

/** HubSpot refused the grant: a refresh token revoked (app uninstalled) or a bad code. */
export class OAuthGrantError extends Error {
  override name = 'OAuthGrantError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function hubspotAuthorizeUrl(config: ServerConfig, state: string): string {
  const { clientId } = config.hubspot;
  if (clientId === undefined) throw new Error('HUBSPOT_CLIENT_ID is not set: the HubSpot app is not configured');
  const url = new URL(config.hubspot.authorizeUrl);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', hubspotRedirectUri(config));
  url.searchParams.set('scope', config.hubspot.scopes.join(' '));
  url.searchParams.set('state', state);
  return url.toString();
}

export function hubspotRedirectUri(config: ServerConfig): string {
  return `${config.publicBaseUrl}/oauth/hubspot/callback`;
}

async function tokenCall(
  config: ServerConfig,
  fields: Record<string, string>,
  fetchFn: typeof fetch,
  now: number,
): Promise<HubSpotTokenSet> {
  const { clientId, clientSecret } = config.hubspot;
  if (clientId === undefined || clientSecret === undefined) {
    throw new Error('HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET must be set for HubSpot installs');
  }
  const body = new URLSearchParams({ ...fields, client_id: clientId, client_secret: clientSecret });
  const response = await fetchFn(`${config.hubspot.apiUrl}${TOKEN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = json as { error?: string; error_description?: string; status?: string; message?: string } | undefined;
    const code = error?.error ?? error?.status ?? `HTTP_${response.status}`;
    const message = error?.error_description ?? error?.message ?? (text.slice(0, 200) || response.statusText);
    if (response.status >= 400 && response.status < 500)
      throw new OAuthGrantError(code, `HubSpot refused the token request: ${code}: ${message}`);
    throw new Error(`HubSpot's token endpoint failed: ${response.status} ${message}`);
  }
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
  config: ServerConfig,
  code: string,
  fetchFn: typeof fetch = fetch,
  now = Date.now(),
): Promise<HubSpotTokenSet> {
  return tokenCall(
    config,
    { grant_type: 'authorization_code', code, redirect_uri: hubspotRedirectUri(config) },
    fetchFn,
    now,
  );
}

export function refreshHubSpotToken(
  config: ServerConfig,
  refreshToken: string,
  fetchFn: typeof fetch = fetch,
  now = Date.now(),
): Promise<HubSpotTokenSet> {
  return tokenCall(config, { grant_type: 'refresh_token', refresh_token: refreshToken }, fetchFn, now);
}
