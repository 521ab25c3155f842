/**
 * One Change Data Capture stream per active Salesforce installation: a change not made by
 * RightTouch queues an incremental sync of that installation (debounced by the caller), and the
 * last replay id is kept in the store so a restart resumes where it stopped (within the 72 hours
 * Salesforce keeps events). On an auth failure the stream is rebuilt after a REST call has
 * renewed the session: the stream's long-lived connection holds no refresh token of its own, it
 * gets the new session from the installation's token owner like every other connection
 * (token-owner.ts), so it never presents a refresh token another connection already exchanged.
 *
 * Failures are surfaced, not swallowed. A stored replay id past the retention is refused on
 * subscribe: the stream resubscribes from -1 (new events), forgets the stale id, queues an
 * incremental sync to cover the gap, logs and counts it. A subscribe refused for another reason is
 * retried after `retryMs`. A stream that came back without replaying from its stored id (the
 * per-object fallback channels cannot) also queues a sync. Until a subscribe succeeds the
 * installation's failure shows in `health()` (→ `/healthz`) and in the metrics. Orgs without CDC,
 * or streams that go quiet, are covered by the scheduled sync.
 */
import type { Installation, Store } from '../../src/store/store.ts';
import type { ChangeStreamFailure, Connector } from '../../src/sync/connector.ts';

export const REPLAY_CURSOR = 'cdc.replayId';

export interface StreamHealth {
  readonly installationId: string;
  readonly externalId: string;
  readonly subscribed: boolean;
  /** The last failure since the last successful subscribe. */
  readonly failure?: { readonly kind: ChangeStreamFailure['kind']; readonly error: string; readonly at: string };
}

export interface StreamMetrics {
  recordStreamFailure(kind: ChangeStreamFailure['kind']): void;
  recordReplayReset(): void;
  setStreams(subscribed: number, failing: number): void;
}

export interface StreamsOptions {
  readonly store: Store;
  readonly connectorFor: (installation: Installation) => Promise<Connector>;
  readonly onChange: (installationId: string) => void;
  /** Changes may have been missed (replay id expired, resumed without replay): default `onChange`. */
  readonly onGap?: (installationId: string) => void;
  readonly logger?: { warn(message: string): void; info(message: string): void };
  readonly metrics?: StreamMetrics;
  /** Wait before resubscribing after an auth failure or a refused subscribe (default 5 s / 60 s). */
  readonly retryMs?: number;
  readonly now?: () => number;
}

interface Stream {
  cancel(): void;
}

export class SalesforceStreams {
  readonly #options: StreamsOptions;
  readonly #streams = new Map<string, Stream>();
  readonly #health = new Map<string, StreamHealth>();
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
        this.#health.delete(id);
      }
    }
    this.#publishGauges();
    for (const installation of installations) {
      if (!this.#streams.has(installation.id)) await this.#subscribe(installation);
    }
  }

  /** Installations with a stream (subscribed or being subscribed). */
  streaming(): string[] {
    return [...this.#streams.keys()];
  }

  /** Each stream's state: subscribed, or the failure that keeps it from being. */
  health(): StreamHealth[] {
    return [...this.#health.values()];
  }

  stop(): void {
    this.#stopped = true;
    for (const stream of this.#streams.values()) stream.cancel();
    this.#streams.clear();
  }

  #publishGauges(): void {
    const all = this.health();
    this.#options.metrics?.setStreams(
      all.filter((h) => h.subscribed).length,
      all.filter((h) => h.failure !== undefined).length,
    );
  }

  #setHealth(installation: Installation, health: Omit<StreamHealth, 'installationId' | 'externalId'>): void {
    this.#health.set(installation.id, {
      installationId: installation.id,
      externalId: installation.externalId,
      ...health,
    });
    this.#publishGauges();
  }

  #drop(installation: Installation, stream: Stream): boolean {
    if (this.#streams.get(installation.id) !== stream) return false;
    stream.cancel();
    this.#streams.delete(installation.id);
    return true;
  }

  #later(ms: number, work: () => Promise<void>): void {
    setTimeout(() => {
      if (!this.#stopped) void work();
    }, ms).unref();
  }

  async #subscribe(installation: Installation): Promise<void> {
    if (this.#stopped) return;
    const { store, logger, metrics } = this.#options;
    const now = this.#options.now ?? Date.now;
    const gap = this.#options.onGap ?? this.#options.onChange;
    const name = `Salesforce change stream of ${installation.externalId}`;
    try {
      const connector = await this.#options.connectorFor(installation);
      if (connector.subscribeChanges === undefined) return;
      const saved = await store.getCursor(installation.id, REPLAY_CURSOR);
      const replayFrom = saved === undefined ? -1 : Number(saved);
      let lastFailure: string | undefined;
      const holder: { stream?: Stream } = {};
      // A stream already replaced (after a failure) no longer speaks for the installation.
      const stale = (): boolean => holder.stream !== undefined && this.#streams.get(installation.id) !== holder.stream;
      const stream = connector.subscribeChanges({
        replayFrom,
        onChange: (change) => {
          this.#options.onChange(installation.id);
          void store.setCursor(installation.id, REPLAY_CURSOR, String(change.replayId));
        },
        onSubscribed: ({ channels, resumed }) => {
          if (stale()) return;
          lastFailure = undefined;
          this.#setHealth(installation, { subscribed: true });
          logger?.info(`${name}: subscribed to ${channels.join(', ')}`);
          if (replayFrom !== -1 && !resumed) gap(installation.id);
        },
        onFailure: (failure) => {
          if (stale()) return;
          const key = `${failure.kind} ${failure.error}`;
          if (key !== lastFailure) {
            // faye retries /meta/connect: count a failure once, not every retry.
            lastFailure = key;
            metrics?.recordStreamFailure(failure.kind);
          }
          this.#setHealth(installation, {
            subscribed: false,
            failure: { kind: failure.kind, error: failure.error, at: new Date(now()).toISOString() },
          });
          const current = holder.stream;
          if (current === undefined) return;
          if (failure.kind === 'invalid-replay') {
            if (!this.#drop(installation, current)) return;
            metrics?.recordReplayReset();
            logger?.warn(
              `${name}: the replay id is past Salesforce's 72-hour retention (${failure.error}); ` +
                'resubscribing from new events and syncing to cover the gap',
            );
            void (async () => {
              await store.setCursor(installation.id, REPLAY_CURSOR, '-1');
              gap(installation.id);
              await this.#subscribe(installation);
            })();
          } else if (failure.kind === 'subscribe') {
            if (!this.#drop(installation, current)) return;
            logger?.warn(`${name}: subscribe refused (${failure.error}); retrying`);
            this.#later(this.#options.retryMs ?? 60_000, () => this.#subscribe(installation));
          } else {
            logger?.warn(`${name}: ${failure.error}`);
          }
        },
        onAuthFailure: () => {
          const current = holder.stream;
          if (current === undefined || !this.#drop(installation, current)) return;
          logger?.warn(`${name}: session expired, resubscribing`);
          this.#later(this.#options.retryMs ?? 5000, async () => {
            // A REST call lets jsforce refresh the session before the stream is rebuilt.
            await connector.identify().catch(() => undefined);
            await this.#subscribe(installation);
          });
        },
      });
      holder.stream = stream;
      this.#streams.set(installation.id, stream);
      if (!this.#health.has(installation.id)) this.#setHealth(installation, { subscribed: false });
    } catch (error) {
      logger?.warn(
        `no change stream for Salesforce ${installation.externalId} (the scheduled sync covers it): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
