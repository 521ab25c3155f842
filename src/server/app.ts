/**
 * The RightTouch server as an Express 5 app: `createApp(deps)` takes everything it talks to
 * (store, credentials, the sync runner, clock, fetch), so tests inject fakes. Routes:
 * `/oauth/…` (installs), `/webhooks/hubspot`, `/card/hubspot/history` (the record card), `/api/…`
 * (admin API), `/healthz`, `/metrics`, and the admin UI at `/` (ui/dist, built by
 * `npm run build:ui`; without a build, a plain page with the install links says how to build it),
 * with `/ui-config.json` (which CRM apps this server can install).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { platformFor, PLATFORMS, type Platform } from '../../connectors/platforms.ts';
import type { Mapping } from '../mapping/mapping.ts';
import type { Crm, Store } from '../store/store.ts';
import type { ServerConfig } from '../app/config.ts';
import type { Credentials } from '../app/connectors.ts';
import type { Metrics } from './metrics.ts';
import type { StreamHealth } from '../../connectors/salesforce/streams.ts';
import type { PolicyVersionResponse, QueueResponse, UiConfig } from './api-types.ts';
import { adminAuth, mayAccess, scopeOf } from './auth.ts';
import { adminRouter } from './routes/admin.ts';
import { cardRouter } from './routes/card.ts';
import { oauthRouter } from './routes/oauth.ts';
import type { Affected } from '../../connectors/hubspot/webhooks/events.ts';
import { hubspotWebhookRouter } from './routes/webhooks-hubspot.ts';
import { sendError, sendErrorCode } from './errors.ts';

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
  readonly onSettingsChanged?: (installationId: string) => void;
  /** The run queue's state, for `GET /api/queue`. */
  readonly queueSnapshot?: () => Promise<QueueResponse>;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** The Salesforce change streams' state, for `/healthz` (when CDC is on). */
  readonly changeStreams?: () => readonly StreamHealth[];
  /** The built admin UI (default: ui/dist of the checkout). */
  readonly uiDir?: string;
}

export const UI_DIST = fileURLToPath(new URL('../../ui/dist', import.meta.url));

/** The admin UI's page: scripts and styles from this server only, no framing, no referrer. */
const UI_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
} as const;

/** A CRM is offered for installing once its app's client id is set. */
const offered = (platform: Platform, config: ServerConfig): boolean =>
  platform.oauth.app(config).clientId !== undefined;

function homePage(config: ServerConfig): string {
  const links = PLATFORMS.filter((platform) => offered(platform, config))
    .map((platform) => `<p><a href="${platform.oauth.installPath}">Install on ${platform.name}</a></p>`)
    .join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>RightTouch</title></head>' +
    '<body style="font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto">' +
    "<h1>RightTouch</h1><p>Decides each customer's engagement model and keeps it current in your CRM.</p>" +
    (links || '<p>No CRM app is configured on this server yet.</p>') +
    '<p>The admin UI is not built on this server: run <code>npm run build:ui</code> (<code>npm start</code> does).</p>' +
    '</body></html>'
  );
}

/** Paths logged at debug when they answer well (see the request log below). */
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.on('finish', () => {
      // The path only: query strings carry OAuth codes and states.
      const line = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      };
      // Monitors poll /healthz and /metrics (every few seconds, the benchmark every 50 ms): their
      // answers that went well are logged at debug, so the log holds what people and CRMs did.
      if (res.statusCode < 400 && QUIET_PATHS.has(req.path)) deps.logger.debug(line, 'request');
      else deps.logger.info(line, 'request');
    });
    next();
  });

  app.get('/healthz', async (_req, res) => {
    try {
      // A count, not the list: load balancers and monitors poll this (the benchmark every 50 ms),
      // and reading every installation's row each time grows with the installations.
      const installations = await deps.store.countInstallations();
      const streams = deps.changeStreams?.();
      // A failing change stream does not fail the check (the server works, scheduled syncs cover
      // the changes): it is listed until a subscribe succeeds.
      res.json({
        ok: true,
        installations,
        ...(streams === undefined
          ? {}
          : {
              changeStreams: {
                subscribed: streams.filter((s) => s.subscribed).length,
                failing: streams.flatMap((s) =>
                  s.failure === undefined ? [] : [{ installation: s.installationId, org: s.externalId, ...s.failure }],
                ),
              },
            }),
      });
    } catch (error) {
      res.status(503).json({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  const uiDir = deps.uiDir ?? UI_DIST;
  app.get(['/', '/index.html'], (_req, res) => {
    const index = join(uiDir, 'index.html');
    if (!existsSync(index)) {
      res.type('html').send(homePage(deps.config));
      return;
    }
    res.set(UI_HEADERS).sendFile(index);
  });
  // Content-hashed names: a file never changes under its name. Compressed at build time.
  app.get('/assets/:file', (req, res, next) => {
    const file = req.params['file'];
    const type = /^[\w-]+\.(js|css)$/.exec(file)?.[1];
    const encoding = type === undefined ? false : req.acceptsEncodings('br', 'gzip', 'identity');
    const suffix = encoding === 'br' ? '.br' : encoding === 'gzip' ? '.gz' : undefined;
    if (type === undefined || suffix === undefined || !existsSync(join(uiDir, 'assets', file + suffix))) {
      next();
      return;
    }
    res
      .set({ 'Content-Encoding': encoding, Vary: 'Accept-Encoding', 'X-Content-Type-Options': 'nosniff' })
      .type(type)
      .sendFile(join(uiDir, 'assets', file + suffix), { immutable: true, maxAge: '365d' });
  });
  app.use(
    '/assets',
    express.static(join(uiDir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: true }),
  );
  app.get('/ui-config.json', (_req, res) => {
    const crm = (platform: Platform): UiConfig['hubspot'] => ({
      configured: offered(platform, deps.config),
      installUrl: platform.oauth.installPath,
    });
    res
      .set('Cache-Control', 'no-cache')
      .json({ hubspot: crm(platformFor('hubspot')), salesforce: crm(platformFor('salesforce')) } satisfies UiConfig);
  });
  // One saved policy version (the UI loads an old one to apply it again). Belongs with the admin API.
  app.get(
    '/api/installations/:id/policy/versions/:version',
    adminAuth(deps.store, deps.config.adminToken),
    async (req, res) => {
      const id = String(req.params['id']);
      const version = Number(req.params['version']);
      const found = mayAccess(scopeOf(res), id) ? await deps.store.getInstallation(id) : undefined;
      if (found === undefined) {
        sendErrorCode(res, 'not_found', `no installation ${id}`);
        return;
      }
      const saved = (await deps.store.listPolicies(found.id)).find((candidate) => candidate.version === version);
      if (saved === undefined) {
        sendErrorCode(res, 'not_found', `no policy version ${String(req.params['version'])}`);
        return;
      }
      res.json({
        version: saved.version,
        createdAt: saved.createdAt,
        policy: saved.policy,
      } satisfies PolicyVersionResponse);
    },
  );

  app.use(
    oauthRouter({
      store: deps.store,
      key: deps.key,
      config: deps.config,
      credentials: deps.credentials,
      logger: deps.logger,
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
        onSkipped: (skipped) => {
          deps.logger.warn({ skipped }, 'hubspot webhook: events skipped (the rest of the batch was taken)');
        },
        onErased: ({ installationId, eventId, rows }) => {
          // No contact id or value: the log keeps no trace of the person.
          deps.logger.info(
            { installation: installationId, eventId, rows },
            'privacy deletion honoured: everything held about the contact was erased',
          );
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
      onSettingsChanged: deps.onSettingsChanged,
      queueSnapshot: deps.queueSnapshot,
      ...(deps.now === undefined ? {} : { now: () => new Date((deps.now ?? Date.now)()) }),
    }),
  );
  app.use((req: Request, res: Response) => {
    sendErrorCode(res, 'not_found', `no route for ${req.method} ${req.path}`);
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
    sendError(res, error);
  });
  return app;
}
