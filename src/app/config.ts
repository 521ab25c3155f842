/**
 * The server's settings: a view over the environment parsed by src/app/env.ts. Everything has a
 * development default except the CRM apps' credentials (an install flow without them answers with
 * a clear error) and, in production (NODE_ENV=production), RIGHTTOUCH_SECRET_KEY and PUBLIC_BASE_URL.
 */
import { ConfigError, parseEnv, type Env, type RawEnv } from './env.ts';

export { ConfigError };

export interface ServerConfig {
  readonly port: number;
  /** How the outside world reaches this server (OAuth redirect URLs, webhook signatures). */
  readonly publicBaseUrl: string;
  readonly production: boolean;
  /** The self-hosted admin's bearer token for the admin API (every installation), if set. */
  readonly adminToken: string | undefined;
  readonly hubspot: {
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly appId: string | undefined;
    /** https://app.hubspot.com/oauth/authorize */
    readonly authorizeUrl: string;
    /** https://api.hubapi.com (token endpoint /oauth/2026-03/token; the CRM API) */
    readonly apiUrl: string;
    /**
     * Hosts a Marketplace install's `returnUrl` may point at (the host itself or a subdomain of
     * it), https only. Default `hubspot.com` (app.hubspot.com, app-eu1.hubspot.com, …).
     */
    readonly returnUrlHosts: readonly string[];
    readonly scopes: readonly string[];
  };
  readonly salesforce: {
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly loginUrl: string;
    readonly scopes: readonly string[];
    /** Change Data Capture streams are on (`SF_CHANGE_EVENTS=on`): setup creates RightTouch's channel. */
    readonly changeEvents: boolean;
  };
}

/** The scopes RightTouch asks HubSpot for (app.json declares the same; a test keeps them equal). */
export const HUBSPOT_SCOPES = [
  'oauth',
  'crm.objects.companies.read',
  'crm.objects.companies.write',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.schemas.companies.write',
  'crm.schemas.contacts.write',
  // Names the person behind a hand-edited tier (connectors/hubspot/tier-history.ts); without it, "user <id>".
  'crm.objects.owners.read',
  'crm.lists.read',
  'crm.lists.write',
] as const;

export const SALESFORCE_SCOPES = ['api', 'refresh_token'] as const;

/** The server's settings from the raw environment (checked: a ConfigError lists every problem). */
export function serverConfigFromEnv(env: RawEnv): ServerConfig {
  return serverConfig(parseEnv(env));
}

export function serverConfig(env: Env): ServerConfig {
  const port = Number(env.PORT ?? '3000');
  return {
    port,
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    production: env.NODE_ENV === 'production',
    adminToken: env.RIGHTTOUCH_ADMIN_TOKEN,
    hubspot: {
      clientId: env.HUBSPOT_CLIENT_ID,
      clientSecret: env.HUBSPOT_CLIENT_SECRET,
      appId: env.HUBSPOT_APP_ID,
      authorizeUrl: env.HUBSPOT_AUTHORIZE_URL ?? 'https://app.hubspot.com/oauth/authorize',
      apiUrl: (env.HUBSPOT_API_URL ?? 'https://api.hubapi.com').replace(/\/+$/, ''),
      returnUrlHosts: (env.HUBSPOT_RETURN_URL_HOSTS ?? 'hubspot.com')
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter((host) => host !== ''),
      scopes: HUBSPOT_SCOPES,
    },
    salesforce: {
      clientId: env.SF_CLIENT_ID,
      clientSecret: env.SF_CLIENT_SECRET,
      loginUrl: (env.SF_LOGIN_URL ?? 'https://login.salesforce.com').replace(/\/+$/, ''),
      scopes: SALESFORCE_SCOPES,
      changeEvents: env.SF_CHANGE_EVENTS === 'on',
    },
  };
}
