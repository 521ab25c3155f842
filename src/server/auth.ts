/**
 * Admin API authentication: `Authorization: Bearer <key>`. The self-hosted admin's token
 * (RIGHTTOUCH_ADMIN_TOKEN) reaches every installation; an API key issued at install reaches its
 * own installation only. A key for one installation asking about another gets 404, as if the
 * other did not exist: one portal can neither read nor change — nor learn of — another's data.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Store } from '../store/store.ts';
import { sendErrorCode } from './errors.ts';

export type Scope = { readonly all: true } | { readonly all: false; readonly installationId: string };

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function adminAuth(store: Store, adminToken: string | undefined) {
  const adminHash = adminToken === undefined ? undefined : sha256(adminToken);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const token = match?.[1];
    if (token === undefined) {
      res.set('WWW-Authenticate', 'Bearer');
      sendErrorCode(res, 'unauthorized', 'an API key is required (Authorization: Bearer …)');
      return;
    }
    const hash = sha256(token);
    if (adminHash !== undefined && timingSafeEqual(hash, adminHash)) {
      res.locals['scope'] = { all: true } satisfies Scope;
      next();
      return;
    }
    const key = await store.findApiKey(hash.toString('hex'));
    if (key === undefined) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      sendErrorCode(res, 'unauthorized', 'this API key is not valid');
      return;
    }
    res.locals['scope'] = (
      key.installationId === null ? { all: true } : { all: false, installationId: key.installationId }
    ) satisfies Scope;
    next();
  };
}

export function scopeOf(res: Response): Scope {
  return res.locals['scope'] as Scope;
}

export function mayAccess(scope: Scope, installationId: string): boolean {
  return scope.all || scope.installationId === installationId;
}
