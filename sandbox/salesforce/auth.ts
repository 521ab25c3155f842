/**
 * OAuth for the fake org: opaque access tokens and refresh tokens grouped in families (one per
 * authorization), refresh-token rotation with Salesforce's reuse detection (presenting a consumed
 * refresh token revokes the whole family), the authorization-code grant with PKCE for tokens
 * issued by `issueCode`, `userinfo`, the identity URL and revoke. With `jwtAccessTokens` on, access
 * tokens are JWT-shaped (header.payload.signature), as an External Client App with "Issue JSON Web
 * Token (JWT)-based access tokens" issues them; the Metadata SOAP API takes them only from API 68.0.
 *
 * What it models, and from where:
 * - rotation: each refresh hands out a new refresh token and invalidates the one presented
 *   (help.salesforce.com "OAuth 2.0 Refresh Token Flow for Renewed Sessions",
 *   remoteaccess_oauth_refresh_token_flow.htm); an invalidated one presented again is taken as
 *   theft and revokes the family: every access and refresh token of that authorization (article
 *   005316711, "Refresh Token Rotation");
 * - a refused grant is 400 `{"error":"invalid_grant","error_description":"expired access/refresh
 *   token"}` (the OAuth token endpoint's error body); a dead access token is 401
 *   `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]` on REST, but
 *   403 `Bad_OAuth_Token` on `/services/oauth2/userinfo` and the identity URL, which jsforce does
 *   not refresh on (it refreshes only on a 401: jsforce `src/http-api.ts` `isSessionExpired`;
 *   SalesforceMobileSDK-Android PR #2430, SalesforceMobileSDK-iOS issue #3398);
 * - access tokens die with the session timeout (`sessionTimeoutMs` after they were issued) or all
 *   at once (`expireAccessTokens`); refresh tokens outlive them.
 */
import { createHash, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { INVALID_SESSION } from './errors.ts';
import type { Org } from './model.ts';

interface AccessToken {
  readonly userId: string;
  readonly family: number;
  readonly issuedAt: number;
}

interface RefreshToken {
  readonly userId: string;
  readonly family: number;
  consumed: boolean;
}

interface AuthCode {
  readonly userId: string;
  readonly codeChallenge: string | undefined;
  readonly redirectUri: string | undefined;
}

export interface IssuedTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

export interface CodeOptions {
  readonly userId?: string;
  /** base64url(sha256(verifier)); when set, the token request must carry the matching code_verifier. */
  readonly codeChallenge?: string;
  readonly redirectUri?: string;
}

/** Whether a token is JWT-shaped: three dot-separated base64url parts, the first a JSON object. */
export function isJwtShaped(token: string): boolean {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) return false;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

export interface TokenControls {
  /** Issue JWT-based access tokens from now on (default false: opaque `00D…!…` ones). */
  jwtAccessTokens: boolean;
  /** New access + refresh tokens (a new family) for a user (default: the integration user). */
  issue(userId?: string): IssuedTokens;
  /** Every access token stops working (as after a session timeout); refresh tokens still work. */
  expireAccessTokens(): void;
  /** A one-time authorization code for `grant_type=authorization_code`. */
  issueCode(options?: CodeOptions): string;
  /** Revokes a refresh token's whole family. */
  revoke(token: string): void;
}

export interface AuthOptions {
  readonly org: Org;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly rotateRefreshTokens: boolean;
  readonly now: () => number;
}

function opaque(prefix: string): string {
  return `${prefix}!${randomBytes(24).toString('base64url')}`;
}

export interface TokenStoreOptions {
  readonly now?: () => number;
  /** Access tokens stop working this long after they were issued (default: only when expired by hand). */
  readonly sessionTimeoutMs?: number | undefined;
}

export class TokenStore implements TokenControls {
  readonly #org: Org;
  readonly #now: () => number;
  readonly #sessionTimeoutMs: number | undefined;
  readonly #access = new Map<string, AccessToken>();
  readonly #refresh = new Map<string, RefreshToken>();
  readonly #codes = new Map<string, AuthCode>();
  readonly #revokedFamilies = new Set<number>();
  #families = 0;
  jwtAccessTokens = false;

  constructor(org: Org, options: TokenStoreOptions = {}) {
    this.#org = org;
    this.#now = options.now ?? Date.now;
    this.#sessionTimeoutMs = options.sessionTimeoutMs;
  }

  #accessFor(userId: string, family: number): string {
    const token = this.jwtAccessTokens ? this.#jwt(userId) : opaque(this.#org.organizationId);
    this.#access.set(token, { userId, family, issuedAt: this.#now() });
    return token;
  }

  #jwt(userId: string): string {
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = part({ alg: 'RS256', typ: 'JWT', kid: 'sandbox' });
    const payload = part({ sub: userId, org: this.#org.organizationId, jti: randomBytes(8).toString('hex') });
    return `${header}.${payload}.${randomBytes(32).toString('base64url')}`;
  }

  #refreshFor(userId: string, family: number): string {
    const token = opaque('5Aep861');
    this.#refresh.set(token, { userId, family, consumed: false });
    return token;
  }

  issue(userId = this.#org.integrationUserId): IssuedTokens {
    const family = ++this.#families;
    return { accessToken: this.#accessFor(userId, family), refreshToken: this.#refreshFor(userId, family) };
  }

  expireAccessTokens(): void {
    this.#access.clear();
  }

  issueCode(options: CodeOptions = {}): string {
    const code = opaque('aPrx');
    this.#codes.set(code, {
      userId: options.userId ?? this.#org.integrationUserId,
      codeChallenge: options.codeChallenge,
      redirectUri: options.redirectUri,
    });
    return code;
  }

  revoke(token: string): void {
    const family = this.#refresh.get(token)?.family ?? this.#access.get(token)?.family;
    if (family !== undefined) this.#revokeFamily(family);
  }

  #revokeFamily(family: number): void {
    this.#revokedFamilies.add(family);
    for (const [token, entry] of this.#access) if (entry.family === family) this.#access.delete(token);
  }

  /** The user an access token belongs to, or undefined. */
  userOf(accessToken: string): string | undefined {
    const entry = this.#access.get(accessToken);
    if (entry === undefined) return undefined;
    if (this.#sessionTimeoutMs !== undefined && this.#now() - entry.issuedAt >= this.#sessionTimeoutMs) {
      this.#access.delete(accessToken);
      return undefined;
    }
    return entry.userId;
  }

  /** Refresh grant: a new access token (and a rotated refresh token when `rotate`), or undefined. */
  refresh(
    refreshToken: string,
    rotate: boolean,
  ): { userId: string; accessToken: string; refreshToken?: string } | undefined {
    const entry = this.#refresh.get(refreshToken);
    if (entry === undefined || this.#revokedFamilies.has(entry.family)) return undefined;
    if (entry.consumed) {
      // Reuse of a rotated-out token: Salesforce treats it as theft and revokes the family.
      this.#revokeFamily(entry.family);
      return undefined;
    }
    const accessToken = this.#accessFor(entry.userId, entry.family);
    if (!rotate) return { userId: entry.userId, accessToken };
    entry.consumed = true;
    return { userId: entry.userId, accessToken, refreshToken: this.#refreshFor(entry.userId, entry.family) };
  }

  /** Authorization-code grant; undefined when the code, verifier or redirect URI doesn't match. */
  exchangeCode(
    code: string,
    verifier: string | undefined,
    redirectUri: string | undefined,
  ): (IssuedTokens & { userId: string }) | undefined {
    const entry = this.#codes.get(code);
    if (entry === undefined) return undefined;
    this.#codes.delete(code);
    if (entry.redirectUri !== undefined && entry.redirectUri !== redirectUri) return undefined;
    if (entry.codeChallenge !== undefined) {
      if (verifier === undefined) return undefined;
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (challenge !== entry.codeChallenge) return undefined;
    }
    return { userId: entry.userId, ...this.issue(entry.userId) };
  }
}

export function baseUrlOf(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

function bearer(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return match?.[1];
}

/** 401 INVALID_SESSION_ID unless the request carries a live access token; sets `res.locals.userId`. */
export function bearerAuth(tokens: TokenStore): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const token = bearer(req);
    const userId = token === undefined ? undefined : tokens.userOf(token);
    if (userId === undefined) {
      res.status(401).json([{ message: INVALID_SESSION, errorCode: 'INVALID_SESSION_ID' }]);
      return;
    }
    res.locals['userId'] = userId;
    next();
  };
}

function identity(org: Org, userId: string, base: string): Record<string, unknown> {
  const user = org.get('User', userId)?.values ?? {};
  const id = `${base}/id/${org.organizationId}/${userId}`;
  return {
    sub: id,
    id,
    user_id: userId,
    organization_id: org.organizationId,
    preferred_username: user['Username'],
    username: user['Username'],
    nickname: user['FirstName'],
    name: user['Name'],
    display_name: user['Name'],
    given_name: user['FirstName'],
    family_name: user['LastName'],
    email: user['Email'],
    email_verified: true,
    zoneinfo: 'Europe/London',
    locale: 'en_GB',
    language: 'en_US',
    user_type: 'STANDARD',
    active: true,
    is_app_installed: true,
    urls: {
      rest: `${base}/services/data/v{version}/`,
      metadata: `${base}/services/Soap/m/{version}/${org.organizationId}`,
    },
  };
}

export function authRoutes(options: AuthOptions, tokens: TokenStore): Router {
  const { org } = options;
  const router = express.Router();
  const form = express.urlencoded({ extended: false });

  const tokenError = (res: Response, error: string, description: string): void => {
    res.status(400).json({ error, error_description: description });
  };

  router.post('/services/oauth2/token', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const param = (name: string): string | undefined => (typeof body[name] === 'string' ? body[name] : undefined);
    if (options.clientId !== undefined && param('client_id') !== options.clientId) {
      tokenError(res, 'invalid_client_id', 'client identifier invalid');
      return;
    }
    if (options.clientSecret !== undefined && param('client_secret') !== options.clientSecret) {
      tokenError(res, 'invalid_client', 'invalid client credentials');
      return;
    }
    const base = baseUrlOf(req);
    const respond = (userId: string, accessToken: string, refreshToken: string | undefined): void => {
      const issuedAt = String(options.now());
      res.json({
        access_token: accessToken,
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
        signature: createHash('sha256').update(`${accessToken}${issuedAt}`).digest('base64'),
        scope: 'refresh_token api',
        instance_url: base,
        id: `${base}/id/${org.organizationId}/${userId}`,
        token_type: 'Bearer',
        issued_at: issuedAt,
      });
    };
    const grant = param('grant_type');
    if (grant === 'refresh_token') {
      const refreshed = tokens.refresh(param('refresh_token') ?? '', options.rotateRefreshTokens);
      if (refreshed === undefined) {
        tokenError(res, 'invalid_grant', 'expired access/refresh token');
        return;
      }
      respond(refreshed.userId, refreshed.accessToken, refreshed.refreshToken);
      return;
    }
    if (grant === 'authorization_code') {
      const issued = tokens.exchangeCode(param('code') ?? '', param('code_verifier'), param('redirect_uri'));
      if (issued === undefined) {
        tokenError(res, 'invalid_grant', 'invalid authorization code');
        return;
      }
      respond(issued.userId, issued.accessToken, issued.refreshToken);
      return;
    }
    tokenError(res, 'unsupported_grant_type', 'grant type not supported');
  });

  router.post('/services/oauth2/revoke', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = typeof body['token'] === 'string' ? body['token'] : '';
    tokens.revoke(token);
    res.status(200).end();
  });

  const whoAmI = (req: Request, res: Response): void => {
    const queryToken = typeof req.query['oauth_token'] === 'string' ? req.query['oauth_token'] : undefined;
    const token = bearer(req) ?? queryToken;
    const userId = token === undefined ? undefined : tokens.userOf(token);
    if (userId === undefined) {
      res.status(403).type('text/plain').send('Bad_OAuth_Token');
      return;
    }
    res.json(identity(org, userId, baseUrlOf(req)));
  };
  router.get('/services/oauth2/userinfo', whoAmI);
  router.get('/id/:orgId/:userId', whoAmI);
  return router;
}
