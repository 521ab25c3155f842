/**
 * HubSpot's authorize step, as an installing admin's browser meets it (reference §5.1; HubSpot's
 * "Initiating OAuth access" page: "Users will have the option to select the Hub ID for the account
 * they wish to grant access to. After the user grants access, they will be redirected to the
 * specified redirect_uri. A code query parameter will be appended"; the OAuth quickstart: "If the
 * user doesn't grant access, no request will be sent"):
 *
 * 1. `GET /oauth/authorize?client_id&scope&redirect_uri[&optional_scope][&state]` — the account
 *    chooser: one link per portal this sandbox hosts, to
 * 2. `GET /oauth/{portalId}/authorize?…` (the same query) — the consent page for that portal: the
 *    app's scopes and a form with "Connect app" (`decision=allow`) and "Cancel" (`decision=deny`),
 * 3. `POST /oauth/{portalId}/authorize?…` — allow: 302 to `redirect_uri?code=…[&state=…]`, the code
 *    bound to the portal, the scopes and the redirect URI (the token endpoint checks it again,
 *    routes-oauth.ts); deny: a page, and no redirect.
 *
 * The chooser and consent pages are the sandbox's own HTML (HubSpot's are a signed-in web app);
 * the URL of the chosen account's step is assumed, the shape HubSpot's own links take. Requests the
 * real page refuses are refused here, with a 400 page and no redirect (the redirect URI is not
 * trusted yet): an unknown `client_id`, a `redirect_uri` that is not one of the app's, and a
 * `scope` other than the app's required scopes ("The scope must match the app's requiredScopes",
 * reference §5.1) — when the sandbox was told the app's redirect URLs and scopes.
 */
import express, { Router, type Request, type Response } from 'express';
import type { SandboxOAuth, SandboxOAuthOptions } from './routes-oauth.ts';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)} | HubSpot (sandbox)</title></head>` +
        `<body><h1>${escape(title)}</h1>${body}</body></html>`,
    );
}

interface AuthorizeRequest {
  readonly query: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | undefined;
}

const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The request's parameters, or why the page refuses it. */
function parse(req: Request, options: SandboxOAuthOptions): AuthorizeRequest | string {
  const query = req.query as Record<string, unknown>;
  const clientId = one(query['client_id']);
  const redirectUri = one(query['redirect_uri']);
  const scope = one(query['scope']);
  if (clientId === undefined || clientId !== options.clientId) return 'The client ID is not a known app.';
  if (redirectUri === undefined || !URL.canParse(redirectUri)) return 'The redirect_uri is missing or not a URL.';
  if (options.redirectUris !== undefined && !options.redirectUris.includes(redirectUri)) {
    return `The redirect_uri ${redirectUri} is not one of the app's redirect URLs.`;
  }
  const scopes = (scope ?? '').split(/\s+/).filter((s) => s !== '');
  if (scopes.length === 0) return 'The scope parameter is missing.';
  if (options.requiredScopes !== undefined) {
    const required = new Set(options.requiredScopes);
    const missing = [...required].filter((s) => !scopes.includes(s));
    const extra = scopes.filter((s) => !required.has(s));
    if (missing.length > 0 || extra.length > 0) {
      return `The scopes in the install URL do not match the app's required scopes (missing: ${missing.join(' ') || 'none'}; not required: ${extra.join(' ') || 'none'}).`;
    }
  }
  const search = new URL(req.originalUrl, 'http://sandbox').search;
  return { query: search, redirectUri, scopes, state: one(query['state']) };
}

/** The request's parameters; a refused one is answered here (400, no redirect). */
function checked(req: Request, res: Response, options: SandboxOAuthOptions): AuthorizeRequest | undefined {
  const parsed = parse(req, options);
  if (typeof parsed !== 'string') return parsed;
  page(res, 400, 'Authorization failed', `<p>${escape(parsed)}</p>`);
  return undefined;
}

/**
 * The authorize routes over the portals this sandbox serves (`portalIds`) and its token endpoint's
 * codes (`oauth.issueCode`).
 */
export function authorizeRoutes(
  portalIds: () => readonly number[],
  oauth: SandboxOAuth,
  options: SandboxOAuthOptions,
): Router {
  const router = Router();
  router.get('/oauth/authorize', (req, res) => {
    const request = checked(req, res, options);
    if (request === undefined) return;
    const links = portalIds()
      .map((id) => `<li><a href="/oauth/${id}/authorize${escape(request.query)}">Account ${id}</a></li>`)
      .join('');
    page(res, 200, 'Choose an account', `<ul>${links}</ul>`);
  });
  const portalOf = (req: Request, res: Response): number | undefined => {
    const id = Number(req.params['portalId']);
    if (Number.isInteger(id) && portalIds().includes(id)) return id;
    page(res, 404, 'Authorization failed', '<p>You do not have access to that account.</p>');
    return undefined;
  };
  router.get('/oauth/:portalId/authorize', (req, res) => {
    const request = checked(req, res, options);
    if (request === undefined) return;
    const portalId = portalOf(req, res);
    if (portalId === undefined) return;
    page(
      res,
      200,
      `Connect the app to account ${portalId}`,
      `<p>The app asks for: ${request.scopes.map(escape).join(', ')}</p>` +
        `<form method="post" action="/oauth/${portalId}/authorize${escape(request.query)}">` +
        `<button name="decision" value="allow">Connect app</button> <button name="decision" value="deny">Cancel</button></form>`,
    );
  });
  router.post('/oauth/:portalId/authorize', express.urlencoded({ extended: false }), (req, res) => {
    const request = checked(req, res, options);
    if (request === undefined) return;
    const portalId = portalOf(req, res);
    if (portalId === undefined) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body['decision'] !== 'allow') {
      page(res, 200, 'The app was not connected', '<p>You can close this page.</p>');
      return;
    }
    const target = new URL(request.redirectUri);
    target.searchParams.set('code', oauth.issueCode(portalId, request.scopes, request.redirectUri));
    if (request.state !== undefined) target.searchParams.set('state', request.state);
    res.redirect(302, target.toString());
  });
  return router;
}
