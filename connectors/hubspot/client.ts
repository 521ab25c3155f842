/**
 * The `@hubspot/api-client` client for one portal, and the one call the SDK does not wrap
 * (account details).
 */
import { Client } from '@hubspot/api-client';
import { HttpStatusError } from './errors.ts';
import type { Throttle } from './limiter.ts';
import type { Logger } from './limiter.ts';

export const DEFAULT_BASE_URL = 'https://api.hubapi.com';

/** The SDK APIs the connector uses, resolved once. */
export interface HubSpotSdk {
  /** Generic CRM objects API (`/crm/v3/objects/{type}/…`): one typed surface for companies, contacts and deals. */
  readonly objects: Client['crm']['objects'];
  readonly properties: Client['crm']['properties'];
  readonly associations: Client['crm']['associations']['v4'];
  /** Owners v3: the user behind a property history's `updatedByUserId` (tier-history.ts). */
  readonly owners: Client['crm']['owners'];
  /** Lists API v3 (`/crm/v3/lists/…`): the lists per tier setup keeps. */
  readonly lists: Client['crm']['lists'];
}

/** What each capability (setup, read, write, …) works with. */
export interface HubSpotContext {
  readonly sdk: HubSpotSdk;
  readonly throttle: Throttle;
  readonly logger: Logger;
}

interface ResponseLike {
  readonly httpStatusCode: number;
  readonly headers: Record<string, string>;
  readonly body: { text(): Promise<string> };
}

function isResponseLike(value: unknown): value is ResponseLike {
  return typeof value === 'object' && value !== null && typeof (value as ResponseLike).httpStatusCode === 'number';
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Response middleware: turns every status ≥ 400 into `HttpStatusError` before the SDK parses the
 * body. Without it a 5xx with a non-JSON body (a proxy's HTML page) surfaces as a plain "Cannot
 * parse content" Error with no status, which we could not tell apart from a bug.
 */
const statusMiddleware = {
  pre: (context: unknown): unknown => context,
  post: async (context: unknown): Promise<unknown> => {
    if (!isResponseLike(context) || context.httpStatusCode < 400) return context;
    const body = parseBody(await context.body.text());
    throw new HttpStatusError(context.httpStatusCode, body, context.headers);
  },
};

export function createSdk(accessToken: string, baseUrl: string): HubSpotSdk {
  // No limiterOptions / numberOfApiCallRetries: see limiter.ts. The SDK applies its (process-global)
  // decorators to an API object when the object is first touched, so we touch every API we use
  // right here, synchronously after construction: they get this client's (empty) decorator list
  // and keep it, whatever another `new Client()` elsewhere in the process sets later.
  const client = new Client({ accessToken, basePath: baseUrl, middleware: [statusMiddleware] });
  return {
    objects: client.crm.objects,
    properties: client.crm.properties,
    associations: client.crm.associations.v4,
    owners: client.crm.owners,
    lists: client.crm.lists,
  };
}

export interface AccountDetails {
  readonly portalId: string;
  readonly name: string | null;
  /** Where the portal's pages are (`app.hubspot.com`, `app-eu1.hubspot.com`, …). */
  readonly uiDomain: string;
}

/**
 * `GET /account-info/v3/details`. The SDK has no wrapper for it, and `client.apiRequest()` picks
 * up whatever global decorators are current at call time, so we use fetch with the same base URL
 * and token. v3 returns no portal name (only the 2027-03 beta adds `portalName`); we pass it on if
 * present, else null.
 */
export async function fetchAccountDetails(
  context: { readonly throttle: Throttle },
  accessToken: string,
  baseUrl: string,
): Promise<AccountDetails> {
  const url = `${baseUrl}/account-info/v3/details`;
  const body = await context.throttle.run('account details', async () => {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    });
    const parsed = parseBody(await response.text());
    if (!response.ok) throw new HttpStatusError(response.status, parsed, Object.fromEntries(response.headers));
    return parsed;
  });
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const portalId = fields['portalId'];
  if (typeof portalId !== 'number' && typeof portalId !== 'string') {
    throw new Error('HubSpot account details carry no portalId');
  }
  const name = fields['portalName'];
  const uiDomain = fields['uiDomain'];
  return {
    portalId: String(portalId),
    name: typeof name === 'string' && name !== '' ? name : null,
    uiDomain: typeof uiDomain === 'string' && /^[a-z0-9.-]+$/i.test(uiDomain) ? uiDomain : 'app.hubspot.com',
  };
}

/** The fields of one of the SDK's model classes, as a plain object type. */
export type Fields<T> = { [K in keyof T]: T[K] };

/**
 * An instance of one of the SDK's request model classes. They are plain data (no methods, no
 * private state) and the SDK serialises any object by the declared type, so a literal would do;
 * building real instances keeps the types honest without casts.
 */
export function model<T extends object>(Model: new () => T, fields: Fields<T>): T {
  return Object.assign(new Model(), fields);
}
