/**
 * Many sandbox portals behind one API host, as HubSpot serves every account on `api.hubapi.com`:
 * the access token selects the portal (reference §5.1–5.2: the token answer's and the token
 * info's `hub_id`). Each portal is a whole single-portal sandbox (server.ts: its own records,
 * search index, lists, property history and rate limits — HubSpot's public-app limits are per
 * installing account, reference §4.1 — and, with `webhooks`, its own signed deliveries carrying its
 * `portalId`, signed with the one app's client secret as today). In front of them this host keeps
 * the app's OAuth:
 *
 * - the authorize step (routes-authorize.ts): an account chooser over the hosted portals, the
 *   consent page, the redirect with a code bound to the chosen portal;
 * - the token endpoint (routes-oauth.ts): each code or refresh grant gets a new access token
 *   (30 minutes, `expires_in: 1800`) bound to its portal;
 * - the legacy token info `GET /oauth/v1/access-tokens/{token}` answers that portal's `hub_id`;
 * - the API (`/crm`, `/account-info`): the bearer token picks the portal, whose sandbox answers.
 *   No token: HubSpot's 401 `INVALID_AUTHENTICATION` ("Authentication credentials not found…",
 *   as server.ts); a token the host never issued: 401 `INVALID_AUTHENTICATION`; an expired one:
 *   401 `EXPIRED_AUTHENTICATION` "The OAuth token used to make this call expired N minute(s) ago."
 *   (the body HubSpot answers, as captured at
 *   https://useparagon.com/integration-error-solutions/hubspot-the-oauth-token-used-to-make-this-call-expired).
 *
 * ```ts
 * const host = createSandboxHost({ portals: [portalA, portalB], oauth: { clientId, clientSecret } });
 * const running = await host.listen(0);  // HUBSPOT_API_URL = running.url,
 *                                         // HUBSPOT_AUTHORIZE_URL = `${running.url}/oauth/authorize`
 * ```
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { createSandboxApp, listen, requestLog } from '../shared/http.ts';
import { notFound, sendError } from './errors.ts';
import type { Portal } from './model.ts';
import { SANDBOX_APP_ID } from './history.ts';
import type { LimitOptions } from './limits.ts';
import { authorizeRoutes } from './routes-authorize.ts';
import { oauthRoutes, type Grant, type SandboxOAuth, type SandboxOAuthOptions } from './routes-oauth.ts';
import { SANDBOX_SCOPES } from './routes-account.ts';
import { correlation, createSandbox, hubspotErrors, missingAuth, type RunningSandbox, type Sandbox } from './server.ts';
import type { WebhookEmitterOptions } from './webhooks.ts';

export interface SandboxHostOptions {
  /** The portals to host; their ids must differ. */
  readonly portals: readonly Portal[];
  /** The app's OAuth client (and, to refuse other ones, its redirect URLs and required scopes). */
  readonly oauth: SandboxOAuthOptions;
  /** Rate limits per portal (HubSpot's public-app ones by default); `false` turns them off. */
  readonly limits?: LimitOptions | false;
  /** Signed webhook deliveries from every portal (each with its own `portalId`); off unless given. */
  readonly webhooks?: Omit<WebhookEmitterOptions, 'portalId'>;
  /** The clock (epoch ms): token expiry, modification times, rate-limit windows. Default `Date.now`. */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface SandboxHost {
  readonly app: Express;
  /** Each hosted portal's sandbox, by portal id. */
  readonly portals: ReadonlyMap<number, Sandbox>;
  /** The token endpoint's controls (codes, revocations, scripted failures). */
  readonly oauth: SandboxOAuth;
  /** The portal an access token selects, if it is one the host issued (expired or not). */
  portalOf(accessToken: string): number | undefined;
  listen(port?: number, host?: string): Promise<RunningSandbox>;
}

interface IssuedToken extends Grant {
  readonly expiresAt: number;
}

export function createSandboxHost(options: SandboxHostOptions): SandboxHost {
  const now = options.now ?? Date.now;
  const portals = new Map<number, Sandbox>();
  for (const portal of options.portals) {
    if (portals.has(portal.portalId)) throw new Error(`two portals have the id ${portal.portalId}`);
    const sandbox = createSandbox({
      portal,
      now,
      scopes: options.oauth.requiredScopes ?? SANDBOX_SCOPES,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.webhooks === undefined ? {} : { webhooks: { ...options.webhooks, portalId: portal.portalId } }),
    });
    portals.set(portal.portalId, sandbox);
  }
  const tokens = new Map<string, IssuedToken>();
  const token = oauthRoutes(
    {
      defaultPortalId: undefined,
      scopes: options.oauth.requiredScopes ?? SANDBOX_SCOPES,
      accessToken: (grant, expiresInS) => {
        const issued = randomBytes(24).toString('base64url');
        tokens.set(issued, { ...grant, expiresAt: now() + expiresInS * 1000 });
        return issued;
      },
    },
    options.oauth,
  );

  const app = createSandboxApp();
  app.use(correlation);
  if (options.log !== undefined) app.use(requestLog(options.log));
  app.use(token.router);
  app.use(authorizeRoutes(() => [...portals.keys()], token.oauth, options.oauth));
  app.get('/oauth/v1/access-tokens/:token', (req, res) => {
    const issued = tokens.get(req.params.token);
    if (issued === undefined || issued.expiresAt <= now()) throw notFound('Token not found');
    res.json({
      token: req.params.token,
      user: 'sandbox@example.com',
      hub_domain: `sandbox-${issued.portalId}.hubspot.com`,
      scopes: issued.scopes,
      hub_id: issued.portalId,
      app_id: SANDBOX_APP_ID,
      expires_in: Math.round((issued.expiresAt - now()) / 1000),
      user_id: 1,
      token_type: 'access',
    });
  });
  app.use(['/crm', '/account-info'], (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const bearer = match?.[1];
    if (bearer === undefined) {
      missingAuth(res);
      return;
    }
    const issued = tokens.get(bearer);
    const sandbox = issued === undefined ? undefined : portals.get(issued.portalId);
    if (issued === undefined || sandbox === undefined) {
      sendError(res, 401, {
        message: 'The OAuth token used to make this call is not valid.',
        category: 'INVALID_AUTHENTICATION',
      });
      return;
    }
    const ago = now() - issued.expiresAt;
    if (ago >= 0) {
      sendError(res, 401, {
        message: `The OAuth token used to make this call expired ${Math.floor(ago / 60_000)} minute(s) ago.`,
        category: 'EXPIRED_AUTHENTICATION',
      });
      return;
    }
    // The portal's own sandbox answers, from the original URL (the mount path is put back).
    req.url = req.originalUrl;
    sandbox.app(req, res, next);
  });
  app.use((req, res) => {
    sendError(res, 404, { message: `Unable to route ${req.method} ${req.path}`, category: 'OBJECT_NOT_FOUND' });
  });
  app.use(hubspotErrors);

  return {
    app,
    portals,
    oauth: token.oauth,
    portalOf: (accessToken) => tokens.get(accessToken)?.portalId,
    listen: (port = 0, host = '127.0.0.1') => listen(app, port, host),
  };
}
