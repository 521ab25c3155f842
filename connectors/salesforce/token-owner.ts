/**
 * The one owner of each Salesforce installation's tokens. With refresh-token rotation on (required
 * for partner apps), every refresh hands out a new refresh token and retires the old one, and an
 * exchanged refresh token presented again makes Salesforce revoke the whole family: every access
 * and refresh token of the authorization answers `invalid_grant` / `INVALID_SESSION_ID` from then
 * on (help.salesforce.com article 005316711, "Refresh Token Rotation"). So no connection refreshes
 * on its own: the jsforce connections of an installation (one per `connectorFor`, the long-lived
 * Change Data Capture one, in every `serve` process over the same store) all ask the owner for a
 * new access token when the org refuses theirs (jsforce's `refreshFn`, see
 * connectors/salesforce/context.ts), and the owner
 *
 * - keeps one refresh in flight per installation in this process; the connections that ask
 *   meanwhile wait for it (single-flight);
 * - across processes, refreshes only under the installation's lease in the store
 *   (`acquireLease`, one atomic statement on both stores). Before and after taking it, it re-reads
 *   the sealed tokens: when the stored access token is no longer the one that was refused, another
 *   process (or an earlier refresh here) has rotated already, and that token is used instead of
 *   refreshing again. A process that finds the lease taken polls the store until the holder's new
 *   token is there, or the lease expires (its holder died) and it may take it;
 * - saves the new refresh and access token before handing the access token out (and before the
 *   lease is released), so no one ever holds an access token whose refresh token was not kept.
 *
 * A refresh refused with `invalid_grant` is passed on as the OAuthGrantError it is (the caller
 * marks the installation "needs reconnect").
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Store } from '../../src/store/store.ts';
import type { SalesforceRefreshed } from './oauth.ts';

export interface SalesforceTokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly instanceUrl: string;
}

export interface TokenOwnerOptions {
  readonly store: Store;
  /** The installation's stored (unsealed) tokens, read fresh from the store. */
  readonly load: (installationId: string) => Promise<SalesforceTokenSet | undefined>;
  /** Seals and stores the installation's tokens. */
  readonly save: (installationId: string, tokens: SalesforceTokenSet) => Promise<void>;
  /** Exchanges a refresh token at Salesforce's token endpoint (once). */
  readonly exchange: (refreshToken: string) => Promise<SalesforceRefreshed>;
  /** This process in the lease table (default `hostname:pid:random`). */
  readonly holder?: string;
  /** How long the refresh lease lasts (default 60 s: twice the token call's timeout). */
  readonly leaseTtlMs?: number;
  /** How often a process waiting for another's refresh re-reads the store (default 100 ms). */
  readonly pollMs?: number;
  readonly now?: () => number;
}

/** The lease the refresh of an installation's Salesforce tokens is done under. */
export const refreshLeaseName = (installationId: string): string => `salesforce.refresh:${installationId}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SalesforceTokenOwner {
  readonly #options: TokenOwnerOptions;
  readonly #holder: string;
  readonly #inFlight = new Map<string, Promise<SalesforceTokenSet>>();
  /** Refused sessions this owner was asked to replace, and the token exchanges it made for them. */
  readonly counts = { renewals: 0, exchanges: 0 };

  constructor(options: TokenOwnerOptions) {
    this.#options = options;
    this.#holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  /**
   * Tokens with an access token other than `refused` (the one the org just refused): the stored
   * ones when another connection or process has refreshed already, else freshly refreshed ones.
   */
  async replace(installationId: string, refused: string): Promise<SalesforceTokenSet> {
    this.counts.renewals++;
    let pending = this.#inFlight.get(installationId);
    if (pending === undefined) {
      pending = this.#replace(installationId, refused).finally(() => {
        this.#inFlight.delete(installationId);
      });
      this.#inFlight.set(installationId, pending);
    }
    return pending;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  async #stored(installationId: string): Promise<SalesforceTokenSet> {
    const tokens = await this.#options.load(installationId);
    if (tokens === undefined) throw new Error(`no Salesforce tokens stored for installation ${installationId}`);
    return tokens;
  }

  async #replace(installationId: string, refused: string): Promise<SalesforceTokenSet> {
    const { store } = this.#options;
    const ttl = this.#options.leaseTtlMs ?? 60_000;
    const poll = this.#options.pollMs ?? 100;
    const lease = refreshLeaseName(installationId);
    const giveUpAt = this.#now() + 2 * ttl;
    for (;;) {
      const current = await this.#stored(installationId);
      if (current.accessToken !== refused) return current;
      if (await store.acquireLease(lease, this.#holder, ttl, this.#now())) {
        try {
          return await this.#refreshUnderLease(installationId, refused);
        } finally {
          await store.releaseLease(lease, this.#holder);
        }
      }
      if (this.#now() > giveUpAt) {
        throw new Error(`another process kept refreshing the Salesforce session of ${installationId} for too long`);
      }
      // Jittered, so that waiting processes do not all read the store at the same moment.
      await sleep(poll / 2 + Math.random() * poll);
    }
  }

  async #refreshUnderLease(installationId: string, refused: string): Promise<SalesforceTokenSet> {
    // The previous holder saved before it released: what is stored now is the latest.
    const current = await this.#stored(installationId);
    if (current.accessToken !== refused) return current;
    if (current.refreshToken === undefined) {
      throw new Error('the Salesforce session expired and no refresh token is stored: connect the org again');
    }
    this.counts.exchanges++;
    const fresh = await this.#options.exchange(current.refreshToken);
    const next: SalesforceTokenSet = {
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken ?? current.refreshToken,
      instanceUrl: fresh.instanceUrl ?? current.instanceUrl,
    };
    await this.#options.save(installationId, next);
    return next;
  }
}
