/**
 * What the Salesforce connector needs: where the org is, how to authenticate, and its budgets.
 * From the environment: SF_INSTANCE_URL with SF_ACCESS_TOKEN, and/or SF_REFRESH_TOKEN with
 * SF_CLIENT_ID and SF_CLIENT_SECRET (SF_LOGIN_URL for the token endpoint: a sandbox org, a test
 * server); SF_API_VERSION, SF_BULK_THRESHOLD, SF_API_RESERVE tune it.
 */

/** Salesforce's current GA API version when this was written (jsforce defaults to 50.0: never rely on it). */
export const DEFAULT_API_VERSION = '66.0';
export const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';
/** Above this many records one update goes through Bulk API 2.0 instead of sObject Collections. */
export const DEFAULT_BULK_THRESHOLD = 2000;
/** The share of the org's daily API allocation RightTouch leaves for everyone else. */
export const DEFAULT_API_RESERVE = 0.2;

export interface SalesforceConnectorOptions {
  readonly instanceUrl: string;
  readonly accessToken?: string | undefined;
  readonly refreshToken?: string | undefined;
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly loginUrl?: string | undefined;
  readonly version?: string | undefined;
  readonly bulkThreshold?: number | undefined;
  readonly apiReserve?: number | undefined;
  /**
   * A new access token for the one the org refused (jsforce asks on a 401). When set, the caller
   * owns the org's tokens and refreshes once for all its connections (see
   * token-owner.ts); jsforce never presents a refresh token, and `refreshToken`,
   * `onTokens` are not used.
   */
  readonly renewSession?: ((refusedAccessToken: string) => Promise<string>) | undefined;
  /**
   * Change Data Capture is used (`SF_CHANGE_EVENTS=on`): setup creates the filtered channel
   * `RightTouch__chn` (which selects the four objects for CDC) and preflight checks the selection.
   */
  readonly changeEvents?: boolean | undefined;
  /**
   * Called with every new refresh token (Salesforce rotates them when rotation is on, and a
   * consumed one replayed revokes the whole family): persist it before the next refresh.
   */
  readonly onTokens?:
    ((tokens: { accessToken: string; refreshToken: string | undefined }) => void | Promise<void>) | undefined;
  /** Waits between retries (tests pass a fake). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Bulk 2.0 polling (defaults: every 2 s, up to 30 minutes). */
  readonly bulkPoll?: { readonly intervalMs: number; readonly timeoutMs: number } | undefined;
}

export class SalesforceConfigError extends Error {
  override name = 'SalesforceConfigError';
}

function text(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function numberFrom(env: Readonly<Record<string, string | undefined>>, name: string, min: number, max: number) {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new SalesforceConfigError(`${name} must be a number from ${min} to ${max}, was ${raw}`);
  }
  return value;
}

export function salesforceOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): SalesforceConnectorOptions {
  const instanceUrl = text(env, 'SF_INSTANCE_URL');
  const accessToken = text(env, 'SF_ACCESS_TOKEN');
  const refreshToken = text(env, 'SF_REFRESH_TOKEN');
  const clientId = text(env, 'SF_CLIENT_ID');
  const clientSecret = text(env, 'SF_CLIENT_SECRET');
  if (instanceUrl === undefined) {
    throw new SalesforceConfigError(
      "SF_INSTANCE_URL is not set: the org's instance URL, e.g. https://yourcompany.my.salesforce.com",
    );
  }
  if (accessToken === undefined && refreshToken === undefined) {
    throw new SalesforceConfigError('set SF_ACCESS_TOKEN, or SF_REFRESH_TOKEN with SF_CLIENT_ID and SF_CLIENT_SECRET');
  }
  if (refreshToken !== undefined && (clientId === undefined || clientSecret === undefined)) {
    throw new SalesforceConfigError(
      'SF_REFRESH_TOKEN needs SF_CLIENT_ID and SF_CLIENT_SECRET (the connected app / external client app)',
    );
  }
  return {
    instanceUrl,
    accessToken,
    refreshToken,
    clientId,
    clientSecret,
    loginUrl: text(env, 'SF_LOGIN_URL'),
    version: text(env, 'SF_API_VERSION'),
    bulkThreshold: numberFrom(env, 'SF_BULK_THRESHOLD', 1, 100_000_000),
    apiReserve: numberFrom(env, 'SF_API_RESERVE', 0, 0.99),
    changeEvents: text(env, 'SF_CHANGE_EVENTS') === 'on',
  };
}
