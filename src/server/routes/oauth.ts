/**
 * Install flows. `GET /oauth/hubspot/install` → HubSpot's authorize page (state stored, single
 * use, 10 minutes); `GET /oauth/hubspot/callback` exchanges the code at the current token
 * endpoint, stores the installation (portal id, scopes) and its tokens (sealed), runs setup, and
 * lands the admin on a page with the result and a one-time API key for this installation.
 * The same callback finishes installs started from the HubSpot Marketplace (`code` + `returnUrl`,
 * no state of ours; connectors/hubspot/marketplace.ts): it sets the portal up and redirects to `returnUrl`.
 * Salesforce: the web-server flow with PKCE (connectors/salesforce/install.ts); the org id and
 * instance URL are stored with the tokens. What differs per CRM in messages: connectors/platforms.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Credentials } from '../../app/connectors.ts';
import { activePolicy } from '../../app/policy.ts';
import { setUpCrm } from '../../app/setup.ts';
import { SETUP_CURSOR, setupMark } from '../../jobs/run.ts';
import type { Logger } from 'pino';
import type { Crm, Installation, Store } from '../../store/store.ts';
import type { ServerConfig } from '../../app/config.ts';
import {
  exchangeHubSpotCode,
  hubspotAuthorizeUrl,
  OAuthGrantError,
  TokenEndpointUnavailableError,
} from '../../../connectors/hubspot/oauth.ts';
import {
  hubspotReturnUrl,
  marketplaceParams,
  returnUrlWithState,
  type MarketplaceParams,
} from '../../../connectors/hubspot/marketplace.ts';
import { platformFor } from '../../../connectors/platforms.ts';
import { exchangeSalesforceCode, salesforceAuthorization } from '../../../connectors/salesforce/install.ts';
import { createState, takeState } from '../oauth-state.ts';

export interface OAuthDeps {
  readonly store: Store;
  readonly key: Buffer;
  readonly config: ServerConfig;
  readonly credentials: Credentials;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** After an install: e.g. schedule the installation and queue its first sync. */
  readonly onInstalled?: (installation: Installation) => void;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)} · RightTouch</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
        `<body style="font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; line-height: 1.5">` +
        `<h1>${escape(title)}</h1>${body}</body></html>`,
    );
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new API key for one installation: shown once, stored as its hash. */
export async function issueApiKey(
  store: Store,
  installationId: string | null,
  label: string,
  at: number,
): Promise<string> {
  const key = `rt_${randomBytes(24).toString('base64url')}`;
  await store.createApiKey(hashApiKey(key), installationId, label, at);
  return key;
}

/** Runs setup for a new installation and issues its first admin API key. */
async function completeInstall(
  deps: OAuthDeps,
  installation: Installation,
): Promise<{ readonly setupLines: string; readonly setupChanges: readonly string[] | undefined }> {
  let setupLines: string;
  let setupChanges: readonly string[] | undefined;
  try {
    const connector = await deps.credentials.connectorFor(installation);
    const tiers = (await activePolicy(deps.store, installation.id)).tiers;
    const report = await setUpCrm(deps.store, connector, installation, tiers, deps.now);
    const version = (await deps.store.activePolicy(installation.id))?.version ?? 0;
    await deps.store.setCursor(installation.id, SETUP_CURSOR, setupMark(version, installation.settings));
    setupChanges = report.changes;
    setupLines =
      report.changes.length === 0
        ? '<p>The engagement-model properties were already set up.</p>'
        : `<p>Set up:</p><ul>${report.changes.map((c) => `<li>${escape(c)}</li>`).join('')}</ul>`;
    const warnings = report.warnings ?? [];
    if (warnings.length > 0) {
      setupLines += `<p>Left for you:</p><ul>${warnings.map((w) => `<li>${escape(w)}</li>`).join('')}</ul>`;
    }
  } catch (error) {
    setupLines = `<p><strong>Setup did not finish:</strong> ${escape(error instanceof Error ? error.message : String(error))}. It is retried before the first sync.</p>`;
  }
  deps.onInstalled?.(installation);
  return { setupLines, setupChanges };
}

async function finishInstall(deps: OAuthDeps, res: Response, installation: Installation): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const { setupLines } = await completeInstall(deps, installation);
  const key = await issueApiKey(deps.store, installation.id, 'created at install', now);
  const crmName = platformFor(installation.crm).account;
  page(
    res,
    200,
    'RightTouch is installed',
    `<p>${crmName} <strong>${escape(installation.externalId)}</strong>${installation.name === null ? '' : ` (${escape(installation.name)})`} is connected. ` +
      `The first sync starts now; after it every record shows its engagement model and the reason.</p>${setupLines}` +
      `<p>This installation's admin API key (shown once; keep it in a password manager):</p>` +
      `<pre style="background:#f3f3f3;padding:0.75rem;overflow-x:auto">${escape(key)}</pre>` +
      `<p><a href="/#key=${encodeURIComponent(key)}">Open RightTouch</a> (this link signs you in once; keep the key for later)</p>`,
  );
}

function failed(res: Response, status: number, message: string): void {
  page(res, status, 'The installation did not finish', `<p>${escape(message)}</p><p><a href="/">Back</a></p>`);
}

/** Whether this server has the CRM's app credentials; if not, answers 503 saying which settings to set. */
function configured(res: Response, config: ServerConfig, crm: Crm): boolean {
  const platform = platformFor(crm);
  const { clientId, clientSecret } = platform.oauth.app(config);
  if (clientId !== undefined && clientSecret !== undefined) return true;
  failed(res, 503, `This RightTouch server has no ${platform.name} app configured (${platform.oauth.settings}).`);
  return false;
}

export function oauthRouter(deps: OAuthDeps): Router {
  const router = express.Router();
  const now = (): number => (deps.now ?? Date.now)();

  router.get('/oauth/hubspot/install', async (_req: Request, res: Response) => {
    if (!configured(res, deps.config, 'hubspot')) return;
    const state = await createState(deps.store, deps.key, { crm: 'hubspot' }, now());
    res.redirect(302, hubspotAuthorizeUrl(deps.config, state));
  });

  /** Exchanges a HubSpot code and stores the installation and its tokens; undefined after a failure page. */
  async function hubspotInstallation(res: Response, code: string): Promise<Installation | undefined> {
    let tokens;
    try {
      tokens = await exchangeHubSpotCode(deps.config, code, deps.fetch, now());
    } catch (err) {
      // A refused code: 400. HubSpot not answering (after the retries): 503, try again later. Else 502.
      const unavailable = err instanceof TokenEndpointUnavailableError;
      const status = err instanceof OAuthGrantError ? 400 : unavailable ? 503 : 502;
      const message = `HubSpot did not exchange the code: ${err instanceof Error ? err.message : String(err)}`;
      failed(res, status, unavailable ? `${message}. Start the installation again in a few minutes.` : message);
      return undefined;
    }
    if (tokens.portalId === undefined) {
      failed(res, 502, 'HubSpot answered without the portal id (hub_id).');
      return undefined;
    }
    const installation = await deps.store.upsertInstallation('hubspot', tokens.portalId);
    await deps.credentials.save(installation.id, {
      crm: 'hubspot',
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: tokens.expiresAt,
      scopes: tokens.scopes,
    });
    await deps.store.setInstallationStatus(installation.id, 'active', null);
    return { ...installation, status: 'active', statusDetail: null };
  }

  /** A Marketplace install (connectors/hubspot/marketplace.ts): finish it and send the admin back to HubSpot. */
  async function marketplaceInstall(
    res: Response,
    params: MarketplaceParams,
    code: string | undefined,
    state: string | undefined,
  ): Promise<void> {
    const returnUrl = hubspotReturnUrl(params.returnUrl, deps.config.hubspot.returnUrlHosts);
    if (returnUrl === undefined) {
      deps.logger?.warn({ crm: 'hubspot' }, 'marketplace install refused: returnUrl does not lead to HubSpot');
      failed(
        res,
        400,
        'This install request does not come from HubSpot (its return address is not HubSpot). Nothing was installed.',
      );
      return;
    }
    if (params.step === 'authorize') {
      const issued = await createState(deps.store, deps.key, { crm: 'hubspot' }, now());
      res.redirect(302, returnUrlWithState(returnUrl, issued));
      return;
    }
    if (
      (params.step === 'finalize' || state !== undefined) &&
      (state === undefined || (await takeState(deps.store, deps.key, state, 'hubspot', now())) === undefined)
    ) {
      failed(res, 400, 'This install link is unknown, used or expired. Start the installation again from HubSpot.');
      return;
    }
    if (code === undefined || code === '') {
      failed(res, 400, 'HubSpot sent no authorization code. Start the installation again from HubSpot.');
      return;
    }
    const installation = await hubspotInstallation(res, code);
    if (installation === undefined) return;
    const { setupChanges } = await completeInstall(deps, installation);
    deps.logger?.info(
      { crm: 'hubspot', portalId: installation.externalId, setup: setupChanges?.length ?? 'failed' },
      'installed from the HubSpot Marketplace',
    );
    res.redirect(302, returnUrl.toString());
  }

  router.get('/oauth/hubspot/callback', async (req: Request, res: Response) => {
    const query = req.query as Record<string, unknown>;
    const single = (name: string): string | undefined => (typeof query[name] === 'string' ? query[name] : undefined);
    const [code, state, error, description] = ['code', 'state', 'error', 'error_description'].map(single);
    if (error !== undefined) {
      failed(
        res,
        400,
        `HubSpot did not grant access (${error}${description === undefined ? '' : `: ${description}`}). Nothing was installed.`,
      );
      return;
    }
    const marketplace = marketplaceParams(query);
    if (marketplace !== undefined) {
      await marketplaceInstall(res, marketplace, code, state);
      return;
    }
    if (state === undefined || (await takeState(deps.store, deps.key, state, 'hubspot', now())) === undefined) {
      failed(res, 400, 'This install link is unknown, used or expired. Start the installation again.');
      return;
    }
    if (code === undefined || code === '') {
      failed(res, 400, 'HubSpot sent no authorization code. Start the installation again.');
      return;
    }
    const installation = await hubspotInstallation(res, code);
    if (installation !== undefined) await finishInstall(deps, res, installation);
  });

  router.get('/oauth/salesforce/install', async (_req: Request, res: Response) => {
    if (!configured(res, deps.config, 'salesforce')) return;
    const authorization = salesforceAuthorization(deps.config);
    const verifier = authorization.codeVerifier;
    const state = await createState(
      deps.store,
      deps.key,
      { crm: 'salesforce', ...(verifier === undefined ? {} : { codeVerifier: verifier }) },
      now(),
    );
    res.redirect(302, authorization.url(state));
  });

  router.get('/oauth/salesforce/callback', async (req: Request, res: Response) => {
    const { code, state, error, error_description: description } = req.query as Record<string, string | undefined>;
    if (error !== undefined) {
      failed(
        res,
        400,
        `Salesforce did not grant access (${error}${description === undefined ? '' : `: ${description}`}). Nothing was installed.`,
      );
      return;
    }
    const pending = state === undefined ? undefined : await takeState(deps.store, deps.key, state, 'salesforce', now());
    if (pending === undefined) {
      failed(res, 400, 'This install link is unknown, used or expired. Start the installation again.');
      return;
    }
    if (code === undefined || code === '') {
      failed(res, 400, 'Salesforce sent no authorization code. Start the installation again.');
      return;
    }
    let installed;
    try {
      installed = await exchangeSalesforceCode(deps.config, code, pending.codeVerifier);
    } catch (err) {
      failed(res, 400, `Salesforce did not exchange the code: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const installation = await deps.store.upsertInstallation('salesforce', installed.orgId);
    await deps.credentials.save(installation.id, {
      crm: 'salesforce',
      accessToken: installed.accessToken,
      refreshToken: installed.refreshToken,
      instanceUrl: installed.instanceUrl,
    });
    await deps.store.setInstallationStatus(installation.id, 'active', null);
    await finishInstall(deps, res, { ...installation, status: 'active', statusDetail: null });
  });

  return router;
}
