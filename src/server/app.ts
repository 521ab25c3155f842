/**
 * The RightTouch server as an Express 5 app: `createApp(deps)` takes everything it talks to
 * (store, credentials, the sync runner, clock, fetch), so tests inject fakes. Routes:
 * `/oauth/…` (installs), `/webhooks/hubspot`, `/card/hubspot/history` (the record card), `/api/…`
 * (admin API), `/healthz`, `/metrics`, and
 * `/` (a page with the install buttons; the admin UI replaces it).
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Mapping } from '../mapping/mapping.ts';
import type { Crm, Store } from '../store/store.ts';
import type { ServerConfig } from './config.ts';
import type { Credentials } from './credentials.ts';
import type { Metrics } from './metrics.ts';
import { adminRouter } from './routes-admin.ts';
import { cardRouter } from './routes-card.ts';
import { oauthRouter } from './routes-oauth.ts';
import type { Affected } from './webhooks/hubspot-events.ts';
import { hubspotWebhookRouter } from './webhooks/hubspot-route.ts';

export interface AppDeps {
  readonly store: Store;
  readonly config: ServerConfig;
  readonly key: Buffer;
  readonly credentials: Credentials;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly mappingFor: (crm: Crm) => Promise<Mapping>;
  /** Queues a sync (scheduled, run-now, or after a webhook). */
  readonly requestSync: (installationId: string, kind: 'incremental' | 'full') => void;
  /** A webhook's changes for an installation (debounced into an incremental sync). */
  readonly onWebhookChange?: (installationId: string, affected: Affected) => void;
  readonly onInstalled?: (installationId: string) => void;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

function homePage(config: ServerConfig): string {
  const hubspot =
    config.hubspot.clientId === undefined ? '' : '<p><a href="/oauth/hubspot/install">Install on HubSpot</a></p>';
  const salesforce =
    config.salesforce.clientId === undefined
      ? ''
      : '<p><a href="/oauth/salesforce/install">Install on Salesforce</a></p>';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>RightTouch</title></head>' +
    '<body style="font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto">' +
    "<h1>RightTouch</h1><p>Decides each customer's engagement model and keeps it current in your CRM.</p>" +
    (hubspot + salesforce || '<p>No CRM app is configured on this server yet.</p>') +
    '</body></html>'
  );
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.on('finish', () => {
      // The path only: query strings carry OAuth codes and states.
      deps.logger.info(
        { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', async (_req, res) => {
    try {
      const installations = await deps.store.listInstallations();
      res.json({ ok: true, installations: installations.length });
    } catch (error) {
      res.status(503).json({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get('/', (_req, res) => {
    res.type('html').send(homePage(deps.config));
  });

  app.use(
    oauthRouter({
      store: deps.store,
      key: deps.key,
      config: deps.config,
      credentials: deps.credentials,
      ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      ...(deps.now === undefined ? {} : { now: deps.now }),
      onInstalled: (installation) => {
        deps.onInstalled?.(installation.id);
        deps.requestSync(installation.id, 'full');
      },
    }),
  );
  const secret = deps.config.hubspot.clientSecret;
  if (secret !== undefined) {
    app.use(
      cardRouter({
        store: deps.store,
        clientSecret: secret,
        publicBaseUrl: deps.config.publicBaseUrl,
        ...(deps.now === undefined ? {} : { now: deps.now }),
      }),
    );
    app.use(
      hubspotWebhookRouter({
        store: deps.store,
        clientSecret: secret,
        publicBaseUrl: deps.config.publicBaseUrl,
        appId: deps.config.hubspot.appId,
        now: deps.now,
        onChange: (installationId, affected) => {
          if (deps.onWebhookChange !== undefined) deps.onWebhookChange(installationId, affected);
          else deps.requestSync(installationId, 'incremental');
        },
        onError: (error) => {
          deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'webhook handling failed');
        },
        onEvents: (events) => {
          const latest = Math.max(...events.map((e) => e.occurredAt));
          deps.metrics.recordWebhook(Math.max(0, ((deps.now ?? Date.now)() - latest) / 1000), events.length);
        },
      }),
    );
  }
  app.use(
    adminRouter({
      store: deps.store,
      adminToken: deps.config.adminToken,
      mappingFor: deps.mappingFor,
      requestSync: deps.requestSync,
      ...(deps.now === undefined ? {} : { now: () => new Date((deps.now ?? Date.now)()) }),
    }),
  );
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: error instanceof Error ? error.message : 'bad request' });
      return;
    }
    deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}
