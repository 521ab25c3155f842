/**
 * HubSpot's token endpoint, `POST /oauth/2026-03/token` (and `/oauth/v3/token`), for the sandbox
 * portal (reference §5.1): a form-encoded body (`grant_type`, `code` + `redirect_uri` or
 * `refresh_token`, `client_id`, `client_secret`), answered
 * `{token_type, access_token, refresh_token, expires_in: 1800, hub_id, user_id, scopes, token_use}`.
 * The access token is the sandbox's own (`token` option) so the API accepts it; HubSpot's refresh
 * tokens do not rotate, so a refresh answers the same one.
 *
 * Refusals in the RFC 6749 §5.2 shape HubSpot answers since the v1 endpoints' deprecation:
 * - a revoked or unknown refresh token (the app was uninstalled, see `revoke`): 400
 *   `{"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked",
 *   "status":"BAD_REFRESH_TOKEN","message":…}` (reference §5.1, verbatim fields);
 * - an unknown or already used authorization code: 400 `invalid_grant`;
 * - a wrong client id or secret: 400 `invalid_client` (RFC 6749 allows 400 or 401; which one
 *   HubSpot sends is not documented — RightTouch treats both alike);
 * - another grant type: 400 `unsupported_grant_type`.
 * `failNext` scripts the unpleasant answers ahead of those: a 429 with or without Retry-After, a
 * 5xx, or a dropped connection.
 */
import { randomBytes } from 'node:crypto';
import express, { Router, type Response } from 'express';
import type { SandboxContext } from './context.ts';

export interface SandboxOAuthOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Refresh tokens valid from the start (e.g. one a test stored as if installed before). */
  readonly refreshTokens?: readonly string[];
}

export type ScriptedTokenAnswer =
  | { readonly status: 429; readonly retryAfter?: string }
  | { readonly status: 500 | 502 | 503 | 504 }
  | { readonly status: 'drop' };

export interface SandboxOAuth {
  /** An authorization code for the next install (single use). */
  issueCode(): string;
  /** The app was uninstalled from the portal: its refresh tokens stop working. */
  revoke(refreshToken: string): void;
  /** Answers for the next token requests, in order, before the normal ones. */
  failNext(...answers: ScriptedTokenAnswer[]): void;
  /** Token requests received (grant types, in order). */
  readonly requests: string[];
}

const random = (): string => randomBytes(12).toString('hex');

function refuse(res: Response, error: string, description: string, extra: Record<string, string> = {}): void {
  res.status(400).json({ error, error_description: description, ...extra });
}

export function oauthRoutes(
  context: SandboxContext,
  options: SandboxOAuthOptions,
): { router: Router; oauth: SandboxOAuth } {
  const codes = new Set<string>();
  const refreshTokens = new Set(options.refreshTokens ?? []);
  const script: ScriptedTokenAnswer[] = [];
  const requests: string[] = [];
  const router = Router();
  router.post(['/oauth/2026-03/token', '/oauth/v3/token'], express.urlencoded({ extended: false }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (name: string): string => (typeof body[name] === 'string' ? body[name] : '');
    requests.push(field('grant_type'));
    const scripted = script.shift();
    if (scripted !== undefined) {
      if (scripted.status === 'drop') {
        req.socket.destroy();
        return;
      }
      if (scripted.status === 429) {
        if (scripted.retryAfter !== undefined) res.setHeader('Retry-After', scripted.retryAfter);
        res
          .status(429)
          .json({ status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' });
        return;
      }
      res.status(scripted.status).json({ status: 'error', message: 'internal error', category: 'INTERNAL_ERROR' });
      return;
    }
    if (field('client_id') !== options.clientId || field('client_secret') !== options.clientSecret) {
      refuse(res, 'invalid_client', 'client authentication failed');
      return;
    }
    const grant = field('grant_type');
    let refreshToken: string;
    if (grant === 'authorization_code') {
      if (!codes.delete(field('code'))) {
        refuse(res, 'invalid_grant', 'authorization code is invalid, expired or already used');
        return;
      }
      refreshToken = random();
      refreshTokens.add(refreshToken);
    } else if (grant === 'refresh_token') {
      refreshToken = field('refresh_token');
      if (!refreshTokens.has(refreshToken)) {
        refuse(res, 'invalid_grant', 'refresh token is invalid, expired or revoked', {
          status: 'BAD_REFRESH_TOKEN',
          message: 'missing or invalid refresh token',
        });
        return;
      }
    } else {
      refuse(res, 'unsupported_grant_type', `grant_type ${grant || '(none)'} is not supported`);
      return;
    }
    res.json({
      token_type: 'bearer',
      access_token: context.token ?? random(),
      refresh_token: refreshToken,
      expires_in: 1800,
      hub_id: context.portal.portalId,
      user_id: 1,
      scopes: context.scopes,
      token_use: 'access_token',
    });
  });
  const oauth: SandboxOAuth = {
    issueCode: () => {
      const code = random();
      codes.add(code);
      return code;
    },
    revoke: (token) => {
      refreshTokens.delete(token);
    },
    failNext: (...answers) => {
      script.push(...answers);
    },
    requests,
  };
  return { router, oauth };
}
