/** What the sandbox counts: requests by endpoint and status, 429s by policy, injected faults. */
import type { NextFunction, Request, Response } from 'express';

export interface SandboxStats {
  /** API requests received (including refused ones). */
  requests: number;
  /** Requests per route, e.g. `POST /crm/v3/objects/:objectType/search`. */
  readonly byEndpoint: Record<string, number>;
  /** Responses per HTTP status. */
  readonly byStatus: Record<string, number>;
  /** Real rate-limit refusals, by policy (injected 429s are counted under faults). */
  readonly rateLimited: { tenSecondly: number; secondly: number };
  readonly faults: { '429': number; '500': number; timeout: number; slow: number };
}

export function createStats(): SandboxStats {
  return {
    requests: 0,
    byEndpoint: {},
    byStatus: {},
    rateLimited: { tenSecondly: 0, secondly: 0 },
    faults: { '429': 0, '500': 0, timeout: 0, slow: 0 },
  };
}

/** Zeroes every counter in place (the object the sandbox exposes stays the same). */
export function resetStats(stats: SandboxStats): void {
  stats.requests = 0;
  for (const key of Object.keys(stats.byEndpoint)) stats.byEndpoint[key] = 0;
  for (const key of Object.keys(stats.byStatus)) stats.byStatus[key] = 0;
  stats.rateLimited.tenSecondly = 0;
  stats.rateLimited.secondly = 0;
  stats.faults['429'] = stats.faults['500'] = stats.faults.timeout = stats.faults.slow = 0;
}

/** Normalises a path to its route shape, for `byEndpoint`. */
function endpointOf(req: Request): string {
  const path = req.path
    .replace(/^\/crm\/v3\/objects\/[^/]+/, '/crm/v3/objects/:objectType')
    .replace(/^(\/crm\/v3\/objects\/:objectType)\/(?!search$|batch\/)[^/]+$/, '$1/:objectId')
    .replace(/^\/crm\/v3\/properties\/[^/]+/, '/crm/v3/properties/:objectType')
    .replace(/^(\/crm\/v3\/properties\/:objectType\/groups)\/[^/]+$/, '$1/:groupName')
    .replace(/^(\/crm\/v3\/properties\/:objectType)\/(?!groups$)[^/]+$/, '$1/:propertyName')
    .replace(/^\/crm\/v4\/associations\/[^/]+\/[^/]+/, '/crm/v4/associations/:fromObjectType/:toObjectType')
    .replace(/^\/oauth\/v1\/access-tokens\/.+$/, '/oauth/v1/access-tokens/:token');
  return `${req.method} ${path}`;
}

export function counting(stats: SandboxStats): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    stats.requests++;
    const endpoint = endpointOf(req);
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
    res.on('finish', () => {
      const status = String(res.statusCode);
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    });
    next();
  };
}
