/**
 * One jsforce Connection per org, set up the way the reference says it must be: an explicit API
 * version (jsforce defaults to 50.0), `Sforce-Call-Options: client=RightTouch` on every call (so
 * change events from our own writes can be told apart), a new session on a 401, API calls
 * counted, and the org's daily allocation watched.
 *
 * The new session comes from `renewSession` when given (the server: one owner of the org's tokens
 * for all its connections and processes): it becomes jsforce's `refreshFn`, which jsforce's
 * SessionRefreshDelegate calls once per connection however many requests failed, and then replays
 * them (jsforce `src/session-refresh-delegate.ts`, `src/http-api.ts`: only on a 401). Else jsforce
 * refreshes itself with the refresh token (the CLI), and the rotated one is switched to and saved
 * by us (jsforce keeps presenting the consumed one).
 */
import { Connection } from 'jsforce';
import {
  DEFAULT_API_RESERVE,
  DEFAULT_API_VERSION,
  DEFAULT_BULK_THRESHOLD,
  DEFAULT_LOGIN_URL,
  SalesforceConfigError,
  type SalesforceConnectorOptions,
} from './options.ts';

export const CLIENT_NAME = 'RightTouch';

/** Thrown before a call that would eat into the share of the daily allocation left for others. */
export class SalesforceBudgetError extends Error {
  override name = 'SalesforceBudgetError';
}

export interface SalesforceContext {
  readonly conn: Connection;
  readonly bulkThreshold: number;
  readonly bulkPoll: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly sleep: (ms: number) => Promise<void>;
  /** Counts one API call, after checking the daily budget. */
  call<T>(work: () => Promise<T>): Promise<T>;
  /** Calls left before the reserve, from the last `Sforce-Limit-Info` seen (undefined: none seen yet). */
  callsLeft(): number | undefined;
  readonly counters: { apiCalls: number };
  /**
   * The fields of an object this user can see: lower-cased name → describe type (`currency`,
   * `double`, …), described once per connector.
   */
  fieldsOf(object: string): Promise<ReadonlyMap<string, string>>;
  /**
   * The Metadata API (SOAP). jsforce refuses JWT-based access tokens for SOAP below API 68.0
   * (src/soap.ts: "SOAP API does not support JWT-based access tokens for API versions below
   * 68.0"; Salesforce answers them with INVALID_SESSION_ID there): with such a token and the
   * default version, the connector moves to 68.0; with a lower SF_API_VERSION set, it says so.
   */
  metadata(): Connection['metadata'];
  /** The integration user behind the token (`/services/oauth2/userinfo`), asked once. */
  userInfo(): Promise<UserInfo>;
  /** Forget what was described (after setup creates fields). */
  forgetFields(): void;
}

export interface UserInfo {
  readonly user_id: string;
  readonly organization_id: string;
}

/** The org's answer to userinfo with a dead session: 403, which jsforce does not refresh on. */
function isBadOAuthToken(error: unknown): boolean {
  const e = error as { errorCode?: unknown; message?: unknown } | null;
  return e?.errorCode === 'ERROR_HTTP_403' || (typeof e?.message === 'string' && e.message.includes('Bad_OAuth_Token'));
}

/** The org's id and name: a REST query, which renews an expired session (it answers 401). */
export async function queryOrganization(context: SalesforceContext) {
  return context.call(
    async () => await context.conn.query<{ Id: string; Name?: string }>('SELECT Id, Name FROM Organization'),
  );
}

/**
 * The integration user (setup assigns it the permission set). `/services/oauth2/userinfo`
 * answers an expired session with 403 `Bad_OAuth_Token`, not 401, and jsforce refreshes only on
 * a 401 (jsforce `src/http-api.ts`; SalesforceMobileSDK-Android PR #2430): on a 403, one REST
 * call (which answers 401 and so renews the session) and userinfo once more.
 */
async function userInfoRenewing(context: SalesforceContext): Promise<UserInfo> {
  const ask = (): Promise<UserInfo> =>
    context.call(() => context.conn.request<UserInfo>({ method: 'GET', url: '/services/oauth2/userinfo' }));
  try {
    return await ask();
  } catch (error) {
    if (!isBadOAuthToken(error)) throw error;
    await queryOrganization(context);
    return ask();
  }
}

/** The first API version whose SOAP (Metadata) API takes JWT-based access tokens (jsforce src/soap.ts). */
export const JWT_METADATA_VERSION = '68.0';

/**
 * Whether an access token is JWT-based (an External Client App or connected app with "Issue JSON
 * Web Token (JWT)-based access tokens" on): three dot-separated base64url parts, the first a JSON
 * header. Opaque Salesforce tokens (`00D…!…`) are not.
 */
export function isJwtAccessToken(token: string | null | undefined): boolean {
  const parts = (token ?? '').split('.');
  if (parts.length !== 3 || parts[0] === undefined || parts[0] === '') return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header);
  } catch {
    return false;
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createContext(options: SalesforceConnectorOptions): SalesforceContext {
  const instanceUrl = options.instanceUrl.replace(/\/+$/, '');
  if (!URL.canParse(instanceUrl)) throw new SalesforceConfigError(`the instance URL is not a URL: ${instanceUrl}`);
  if (/\.lightning\.force\.com$/i.test(new URL(instanceUrl).hostname)) {
    throw new SalesforceConfigError(
      `${instanceUrl} is a Lightning UI address: use the My Domain API address (…my.salesforce.com)`,
    );
  }
  const canRefresh =
    options.refreshToken !== undefined && options.clientId !== undefined && options.clientSecret !== undefined;
  const { renewSession } = options;
  const conn = new Connection({
    version: options.version ?? DEFAULT_API_VERSION,
    instanceUrl,
    ...(options.accessToken === undefined ? {} : { accessToken: options.accessToken }),
    ...(renewSession !== undefined
      ? {
          refreshFn: (
            refused: Connection,
            callback: (error: Error | null | undefined, accessToken?: string) => void,
          ) => {
            renewSession(refused.accessToken ?? '').then(
              (accessToken) => {
                callback(undefined, accessToken);
              },
              (error: unknown) => {
                callback(error instanceof Error ? error : new Error(String(error)));
              },
            );
          },
        }
      : canRefresh
        ? {
            refreshToken: options.refreshToken,
            oauth2: {
              clientId: options.clientId,
              clientSecret: options.clientSecret,
              loginUrl: options.loginUrl ?? DEFAULT_LOGIN_URL,
              redirectUri: `${instanceUrl}/services/oauth2/success`,
            },
          }
        : {}),
    callOptions: { client: CLIENT_NAME },
  });
  if (renewSession === undefined) {
    conn.on('refresh', (accessToken: string, response: { refresh_token?: string } | undefined) => {
      // jsforce keeps the consumed refresh token; with rotation on, replaying it revokes the family.
      if (typeof response?.refresh_token === 'string' && response.refresh_token !== '') {
        conn.refreshToken = response.refresh_token;
      }
      void options.onTokens?.({ accessToken, refreshToken: conn.refreshToken ?? undefined });
    });
  }

  const reserve = options.apiReserve ?? DEFAULT_API_RESERVE;
  const counters = { apiCalls: 0 };
  const described = new Map<string, Promise<ReadonlyMap<string, string>>>();
  let user: Promise<UserInfo> | undefined;
  const context: SalesforceContext = {
    conn,
    bulkThreshold: options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD,
    bulkPoll: options.bulkPoll ?? { intervalMs: 2000, timeoutMs: 30 * 60_000 },
    sleep: options.sleep ?? realSleep,
    counters,
    callsLeft(): number | undefined {
      const usage = conn.limitInfo.apiUsage;
      if (usage === undefined || usage.limit <= 0) return undefined;
      return Math.max(0, Math.ceil(usage.limit - usage.used - reserve * usage.limit));
    },
    async call<T>(work: () => Promise<T>): Promise<T> {
      const usage = conn.limitInfo.apiUsage;
      if (usage !== undefined && context.callsLeft() === 0) {
        throw new SalesforceBudgetError(
          `stopped to spare the org's API allocation: ${usage.limit - usage.used} of ${usage.limit} daily calls left, ` +
            `and RightTouch leaves ${Math.round(reserve * 100)}% for other integrations (SF_API_RESERVE); the next run resumes`,
        );
      }
      counters.apiCalls++;
      return work();
    },
    fieldsOf(object: string): Promise<ReadonlyMap<string, string>> {
      let fields = described.get(object);
      if (fields === undefined) {
        // describe(), not describe$(): jsforce's cache would outlive setup creating fields.
        fields = context
          .call(() => conn.sobject(object).describe())
          .then((result) => new Map(result.fields.map((field) => [field.name.toLowerCase(), field.type])));
        fields.catch(() => described.delete(object));
        described.set(object, fields);
      }
      return fields;
    },
    forgetFields(): void {
      described.clear();
    },
    metadata(): Connection['metadata'] {
      if (isJwtAccessToken(conn.accessToken) && Number(conn.version) < Number(JWT_METADATA_VERSION)) {
        if (options.version !== undefined) {
          throw new SalesforceConfigError(
            `this org issues JWT-based access tokens, which the Metadata API (used by setup) accepts from API ` +
              `${JWT_METADATA_VERSION} on, and SF_API_VERSION is ${conn.version}: set SF_API_VERSION=${JWT_METADATA_VERSION} ` +
              `or later, or turn off "Issue JSON Web Token (JWT)-based access tokens" in the External Client App`,
          );
        }
        conn.version = JWT_METADATA_VERSION;
      }
      return conn.metadata;
    },
    userInfo(): Promise<UserInfo> {
      user ??= userInfoRenewing(context);
      user.catch(() => (user = undefined));
      return user;
    },
  };
  return context;
}
