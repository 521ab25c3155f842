/**
 * Installing on a Salesforce org: the OAuth 2.0 web-server flow with PKCE, through jsforce's
 * `OAuth2` (help.salesforce.com "OAuth 2.0 Web Server Flow for Web App Integration",
 * remoteaccess_oauth_web_server_flow.htm). `salesforceAuthorization` makes the code verifier
 * (jsforce `useVerifier`: S256 challenge in the authorize URL) for the caller to keep with its
 * single-use state; `exchangeSalesforceCode` trades the callback's code (and that verifier) for
 * the org id, instance URL and tokens. Refreshing later is oauth.ts's, through the token owner.
 * The server's install routes (src/server/routes/oauth.ts) call these; they hold no jsforce code.
 */
import { Connection, OAuth2 } from 'jsforce';
import { DEFAULT_API_VERSION } from './options.ts';
import type { SalesforceOAuthConfig } from './oauth.ts';

/** What the install flow reads of the server's settings (its ServerConfig has these fields). */
export interface SalesforceInstallConfig extends SalesforceOAuthConfig {
  /** How Salesforce reaches this server: the redirect URL is `{publicBaseUrl}/oauth/salesforce/callback`. */
  readonly publicBaseUrl: string;
  readonly salesforce: SalesforceOAuthConfig['salesforce'] & { readonly scopes: readonly string[] };
}

export const SALESFORCE_CALLBACK_PATH = '/oauth/salesforce/callback';

function oauth2(config: SalesforceInstallConfig, verifier: boolean): OAuth2 {
  return new OAuth2({
    loginUrl: config.salesforce.loginUrl,
    clientId: config.salesforce.clientId ?? '',
    clientSecret: config.salesforce.clientSecret ?? '',
    redirectUri: `${config.publicBaseUrl}${SALESFORCE_CALLBACK_PATH}`,
    ...(verifier ? { useVerifier: true } : {}),
  });
}

export interface SalesforceAuthorization {
  /** PKCE's code verifier, to keep (sealed, with the state) until the callback. */
  readonly codeVerifier: string | undefined;
  /** Salesforce's authorize page for this state. */
  url(state: string): string;
}

export function salesforceAuthorization(config: SalesforceInstallConfig): SalesforceAuthorization {
  const oauth = oauth2(config, true);
  const verifier = oauth.codeVerifier;
  return {
    codeVerifier: typeof verifier === 'string' ? verifier : undefined,
    url: (state) => oauth.getAuthorizationUrl({ scope: config.salesforce.scopes.join(' '), state }),
  };
}

export interface SalesforceInstalled {
  readonly orgId: string;
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly instanceUrl: string;
}

/** Exchanges the callback's code; throws (jsforce's error) when Salesforce refuses it. */
export async function exchangeSalesforceCode(
  config: SalesforceInstallConfig,
  code: string,
  codeVerifier: string | undefined,
): Promise<SalesforceInstalled> {
  const oauth = oauth2(config, false);
  if (codeVerifier !== undefined) oauth.codeVerifier = codeVerifier;
  const conn = new Connection({ oauth2: oauth, version: DEFAULT_API_VERSION });
  const info = await conn.authorize(code);
  return {
    orgId: info.organizationId,
    accessToken: conn.accessToken ?? '',
    refreshToken: conn.refreshToken ?? undefined,
    instanceUrl: conn.instanceUrl,
  };
}
