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
 * - a code used with another `redirect_uri` than the authorize step's: 400 `invalid_grant` (RFC 6749
 *   §4.1.3: the two must be identical).
 * `failNext` scripts the unpleasant answers ahead of those: a 429 with or without Retry-After, a
 * 5xx, or a dropped connection.
 *
 * Every code and refresh token belongs to one portal (HubSpot: the account the installing user chose
 * on the authorize page; the token answer's `hub_id`). The single-portal sandbox has one, and
 * answers its configured access token; the host of many portals (host.ts) passes a `GrantTarget`
 * that issues a new access token per grant, which then selects the portal on every API call.
 */
import { randomBytes } from 'node:crypto';
import express, { Router, type Response } from 'express';
import type { SandboxContext } from './context.ts';

export interface SandboxOAuthOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Refresh tokens valid from the start (e.g. one a test stored as if installed before), for the default portal. */
  readonly refreshTokens?: readonly string[];
  /** The app's redirect URLs (routes-authorize.ts refuses others); default: any. */
  readonly redirectUris?: readonly string[];
  /** The app's required scopes (routes-authorize.ts refuses an authorize URL asking for others); default: any. */
  readonly requiredScopes?: readonly string[];
}

/** What one grant is for: the portal the user chose and the scopes it granted. */
export interface Grant {
  readonly portalId: number;
  readonly scopes: readonly string[];
}

/** Where the token endpoint's grants go: the portal codes are for by default, and the access tokens. */
export interface GrantTarget {
  /** The portal `issueCode()` and `refreshTokens` are for when none is named (the single-portal sandbox's). */
  readonly defaultPortalId: number | undefined;
  /** The scopes of a grant that names none. */
  readonly scopes: readonly string[];
  /** An access token for this grant, valid for `expiresInS` seconds. */
  accessToken(grant: Grant, expiresInS: number): string;
}

/** HubSpot's access tokens live 30 minutes (reference §5.1). */
export const ACCESS_TOKEN_SECONDS = 1800;

export type ScriptedTokenAnswer =
  | { readonly status: 429; readonly retryAfter?: string }
  | { readonly status: 500 | 502 | 503 | 504 }
  | { readonly status: 'drop' };

export interface SandboxOAuth {
  /**
   * An authorization code for the next install (single use), for this portal (default: the
   * sandbox's), with these scopes (default: all), to be used with this redirect URI (default: any).
   */
  issueCode(portalId?: number, scopes?: readonly string[], redirectUri?: string): string;
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

/** The single-portal sandbox's grants: its portal, its scopes, its configured token (else a random one). */
export function portalGrants(context: SandboxContext): GrantTarget {
  return {
    defaultPortalId: context.portal.portalId,
    scopes: context.scopes,
    accessToken: () => context.token ?? random(),
  };
}

interface IssuedCode extends Grant {
  readonly redirectUri: string | undefined;
}

export function oauthRoutes(
  target: GrantTarget,
  options: SandboxOAuthOptions,
): { router: Router; oauth: SandboxOAuth } {
  const codes = new Map<string, IssuedCode>();
  const defaultGrant = (): Grant => {
    if (target.defaultPortalId === undefined) throw new Error('this sandbox hosts many portals: name the portal');
    return { portalId: target.defaultPortalId, scopes: target.scopes };
  };
  const refreshTokens = new Map<string, Grant>((options.refreshTokens ?? []).map((token) => [token, defaultGrant()]));
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
    const grantType = field('grant_type');
    let refreshToken: string;
    let grant: Grant | undefined;
    if (grantType === 'authorization_code') {
      const issued = codes.get(field('code'));
      codes.delete(field('code'));
      if (issued === undefined) {
        refuse(res, 'invalid_grant', 'authorization code is invalid, expired or already used');
        return;
      }
      if (issued.redirectUri !== undefined && issued.redirectUri !== field('redirect_uri')) {
        refuse(res, 'invalid_grant', 'redirect_uri does not match the one of the authorization request');
        return;
      }
      grant = { portalId: issued.portalId, scopes: issued.scopes };
      refreshToken = random();
      refreshTokens.set(refreshToken, grant);
    } else if (grantType === 'refresh_token') {
      refreshToken = field('refresh_token');
      grant = refreshTokens.get(refreshToken);
      if (grant === undefined) {
        refuse(res, 'invalid_grant', 'refresh token is invalid, expired or revoked', {
          status: 'BAD_REFRESH_TOKEN',
          message: 'missing or invalid refresh token',
        });
        return;
      }
    } else {
      refuse(res, 'unsupported_grant_type', `grant_type ${grantType || '(none)'} is not supported`);
      return;
    }
    res.json({
      token_type: 'bearer',
      access_token: target.accessToken(grant, ACCESS_TOKEN_SECONDS),
      refresh_token: refreshToken,
      expires_in: ACCESS_TOKEN_SECONDS,
      hub_id: grant.portalId,
      user_id: 1,
      scopes: grant.scopes,
      token_use: 'access_token',
    });
  });
  const oauth: SandboxOAuth = {
    issueCode: (portalId, scopes, redirectUri) => {
      const code = random();
      const fallback = portalId === undefined ? defaultGrant() : undefined;
      codes.set(code, {
        portalId: portalId ?? fallback?.portalId ?? 0,
        scopes: scopes ?? target.scopes,
        redirectUri,
      });
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
