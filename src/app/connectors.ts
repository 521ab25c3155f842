/**
 * The connectors the CLI, the server and the jobs use, built from credentials.
 *
 * The CLI (`connectorFromEnv`): HubSpot from HUBSPOT_ACCESS_TOKEN (HUBSPOT_BASE_URL points at
 * another host such as the local sandbox); Salesforce from the SF_* variables, its newest rotated
 * tokens kept sealed in the store.
 *
 * The server and the jobs (`Credentials`): each installation's CRM tokens, sealed (AES-256-GCM) in the store, and the connectors built
 * from them. HubSpot access tokens live 30 minutes: one is refreshed when it has less than
 * `refreshMarginMs` left (more than a sync's time budget), one refresh at a time per installation;
 * a refresh HubSpot refuses (`invalid_grant` / `BAD_REFRESH_TOKEN`: the app was uninstalled from
 * the portal, reference §5.1) uninstalls it here too — its tokens are dropped and its data
 * forgotten (`Store.forgetInstallation`; what is kept, and for how long: src/store/erase.ts) —
 * without touching the others; installing again starts it afresh. Any other failure (HubSpot's
 * token endpoint down or rate-limiting after the retries, or our own client credentials refused)
 * fails this run only, and the installation stays active for the next.
 * Salesforce sessions are renewed on a 401 through one owner of the installation's tokens
 * (connectors/salesforce/token-owner.ts: one refresh at a time per installation, in this process and across processes
 * over the same store, the rotated refresh token saved before the new access token is used); a
 * refused Salesforce refresh marks the installation "needs reconnect".
 */
import { dirname } from 'node:path';
import { LRUCache } from 'lru-cache';
import { createHubSpotConnector, hubSpotOptionsFromEnv } from '../../connectors/hubspot/index.ts';
import {
  createSalesforceConnector,
  SalesforceConfigError,
  salesforceOptionsFromEnv,
} from '../../connectors/salesforce/index.ts';
import type { ServerConfig } from './config.ts';
import { fingerprint, seal, secretKey, unseal } from '../store/secrets.ts';
import type { Crm, Installation, Store } from '../store/store.ts';
import type { Connector } from '../sync/connector.ts';
import { OAuthGrantError, refreshHubSpotToken, type TokenRetryOptions } from '../../connectors/hubspot/oauth.ts';
import { refreshSalesforceToken } from '../../connectors/salesforce/oauth.ts';
import { SalesforceTokenOwner } from '../../connectors/salesforce/token-owner.ts';
import type { RawEnv } from './env.ts';
import { InputError, NeedsReconnectError } from './errors.ts';

export { NeedsReconnectError };

export type StoredTokens =
  | {
      readonly crm: 'hubspot';
      readonly accessToken: string;
      readonly refreshToken: string;
      readonly expiresAt: number;
      readonly scopes: readonly string[];
    }
  | {
      readonly crm: 'salesforce';
      readonly accessToken: string;
      readonly refreshToken: string | undefined;
      readonly instanceUrl: string;
    };

export interface CredentialsOptions {
  readonly store: Store;
  readonly key: Buffer;
  readonly config: ServerConfig;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Refresh a HubSpot token with less than this left (default 15 minutes). */
  readonly refreshMarginMs?: number;
  /** After a portal was found uninstalled and forgotten: e.g. stop its schedules. */
  readonly onUninstalled?: (installation: Installation) => void;
  /** Retries of HubSpot's token endpoint (defaults in connectors/hubspot/oauth.ts). */
  readonly tokenRetry?: TokenRetryOptions;
  /** How long one process may hold an installation's Salesforce refresh lease (default 60 s). */
  readonly refreshLeaseTtlMs?: number;
}

const secretName = (installationId: string): string => `installation.${installationId}.tokens`;

/** HubSpot connectors kept between runs (the most recently used ones; see `connectorFor`). */
export const KEPT_CONNECTORS = 256;

export class Credentials {
  readonly #options: CredentialsOptions;
  readonly #refreshing = new Map<string, Promise<string>>();
  /** By installation: the HubSpot connector of its current access token (`connectorFor`). */
  readonly #hubspot = new LRUCache<string, { readonly accessToken: string; readonly connector: Connector }>({
    max: KEPT_CONNECTORS,
  });
  /** By installation: its sealed tokens as last read, opened (`load`). */
  readonly #opened = new LRUCache<string, { readonly sealed: string; readonly tokens: StoredTokens }>({
    max: KEPT_CONNECTORS,
  });
  /** Renews every Salesforce session of this process (see connectors/salesforce/token-owner.ts). */
  readonly salesforceTokens: SalesforceTokenOwner;

  constructor(options: CredentialsOptions) {
    this.#options = options;
    this.salesforceTokens = new SalesforceTokenOwner({
      store: options.store,
      load: async (installationId) => {
        const tokens = await this.load(installationId);
        return tokens?.crm === 'salesforce' ? tokens : undefined;
      },
      save: (installationId, tokens) => this.save(installationId, { crm: 'salesforce', ...tokens }),
      exchange: (refreshToken) => refreshSalesforceToken(options.config, refreshToken, options.fetch),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.refreshLeaseTtlMs === undefined ? {} : { leaseTtlMs: options.refreshLeaseTtlMs }),
    });
  }

  async save(installationId: string, tokens: StoredTokens): Promise<void> {
    const { store, key } = this.#options;
    await store.putSecret(secretName(installationId), seal(key, JSON.stringify(tokens)), this.#now());
  }

  /**
   * The installation's tokens, read from the store every time (another process may have refreshed
   * them); opening them (AES-GCM, JSON) is skipped when the sealed text is the one last opened.
   */
  async load(installationId: string): Promise<StoredTokens | undefined> {
    const sealed = await this.#options.store.getSecret(secretName(installationId));
    if (sealed === undefined) {
      this.#opened.delete(installationId);
      return undefined;
    }
    const known = this.#opened.get(installationId);
    if (known?.sealed === sealed) return known.tokens;
    const tokens = JSON.parse(unseal(this.#options.key, sealed)) as StoredTokens;
    this.#opened.set(installationId, { sealed, tokens });
    return tokens;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** A HubSpot access token good for at least the refresh margin. */
  async hubspotAccessToken(installation: Installation): Promise<string> {
    const tokens = await this.load(installation.id);
    if (tokens?.crm !== 'hubspot')
      throw new NeedsReconnectError(`no HubSpot tokens for installation ${installation.id}`);
    const margin = this.#options.refreshMarginMs ?? 15 * 60_000;
    if (tokens.expiresAt - this.#now() > margin) return tokens.accessToken;
    let pending = this.#refreshing.get(installation.id);
    if (pending === undefined) {
      pending = this.#refreshHubSpot(installation, tokens.refreshToken, tokens.scopes).finally(() => {
        this.#refreshing.delete(installation.id);
      });
      this.#refreshing.set(installation.id, pending);
    }
    return pending;
  }

  async #refreshHubSpot(installation: Installation, refreshToken: string, scopes: readonly string[]): Promise<string> {
    try {
      const fresh = await refreshHubSpotToken(
        this.#options.config,
        refreshToken,
        this.#options.fetch,
        this.#now(),
        this.#options.tokenRetry,
      );
      await this.save(installation.id, {
        crm: 'hubspot',
        accessToken: fresh.accessToken,
        refreshToken: fresh.refreshToken,
        expiresAt: fresh.expiresAt,
        scopes: fresh.scopes.length > 0 ? fresh.scopes : scopes,
      });
      return fresh.accessToken;
    } catch (error) {
      if (error instanceof OAuthGrantError) {
        await this.uninstalled(installation);
        throw new NeedsReconnectError(
          `HubSpot portal ${installation.externalId} uninstalled RightTouch (the refresh token was refused: ${error.message}); installing again reconnects it`,
        );
      }
      throw error;
    }
  }

  /** The app is gone from the account: drop its tokens, forget its data, tell the owner. */
  async uninstalled(installation: Installation): Promise<void> {
    this.#hubspot.delete(installation.id);
    this.#opened.delete(installation.id);
    await this.#options.store.deleteSecret(secretName(installation.id));
    await this.#options.store.forgetInstallation(installation.id, this.#now());
    this.#options.onUninstalled?.(installation);
  }

  async connectorFor(installation: Installation): Promise<Connector> {
    if (installation.status !== 'active') {
      throw new NeedsReconnectError(
        `installation ${installation.id} ${installation.status === 'uninstalled' ? 'was uninstalled' : 'needs to be reconnected'}`,
      );
    }
    const { config } = this.#options;
    if (installation.crm === 'hubspot') {
      // One connector per access token, kept between runs: a new SDK client and rate limiters
      // every run cost a worker more CPU than a small portal's reads, and HubSpot's rate limits
      // are the portal's (reference §4.1), so its limiter state may as well span its runs. A new
      // token (refreshed, or installed again) gets a new connector.
      const accessToken = await this.hubspotAccessToken(installation);
      const kept = this.#hubspot.get(installation.id);
      if (kept?.accessToken === accessToken) return kept.connector;
      const connector = createHubSpotConnector({ accessToken, baseUrl: config.hubspot.apiUrl });
      this.#hubspot.set(installation.id, { accessToken, connector });
      return connector;
    }
    const tokens = await this.load(installation.id);
    if (tokens?.crm !== 'salesforce')
      throw new NeedsReconnectError(`no Salesforce tokens for installation ${installation.id}`);
    return createSalesforceConnector({
      instanceUrl: tokens.instanceUrl,
      accessToken: tokens.accessToken,
      renewSession: (refused) => this.renewSalesforceSession(installation, refused),
      changeEvents: config.salesforce.changeEvents,
    });
  }

  /** A new access token for the one the org refused, through the installation's one token owner. */
  async renewSalesforceSession(installation: Installation, refused: string): Promise<string> {
    try {
      return (await this.salesforceTokens.replace(installation.id, refused)).accessToken;
    } catch (error) {
      if (error instanceof OAuthGrantError) {
        await this.#options.store.setInstallationStatus(installation.id, 'needs_reconnect', error.message);
        throw new NeedsReconnectError(
          `Salesforce org ${installation.externalId} needs to be reconnected: ${error.message}`,
        );
      }
      throw error;
    }
  }
}

/** The CLI's connector for a CRM, from the environment (tests inject their own). */
export async function connectorFromEnv(crm: Crm, env: RawEnv, store: Store, dataFile: string): Promise<Connector> {
  if (crm === 'salesforce') return salesforceFromEnv(env, store, dataFile);
  if ((env['HUBSPOT_ACCESS_TOKEN'] ?? '').trim() === '') {
    throw new InputError('HUBSPOT_ACCESS_TOKEN is not set: create a private app in HubSpot and export its token');
  }
  return createHubSpotConnector(hubSpotOptionsFromEnv(env));
}

/**
 * The Salesforce connector from SF_* variables. Salesforce may rotate the refresh token on every
 * refresh (and revokes the whole family when a consumed one is replayed), so the newest tokens are
 * kept in the store, sealed, under a fingerprint of the configured refresh token, and used instead.
 * (Two processes refreshing the same org at the same moment could still race: the per-installation
 * lease of the scheduler is what serializes runs.)
 */
async function salesforceFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  store: Store,
  dataFile: string,
): Promise<Connector> {
  let options;
  try {
    options = salesforceOptionsFromEnv(env);
  } catch (error) {
    if (error instanceof SalesforceConfigError) throw new InputError(error.message);
    throw error;
  }
  const configured = options.refreshToken;
  if (configured === undefined) return createSalesforceConnector(options);
  const key = secretKey(env, dirname(dataFile));
  const name = `salesforce.tokens.${fingerprint(configured)}`;
  const sealed = await store.getSecret(name);
  // The newest tokens: the refresh token (rotated) and the access token it last gave, so that the
  // next run does not refresh at all while the session lasts.
  const saved = sealed === undefined ? undefined : (JSON.parse(unseal(key, sealed)) as SavedTokens);
  return createSalesforceConnector({
    ...options,
    accessToken: saved?.accessToken ?? options.accessToken,
    refreshToken: saved?.refreshToken ?? configured,
    onTokens: async ({ accessToken, refreshToken }) => {
      const tokens: SavedTokens = { accessToken, refreshToken: refreshToken ?? saved?.refreshToken ?? configured };
      await store.putSecret(name, seal(key, JSON.stringify(tokens)), Date.now());
    },
  });
}

interface SavedTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}
