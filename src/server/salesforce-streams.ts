/**
 * One Change Data Capture stream per active Salesforce installation: a change not made by
 * RightTouch queues an incremental sync of that installation (debounced by the caller), and the
 * last replay id is kept in the store so a restart resumes where it stopped (within the 72 hours
 * Salesforce keeps events). On an auth failure the stream is rebuilt after a REST call has
 * renewed the session: the stream's long-lived connection holds no refresh token of its own, it
 * gets the new session from the installation's token owner like every other connection
 * (token-owner.ts), so it never presents a refresh token another connection already exchanged.
 * Orgs without CDC, or streams that go quiet, are covered by the scheduled sync.
 */
import type { Installation, Store } from '../store/store.ts';
import type { Connector } from '../sync/connector.ts';

export const REPLAY_CURSOR = 'cdc.replayId';

export interface StreamsOptions {
  readonly store: Store;
  readonly connectorFor: (installation: Installation) => Promise<Connector>;
  readonly onChange: (installationId: string) => void;
  readonly logger?: { warn(message: string): void; info(message: string): void };
  /** Wait before resubscribing after an auth failure (default 5 s). */
  readonly retryMs?: number;
}

export class SalesforceStreams {
  readonly #options: StreamsOptions;
  readonly #streams = new Map<string, { cancel(): void }>();
  #stopped = false;

  constructor(options: StreamsOptions) {
    this.#options = options;
  }

  /** Subscribes every active Salesforce installation not yet streaming; drops the others. */
  async refresh(): Promise<void> {
    const installations = (await this.#options.store.listInstallations()).filter(
      (i) => i.crm === 'salesforce' && i.status === 'active',
    );
    const wanted = new Set(installations.map((i) => i.id));
    for (const [id, stream] of this.#streams) {
      if (!wanted.has(id)) {
        stream.cancel();
        this.#streams.delete(id);
      }
    }
    for (const installation of installations) {
      if (!this.#streams.has(installation.id)) await this.#subscribe(installation);
    }
  }

  /** Installations with a live stream. */
  streaming(): string[] {
    return [...this.#streams.keys()];
  }

  stop(): void {
    this.#stopped = true;
    for (const stream of this.#streams.values()) stream.cancel();
    this.#streams.clear();
  }

  async #subscribe(installation: Installation): Promise<void> {
    if (this.#stopped) return;
    const { store, logger } = this.#options;
    try {
      const connector = await this.#options.connectorFor(installation);
      if (connector.subscribeChanges === undefined) return;
      const saved = await store.getCursor(installation.id, REPLAY_CURSOR);
      const stream = connector.subscribeChanges({
        replayFrom: saved === undefined ? -1 : Number(saved),
        onChange: (change) => {
          this.#options.onChange(installation.id);
          void store.setCursor(installation.id, REPLAY_CURSOR, String(change.replayId));
        },
        onAuthFailure: () => {
          this.#streams.get(installation.id)?.cancel();
          this.#streams.delete(installation.id);
          logger?.warn(`Salesforce change stream of ${installation.externalId}: session expired, resubscribing`);
          setTimeout(() => {
            void (async () => {
              // A REST call gets the 401 that renews the session before the stream is rebuilt.
              await connector.identify().catch(() => undefined);
              await this.#subscribe(installation);
            })();
          }, this.#options.retryMs ?? 5000).unref();
        },
      });
      this.#streams.set(installation.id, stream);
    } catch (error) {
      logger?.warn(
        `no change stream for Salesforce ${installation.externalId} (the scheduled sync covers it): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
