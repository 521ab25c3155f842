/**
 * HubSpot's rate limits for a public (OAuth) app, per access token: 110 requests per rolling
 * 10 s (`TEN_SECONDLY_ROLLING`), and CRM search on its own 5 per second (`SECONDLY`), exempt from
 * the 10-s bucket. Non-search responses carry the `X-HubSpot-RateLimit-*` headers (no daily ones:
 * OAuth apps have no daily cap); search responses carry none (reference §4.2). Refused requests
 * do not use up the window.
 */
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.ts';
import type { SandboxStats } from './stats.ts';

export interface LimitOptions {
  /** Requests per rolling window (default 110). */
  readonly perWindow?: number;
  /** The rolling window in ms (default 10,000). */
  readonly windowMs?: number;
  /** Search requests per rolling second (default 5). */
  readonly searchPerSecond?: number;
}

export const DEFAULT_LIMITS: Required<LimitOptions> = { perWindow: 110, windowMs: 10_000, searchPerSecond: 5 };

/** Timestamps of accepted requests per key, pruned to the window. */
class RollingWindow {
  readonly #hits = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;

  constructor(max: number, windowMs: number) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  /** Takes a slot if one is free; returns the slots left (−1 when refused). */
  take(key: string, now: number): number {
    let hits = this.#hits.get(key);
    if (hits === undefined) {
      hits = [];
      this.#hits.set(key, hits);
    }
    const from = now - this.#windowMs;
    let stale = 0;
    while (stale < hits.length && (hits[stale] ?? 0) <= from) stale++;
    if (stale > 0) hits.splice(0, stale);
    if (hits.length >= this.#max) return -1;
    hits.push(now);
    return this.#max - hits.length;
  }
}

export function isSearchRequest(req: Request): boolean {
  // baseUrl: the middleware may be mounted on a path prefix.
  return req.method === 'POST' && /^\/crm\/v3\/objects\/[^/]+\/search\/?$/.test(`${req.baseUrl}${req.path}`);
}

export function rateLimitBody(policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY'): {
  message: string;
  errorType: string;
  policyName: string;
} {
  return policy === 'SECONDLY'
    ? { message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' }
    : {
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
      };
}

/** The bearer token of an authenticated request (set by the auth middleware). */
export function tokenOf(res: Response): string {
  const token: unknown = res.locals['token'];
  return typeof token === 'string' ? token : '';
}

export function rateLimiter(
  options: LimitOptions,
  now: () => number,
  stats: SandboxStats,
): (req: Request, res: Response, next: NextFunction) => void {
  const limits = { ...DEFAULT_LIMITS, ...options };
  const burst = new RollingWindow(limits.perWindow, limits.windowMs);
  const search = new RollingWindow(limits.searchPerSecond, 1000);
  return (req, res, next) => {
    const token = tokenOf(res);
    if (isSearchRequest(req)) {
      if (search.take(token, now()) >= 0) {
        next();
        return;
      }
      stats.rateLimited.secondly++;
      sendError(res, 429, rateLimitBody('SECONDLY'));
      return;
    }
    const remaining = burst.take(token, now());
    res.setHeader('X-HubSpot-RateLimit-Interval-Milliseconds', String(limits.windowMs));
    res.setHeader('X-HubSpot-RateLimit-Max', String(limits.perWindow));
    res.setHeader('X-HubSpot-RateLimit-Remaining', String(Math.max(0, remaining)));
    if (remaining >= 0) {
      next();
      return;
    }
    stats.rateLimited.tenSecondly++;
    sendError(res, 429, rateLimitBody('TEN_SECONDLY_ROLLING'));
  };
}
