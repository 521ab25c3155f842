/**
 * The fake Salesforce org: an Express 5 app speaking the subset of Salesforce's REST (query,
 * describe, sObject Collections, get deleted/updated, limits), OAuth (refresh with rotation,
 * authorization code, userinfo), Bulk API 2.0 ingest, Metadata SOAP (fields, permission sets, record
 * types, list views, page and compact layouts: metadata.ts) and list views' REST resources that jsforce 3 uses, plus Change Data Capture (Tooling channels and members,
 * the Streaming API at `/cometd`: change-events.ts), with Salesforce's bodies, error codes, field-level
 * security and daily API and event-delivery limits, so the real `Connection` pointed at it works
 * unchanged. Lost answers can be injected per step (`loseAnswer`, faults.ts): the org does the
 * work, the client never hears.
 *
 * ```ts
 * const sandbox = createSalesforceSandbox({ org: generateOrg({ seed: 1 }), clientId: 'id', clientSecret: 's' });
 * const { url, close } = await sandbox.listen();
 * const { accessToken, refreshToken } = sandbox.tokens.issue();
 * const conn = new Connection({ instanceUrl: url, accessToken, refreshToken, version: '66.0',
 *   oauth2: { clientId: 'id', clientSecret: 's', loginUrl: url } });
 * ```
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createSandboxApp, errorHandler, listen, requestLog, type RunningServer } from '../shared/http.ts';
import { authRoutes, bearerAuth, TokenStore, type TokenControls } from './auth.ts';
import { bulkRoutes } from './bulk.ts';
import { cometdRoutes } from './cometd.ts';
import type { SalesforceContext } from './context.ts';
import { SfHttpError } from './errors.ts';
import { type LostAnswer, lostAnswers } from './faults.ts';
import { generateOrg } from './generate.ts';
import { apiLimiter, DEFAULT_DAILY_API_LIMIT, limitRoutes } from './limits.ts';
import { listViewRoutes } from './list-views.ts';
import { metadataRoutes } from './metadata.ts';
import type { Org } from './model.ts';
import { queryRoutes } from './routes-query.ts';
import { sobjectRoutes } from './routes-sobjects.ts';
import { toolingRoutes } from './tooling.ts';
import { counting, createStats, resetStats, type SalesforceStats } from './stats.ts';

export interface SalesforceSandboxOptions {
  /** The data to serve. Default: `generateOrg({ seed: options.seed ?? 1 })`. */
  readonly org?: Org;
  readonly seed?: number;
  /** When set, the token endpoint requires this client id (else any is accepted). */
  readonly clientId?: string;
  /** When set, the token endpoint requires this client secret. */
  readonly clientSecret?: string;
  /** The clock (epoch ms) for modification stamps and token issue times. Default `Date.now`. */
  readonly now?: () => number;
  /** Daily API requests allowed (default 15,000); usage lives in `org.apiUsage`. */
  readonly dailyApiLimit?: number;
  /** Issue a new refresh token on every refresh and retire the old one (default true). */
  readonly rotateRefreshTokens?: boolean;
  /** Access tokens stop working this long after they were issued, as at the session timeout (default: never by themselves). */
  readonly sessionTimeoutMs?: number;
  /** Record ids whose next write fails once with UNABLE_TO_LOCK_ROW. */
  readonly lockFailures?: Set<string>;
  /** Called with one line per request (method, path, status, ms). */
  readonly log?: (line: string) => void;
  /** Polls of a closed Bulk 2.0 job that still report it InProgress (default 1). */
  readonly bulkProcessingPolls?: number;
  /** How long the Streaming API's `/meta/connect` waits for change events (default 2 s). */
  readonly cometdHoldMs?: number;
  /** The user may create CDC channels and members (Customize Application; default true). */
  readonly customizeApplication?: boolean;
}

export type RunningSalesforceSandbox = RunningServer;

export interface SalesforceSandbox {
  readonly app: Express;
  readonly org: Org;
  readonly stats: SalesforceStats;
  readonly tokens: TokenControls;
  /** Ids whose next write fails once with UNABLE_TO_LOCK_ROW (add to it at any time). */
  readonly lockFailures: Set<string>;
  /** The daily API limit in force (settable). */
  dailyApiLimit: number;
  /** Drop the connection of the next request(s) matching `rule` (see faults.ts). */
  loseAnswer(rule: LostAnswer): void;
  /** Whether the user may create CDC channels and members (settable). */
  customizeApplication: boolean;
  /** Whether the user may query setup objects such as channel members (View Setup and Configuration; settable). */
  viewSetup: boolean;
  /** Forgets every Streaming API client: their next `/meta/connect` gets `403::Unknown client`. */
  dropStreamingClients(): void;
  resetStats(): void;
  /** Starts listening on 127.0.0.1 (port 0: any free port). */
  listen(port?: number, host?: string): Promise<RunningSalesforceSandbox>;
}

/** Salesforce's error bodies: a list of `{ message, errorCode }` (errors.ts for its own errors). */
const salesforceErrors = errorHandler({
  known: (err, res) => {
    if (!(err instanceof SfHttpError)) return false;
    res.status(err.status).json(err.body());
    return true;
  },
  badBody: (err, res) => {
    res.status(400).json([{ message: `JSON_PARSER_ERROR: ${err.message}`, errorCode: 'JSON_PARSER_ERROR' }]);
  },
  internal: (message, res) => {
    res.status(500).json([{ message, errorCode: 'UNKNOWN_EXCEPTION' }]);
  },
});

/** Records the `Sforce-Call-Options` header of every write request. */
function callOptions(stats: SalesforceStats): (req: Request, _res: Response, next: NextFunction) => void {
  return (req, _res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') stats.callOptions.push(req.get('sforce-call-options') ?? '');
    next();
  };
}

/** 404 NOT_FOUND for `/services/data/<anything but vNN.N>/…`. */
function versionCheck(req: Request, res: Response, next: NextFunction): void {
  const segment = req.path.split('/')[1] ?? '';
  if (segment !== '' && !/^v\d+\.\d+$/.test(segment)) {
    res.status(404).json([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    return;
  }
  next();
}

export function createSalesforceSandbox(options: SalesforceSandboxOptions = {}): SalesforceSandbox {
  const org = options.org ?? generateOrg({ seed: options.seed ?? 1 });
  const now = options.now ?? Date.now;
  const stats = createStats();
  const tokens = new TokenStore(org, { now, sessionTimeoutMs: options.sessionTimeoutMs });
  const lockFailures = options.lockFailures ?? new Set<string>();
  const context: SalesforceContext = {
    org,
    tokens,
    stats,
    now,
    lockFailures,
    bulkProcessingPolls: options.bulkProcessingPolls ?? 1,
  };
  const lost: LostAnswer[] = [];
  const limit = { value: options.dailyApiLimit ?? DEFAULT_DAILY_API_LIMIT };
  const maxApi = (): number => limit.value;
  const customize = { value: options.customizeApplication ?? true };
  const viewSetup = { value: true };

  const app = createSandboxApp();
  if (options.log !== undefined) app.use(requestLog(options.log));
  app.use(counting(stats));
  app.use(
    authRoutes(
      {
        org,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        rotateRefreshTokens: options.rotateRefreshTokens ?? true,
        now,
      },
      tokens,
    ),
  );
  app.use('/services/Soap/m', express.text({ type: () => true, limit: '10mb' }));
  app.use(metadataRoutes(context, apiLimiter(org, maxApi, stats, true)));
  app.use('/services/data', bearerAuth(tokens), versionCheck, apiLimiter(org, maxApi, stats, false));
  app.use('/services/data', callOptions(stats));
  app.use('/services/data', express.json({ limit: '50mb' }));
  app.use('/services/data', express.text({ type: 'text/csv', limit: '150mb' }));
  app.use('/services/data', lostAnswers(lost, stats));
  app.use(limitRoutes(org, maxApi));
  app.use(queryRoutes(context));
  app.use(bulkRoutes(context));
  app.use(listViewRoutes(context)); // before sobjectRoutes: `sobjects/:type/listviews` is not a record id
  app.use(sobjectRoutes(context));
  app.use(toolingRoutes(context, { customizeApplication: () => customize.value, viewSetup: () => viewSetup.value }));
  let dropClients = (): void => undefined;
  app.use(
    cometdRoutes(context, {
      ...(options.cometdHoldMs === undefined ? {} : { holdMs: options.cometdHoldMs }),
      controls: (drop) => {
        dropClients = drop;
      },
    }),
  );
  app.use((_req, res) => {
    res.status(404).json([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
  });
  app.use(salesforceErrors);

  const sandbox: SalesforceSandbox = {
    app,
    org,
    stats,
    tokens,
    lockFailures,
    get dailyApiLimit() {
      return limit.value;
    },
    set dailyApiLimit(value: number) {
      limit.value = value;
    },
    loseAnswer: (rule: LostAnswer) => {
      lost.push({ ...rule });
    },
    get customizeApplication() {
      return customize.value;
    },
    set customizeApplication(value: boolean) {
      customize.value = value;
    },
    get viewSetup() {
      return viewSetup.value;
    },
    set viewSetup(value: boolean) {
      viewSetup.value = value;
    },
    dropStreamingClients: () => {
      dropClients();
    },
    resetStats: () => {
      resetStats(stats);
    },
    listen: (port = 0, host = '127.0.0.1') => listen(app, port, host),
  };
  return sandbox;
}
