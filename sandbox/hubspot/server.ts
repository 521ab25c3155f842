/**
 * The sandbox CRM: an Express 5 app speaking the subset of HubSpot's API the connector uses
 * (CRM objects v3, search, batch read/update, properties and groups v3, associations v4 batch
 * read, account details, Lists API v3), with HubSpot's bodies, status codes, auth errors and rate limits, so
 * the real `@hubspot/api-client` pointed at it (`basePath`) works unchanged.
 *
 * ```ts
 * const sandbox = createSandbox({ portal: generatePortal({ seed: 1 }) });
 * const { url, close } = await sandbox.listen(0);
 * const client = new Client({ accessToken: 'x', basePath: url });
 * ```
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createSandboxApp, errorHandler, listen, requestLog, type RunningServer } from '../shared/http.ts';
import { AssociationIndex } from './associations.ts';
import type { SandboxContext } from './context.ts';
import { HubSpotHttpError, newCorrelationId, sendError } from './errors.ts';
import { faultInjector, type FaultOptions, type TimerSet } from './faults.ts';
import { generatePortal } from './generate.ts';
import { rateLimiter, type LimitOptions } from './limits.ts';
import type { Portal } from './model.ts';
import { accountRoutes, SANDBOX_SCOPES, tokenInfoRoutes } from './routes-account.ts';
import { associationRoutes } from './routes-associations.ts';
import { authorizeRoutes } from './routes-authorize.ts';
import { oauthRoutes, portalGrants, type SandboxOAuth, type SandboxOAuthOptions } from './routes-oauth.ts';
import { listRoutes } from './routes-lists.ts';
import { objectRoutes } from './routes-objects.ts';
import { ownerRoutes } from './routes-owners.ts';
import { sandboxRoutes } from './routes-sandbox.ts';
import { propertyRoutes } from './routes-properties.ts';
import { SEARCH_CAP, SearchEngine } from './search.ts';
import { counting, createStats, resetStats, type SandboxStats } from './stats.ts';
import { createWebhookEmitter, type WebhookEmitter, type WebhookEmitterOptions } from './webhooks.ts';
import { webhookWriteObserver } from './webhook-writes.ts';

export interface SandboxOptions {
  /** The data to serve. Default: `generatePortal({ seed: options.seed ?? 1 })`. */
  readonly portal?: Portal;
  readonly seed?: number;
  /** The one access token accepted; without it any non-empty bearer token is. */
  readonly token?: string;
  /**
   * The scopes the token was granted (default `SANDBOX_SCOPES`: all RightTouch asks for). Routes
   * that need another answer 403 `MISSING_SCOPES` (the Lists API; the others do not check).
   */
  readonly scopes?: readonly string[];
  /** Rate limits (HubSpot's public-app ones by default); `false` turns them off. */
  readonly limits?: LimitOptions | false;
  /** Fault injection; off unless given. */
  readonly faults?: FaultOptions;
  /** Results one search query can page through (default 10,000, as HubSpot). */
  readonly searchCap?: number;
  /** The clock (epoch ms) for modification times and rate-limit windows. Default `Date.now`. */
  readonly now?: () => number;
  /** Called with one line per request (method, path, status, ms). */
  readonly log?: (line: string) => void;
  /** Signed webhook deliveries of property changes to a receiver (see webhooks.ts); off unless given. */
  readonly webhooks?: WebhookEmitterOptions;
  /** The app's OAuth token endpoint (routes-oauth.ts) and authorize step (routes-authorize.ts); off unless given. */
  readonly oauth?: SandboxOAuthOptions;
}

export type RunningSandbox = RunningServer;

/** Answers a request that carries no bearer token (server.ts, host.ts): HubSpot's 401. */
export function missingAuth(res: Response): void {
  sendError(res, 401, { message: MISSING_AUTH, category: 'INVALID_AUTHENTICATION' });
}

export interface Sandbox {
  readonly app: Express;
  readonly portal: Portal;
  /** Live counters: requests by endpoint and status, 429s, injected faults. */
  readonly stats: SandboxStats;
  resetStats(): void;
  /** The webhook emitter, when the `webhooks` option is given. */
  readonly webhooks: WebhookEmitter | undefined;
  /** The token endpoint's controls, when the `oauth` option is given. */
  readonly oauth: SandboxOAuth | undefined;
  /** Starts listening on 127.0.0.1 (port 0: any free port). */
  listen(port?: number, host?: string): Promise<RunningSandbox>;
}

const MISSING_AUTH =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

/** One correlation id per request: a portal's app behind the many-portal host (host.ts) keeps the host's. */
export function correlation(_req: Request, res: Response, next: NextFunction): void {
  if (res.locals['correlationId'] !== undefined) {
    next();
    return;
  }
  const id = newCorrelationId();
  res.locals['correlationId'] = id;
  res.setHeader('X-HubSpot-Correlation-Id', id);
  next();
}

function bearerAuth(expected: string | undefined): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1];
    if (token === undefined) {
      missingAuth(res);
      return;
    }
    if (expected !== undefined && token !== expected) {
      sendError(res, 401, {
        message: 'The OAuth token used to make this call is not valid (sandbox: it is not the configured token).',
        category: 'INVALID_AUTHENTICATION',
      });
      return;
    }
    res.locals['token'] = token;
    next();
  };
}

/** HubSpot's error bodies (errors.ts): its own errors, `VALIDATION_ERROR` for bad JSON (413 when too large). */
export const hubspotErrors = errorHandler({
  known: (err, res) => {
    if (!(err instanceof HubSpotHttpError)) return false;
    sendError(res, err.status, err.fields);
    return true;
  },
  badBody: (err, res) => {
    const status = err.type === 'entity.too.large' ? 413 : 400;
    sendError(res, status, { message: `Invalid input JSON: ${err.message}`, category: 'VALIDATION_ERROR' });
  },
  internal: (message, res) => {
    sendError(res, 500, { message, category: 'INTERNAL_ERROR' });
  },
});

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const portal = options.portal ?? generatePortal({ seed: options.seed ?? 1 });
  const now = options.now ?? Date.now;
  const stats = createStats();
  const timers: TimerSet = new Set();
  const context: SandboxContext = {
    portal,
    search: new SearchEngine(),
    associations: new AssociationIndex(portal),
    now,
    searchCap: options.searchCap ?? SEARCH_CAP,
    token: options.token,
    scopes: options.scopes ?? SANDBOX_SCOPES,
  };

  const app = createSandboxApp();
  app.use(correlation);
  if (options.log !== undefined) app.use(requestLog(options.log));
  app.use(counting(stats));
  app.use(express.json({ limit: '10mb' }));
  app.use(tokenInfoRoutes(context));
  const oauth = options.oauth === undefined ? undefined : oauthRoutes(portalGrants(context), options.oauth);
  if (oauth !== undefined && options.oauth !== undefined) {
    app.use(oauth.router);
    app.use(authorizeRoutes(() => [portal.portalId], oauth.oauth, options.oauth));
  }
  // Bearer auth, faults and rate limits guard the API paths; the token-info route has none.
  const apiPaths = ['/crm', '/account-info'];
  app.use(apiPaths, bearerAuth(options.token));
  if (options.faults !== undefined) app.use(apiPaths, faultInjector(options.faults, stats, timers));
  if (options.limits !== false) app.use(apiPaths, rateLimiter(options.limits ?? {}, now, stats));
  const webhooks =
    options.webhooks === undefined
      ? undefined
      : createWebhookEmitter({ ...options.webhooks, portalId: options.webhooks.portalId ?? portal.portalId });
  if (webhooks !== undefined) app.use(webhookWriteObserver(webhooks, portal, now));
  app.use(objectRoutes(context));
  app.use(propertyRoutes(context));
  app.use(associationRoutes(context));
  app.use(ownerRoutes());
  app.use(sandboxRoutes(context));
  app.use(listRoutes(context));
  app.use(accountRoutes(context));
  app.use((req, res) => {
    sendError(res, 404, { message: `Unable to route ${req.method} ${req.path}`, category: 'OBJECT_NOT_FOUND' });
  });
  app.use(hubspotErrors);

  return {
    app,
    portal,
    stats,
    webhooks,
    oauth: oauth?.oauth,
    resetStats: () => {
      resetStats(stats);
    },
    listen: (port = 0, host = '127.0.0.1') =>
      listen(app, port, host, () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
      }),
  };
}
