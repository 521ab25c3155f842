/**
 * Salesforce's OAuth 2.0 refresh-token grant, called directly (not through jsforce) so that the
 * token owner (token-owner.ts) is the only code that ever presents an installation's refresh
 * token. Request: `POST {loginUrl}/services/oauth2/token` with `grant_type=refresh_token`,
 * `refresh_token`, `client_id`, `client_secret` (form-encoded). Answer: `access_token`,
 * `instance_url`, and a new `refresh_token` only when the app rotates refresh tokens. A refused
 * grant is a 400 `{"error":"invalid_grant","error_description":"expired access/refresh token"}`:
 * the token was revoked, expired, or (rotation on) already exchanged, which revokes the whole
 * family (help.salesforce.com "OAuth 2.0 Refresh Token Flow for Renewed Sessions",
 * remoteaccess_oauth_refresh_token_flow.htm; "Refresh Token Rotation", article 005316711). Only
 * `invalid_grant` means the org must be reconnected; any other refusal (`invalid_client_id`,
 * `invalid_client`) is this server's configuration.
 */
import { z } from 'zod';
import { OAuthGrantError, postTokenForm } from '../oauth-token.ts';

/** What the refresh reads of the server's settings (its ServerConfig has these fields). */
export interface SalesforceOAuthConfig {
  readonly salesforce: {
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly loginUrl: string;
  };
}

export const SALESFORCE_TOKEN_PATH = '/services/oauth2/token';

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  instance_url: z.string().min(1).optional(),
});

export interface SalesforceRefreshed {
  readonly accessToken: string;
  /** The rotated refresh token; undefined when the app does not rotate them. */
  readonly refreshToken: string | undefined;
  readonly instanceUrl: string | undefined;
}

/** Exchanges a refresh token once. Throws OAuthGrantError when Salesforce refused the grant. */
export async function refreshSalesforceToken(
  config: SalesforceOAuthConfig,
  refreshToken: string,
  fetchFn: typeof fetch = fetch,
): Promise<SalesforceRefreshed> {
  const { clientId, clientSecret, loginUrl } = config.salesforce;
  if (clientId === undefined || clientSecret === undefined) {
    throw new Error('SF_CLIENT_ID and SF_CLIENT_SECRET must be set to refresh Salesforce sessions');
  }
  const { response, json } = await postTokenForm(
    fetchFn,
    `${loginUrl}${SALESFORCE_TOKEN_PATH}`,
    { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret },
    30_000,
  );
  if (!response.ok) {
    const error = json as { error?: unknown; error_description?: unknown } | undefined;
    const code = typeof error?.error === 'string' ? error.error : `HTTP_${response.status}`;
    const description =
      typeof error?.error_description === 'string' ? error.error_description : response.statusText || 'no description';
    if (code === 'invalid_grant') {
      throw new OAuthGrantError(code, `Salesforce refused the refresh token: ${code}: ${description}`);
    }
    throw new Error(`Salesforce's token endpoint refused the refresh: ${response.status} ${code}: ${description}`);
  }
  const parsed = tokenResponse.safeParse(json);
  if (!parsed.success) throw new Error("Salesforce's token endpoint answered without an access token");
  return {
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token,
    instanceUrl: parsed.data.instance_url,
  };
}
