/** What the fake org counts: requests by route template and status, API usage, call options, bulk jobs. */
import type { NextFunction, Request, Response } from 'express';

export interface SalesforceStats {
  requests: number;
  /** Requests per route, e.g. `PATCH /services/data/vXX.X/composite/sobjects`. */
  readonly byEndpoint: Record<string, number>;
  /** Responses per HTTP status. */
  readonly byStatus: Record<string, number>;
  /** Requests refused with REQUEST_LIMIT_EXCEEDED. */
  limitRefusals: number;
  /** Token-endpoint grants that succeeded (refreshes included). */
  tokenGrants: number;
  /** Every write request's `Sforce-Call-Options` header (or '' when absent), in order. */
  readonly callOptions: string[];
  /** Bulk API 2.0 ingest jobs created. */
  bulkJobs: number;
  /** Records written (collections and bulk). */
  recordsWritten: number;
  /** Requests whose connection was dropped on purpose (`loseAnswer`). */
  lost: number;
  /** Metadata API writes (create/update/upsert/deleteMetadata), as `upsertMetadata Layout`, in order. */
  readonly metadataWrites: string[];
}

export function createStats(): SalesforceStats {
  return {
    requests: 0,
    byEndpoint: {},
    byStatus: {},
    limitRefusals: 0,
    tokenGrants: 0,
    callOptions: [],
    bulkJobs: 0,
    recordsWritten: 0,
    lost: 0,
    metadataWrites: [],
  };
}

export function resetStats(stats: SalesforceStats): void {
  stats.requests = 0;
  for (const key of Object.keys(stats.byEndpoint)) stats.byEndpoint[key] = 0;
  for (const key of Object.keys(stats.byStatus)) stats.byStatus[key] = 0;
  stats.limitRefusals = 0;
  stats.tokenGrants = 0;
  stats.callOptions.length = 0;
  stats.bulkJobs = 0;
  stats.recordsWritten = 0;
  stats.lost = 0;
  stats.metadataWrites.length = 0;
}

/** A path's route shape, for `byEndpoint`. */
export function endpointOf(method: string, path: string): string {
  const shaped = path
    .replace(/\/v\d+\.\d+(?=\/|$)/, '/vXX.X')
    .replace(/^(\/services\/data\/vXX\.X\/query)\/[^/]+$/, '$1/:locator')
    .replace(/^(\/services\/data\/vXX\.X\/sobjects)\/[^/]+/, '$1/:type')
    .replace(/^(\/services\/data\/vXX\.X\/jobs\/ingest)\/[^/]+/, '$1/:jobId')
    .replace(/^\/id\/.+$/, '/id/:orgId/:userId')
    .replace(/\/$/, '');
  return `${method} ${shaped}`;
}

export function counting(stats: SalesforceStats): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    stats.requests++;
    const endpoint = endpointOf(req.method, req.path);
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
    res.on('finish', () => {
      const status = String(res.statusCode);
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      if (endpoint === 'POST /services/oauth2/token' && res.statusCode === 200) stats.tokenGrants++;
    });
    next();
  };
}
