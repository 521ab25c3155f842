/** What every route module of the fake org shares. */
import type { Request, Response } from 'express';
import type { TokenStore } from './auth.ts';
import type { Org } from './model.ts';
import type { SalesforceStats } from './stats.ts';
import type { WriteContext } from './writes.ts';

export interface SalesforceContext {
  readonly org: Org;
  readonly tokens: TokenStore;
  readonly stats: SalesforceStats;
  readonly now: () => number;
  readonly lockFailures: Set<string>;
  /** Polls of a closed Bulk 2.0 job that still report it InProgress. */
  readonly bulkProcessingPolls: number;
}

/** The authenticated user (set by bearerAuth / the SOAP session check). */
export function userOf(res: Response): string {
  const id: unknown = res.locals['userId'];
  if (typeof id !== 'string') throw new Error('no authenticated user');
  return id;
}

export function writeContext(
  context: SalesforceContext,
  userId: string,
  via: { readonly callOptions?: string | undefined; readonly api?: 'rest' | 'bulk' } = {},
): WriteContext {
  return { org: context.org, userId, now: context.now(), lockFailures: context.lockFailures, ...via };
}

/** A route parameter as a string ('' when absent). */
export function param(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}
