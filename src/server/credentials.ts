/**
 * Each installation's CRM tokens, sealed (AES-256-GCM) in the store, and the connectors built
 * from them. HubSpot access tokens live 30 minutes: one is refreshed when it has less than
 * `refreshMarginMs` left (more than a sync's time budget), one refresh at a time per installation;
 * a refused refresh marks the installation "needs reconnect" without touching the others.
 * Salesforce tokens are refreshed by jsforce on a 401; the rotated refresh token is saved here.
 */
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import { seal, unseal } from '../store/secrets.ts';
import type { Installation, Store } from '../store/store.ts';
import type { Connector } from '../sync/connector.ts';
import type { ServerConfig } from './config.ts';
import { OAuthGrantError, refreshHubSpotToken } from './hubspot-oauth.ts';

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

export class NeedsReconnectError extends Error {
  override name = 'NeedsReconnectError';
}

export interface CredentialsOptions {
  readonly store: Store;
  readonly key: Buffer;
  readonly config: ServerConfig;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Refresh a HubSpot token with less than this left (default 15 minutes). */
  readonly refreshMarginMs?: number;
}

const secretName = (installationId: string): string => `installation.${installationId}.tokens`;

export class Credentials {
  readonly #options: CredentialsOptions;
  readonly #refreshing = new Map<string, Promise<string>>();

  constructor(options: CredentialsOptions) {
    this.#options = options;
  }

  async save(installationId: string, tokens: StoredTokens): Promise<void> {
    const { store, key } = this.#options;
    await store.putSecret(secretName(installationId), seal(key, JSON.stringify(tokens)), this.#now());
  }

  async load(installationId: string): Promise<StoredTokens | undefined> {
    const sealed = await this.#options.store.getSecret(secretName(installationId));
    return sealed === undefined ? undefined : (JSON.parse(unseal(this.#options.key, sealed)) as StoredTokens);
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
      const fresh = await refreshHubSpotToken(this.#options.config, refreshToken, this.#options.fetch, this.#now());
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
        await this.#options.store.setInstallationStatus(installation.id, 'needs_reconnect', error.message);
        throw new NeedsReconnectError(
          `HubSpot portal ${installation.externalId} needs to be reconnected: ${error.message}`,
        );
      }
      throw error;
    }
  }

  async connectorFor(installation: Installation): Promise<Connector> {
    if (installation.status === 'needs_reconnect') {
      throw new NeedsReconnectError(`installation ${installation.id} needs to be reconnected`);
    }
    const { config } = this.#options;
    if (installation.crm === 'hubspot') {
      const accessToken = await this.hubspotAccessToken(installation);
      return createHubSpotConnector({ accessToken, baseUrl: config.hubspot.apiUrl });
    }
    const tokens = await this.load(installation.id);
    if (tokens?.crm !== 'salesforce')
      throw new NeedsReconnectError(`no Salesforce tokens for installation ${installation.id}`);
    return createSalesforceConnector({
      instanceUrl: tokens.instanceUrl,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      clientId: config.salesforce.clientId,
      clientSecret: config.salesforce.clientSecret,
      loginUrl: config.salesforce.loginUrl,
      changeEvents: config.salesforce.changeEvents,
      onTokens: async ({ accessToken, refreshToken }) => {
        await this.save(installation.id, {
          crm: 'salesforce',
          accessToken,
          refreshToken: refreshToken ?? tokens.refreshToken,
          instanceUrl: tokens.instanceUrl,
        });
      },
    });
  }
}
