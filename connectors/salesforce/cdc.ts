/**
 * Change Data Capture over the Streaming API (CometD, through jsforce): near-real-time changes to
 * Accounts, Contacts, Leads and Opportunities, where the org has them enabled for CDC, on the
 * channel cdc-channels.ts chooses (RightTouch's filtered custom channel, else the objects' own
 * channels). Events caused by RightTouch's own writes carry `client=RightTouch` in `changeOrigin`
 * (every call sends `Sforce-Call-Options: client=RightTouch`) and are skipped here too.
 *
 * A subscribe Salesforce refuses is reported, not swallowed: faye only fails the subscription's
 * promise, and the client goes on polling `/meta/connect` — a stream that looks alive and delivers
 * nothing. A stored replay id older than the 72-hour retention is refused with
 * `400::The replayId {X} you provided was invalid.  Please provide a valid ID, -2 to replay all
 * events, or -1 to replay only new events.` (forcedotcom/EMP-Connector issue #14; help article
 * 005321562): that is `invalid-replay`, for the caller to resubscribe from -1 and resync the gap. A
 * `/meta/connect` refusal other than an unknown client (which faye answers with a new handshake),
 * e.g. `403::Organization total events daily limit exceeded`, is reported as `connect`.
 */
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import type { ChangeStreamFailure, ChangeStreamOptions } from '../../src/sync/connector.ts';
import { chooseChannels, CUSTOM_CHANNEL, WATCHED_OBJECTS, type ChannelChoice } from './cdc-channels.ts';
import type { SalesforceContext } from './context.ts';
import { CLIENT_NAME } from './context.ts';

/** RightTouch's filtered channel (setup creates it); see cdc-channels.ts for the fallback. */
export const CDC_CHANNEL = `/data/${CUSTOM_CHANNEL}`;

export interface ChangeEvent {
  readonly entityName: string;
  readonly recordIds: readonly string[];
  readonly changeType: string;
  readonly replayId: number;
  /** Gap/overflow events carry no field data: their records must be read again. */
  readonly gap: boolean;
}

const WATCHED = new Set<string>(WATCHED_OBJECTS);

/** The change a CDC message describes, or undefined when it is ours, malformed, or not watched. */
export function changeFromMessage(message: unknown, ownClient = CLIENT_NAME): ChangeEvent | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as {
    event?: { replayId?: unknown };
    payload?: {
      ChangeEventHeader?: { entityName?: unknown; recordIds?: unknown; changeType?: unknown; changeOrigin?: unknown };
    };
  };
  const header = m.payload?.ChangeEventHeader;
  const replayId = m.event?.replayId;
  if (header === undefined || typeof replayId !== 'number') return undefined;
  const { entityName, recordIds, changeType, changeOrigin } = header;
  if (typeof entityName !== 'string' || !WATCHED.has(entityName) || typeof changeType !== 'string') return undefined;
  if (!Array.isArray(recordIds) || !recordIds.every((id): id is string => typeof id === 'string')) return undefined;
  if (
    typeof changeOrigin === 'string' &&
    changeOrigin.split(';').some((part) => part.trim() === `client=${ownClient}`)
  ) {
    return undefined;
  }
  return { entityName, recordIds, changeType, replayId, gap: changeType.startsWith('GAP_') };
}

export interface CdcSubscription {
  cancel(): void;
}

interface Bayeux {
  channel: string;
  successful?: boolean;
  error?: string;
  subscription?: string;
  ext?: Record<string, unknown>;
  data?: { event?: { replayId?: unknown } };
}
type Next = (message: Bayeux) => void;

/** The replay extension for several channels: each subscribe carries its channel's last replay id. */
class ReplayByChannel {
  readonly #replay = new Map<string, number>();

  constructor(channels: readonly string[], from: number) {
    for (const channel of channels) this.#replay.set(channel, from);
  }

  incoming(message: Bayeux, callback: Next): void {
    const id = message.data?.event?.replayId;
    if (typeof id === 'number' && this.#replay.has(message.channel)) this.#replay.set(message.channel, id);
    callback(message);
  }

  outgoing(message: Bayeux, callback: Next): void {
    const channel = message.subscription;
    if (message.channel === '/meta/subscribe' && channel !== undefined && this.#replay.has(channel)) {
      message.ext = { ...message.ext, replay: { [channel]: this.#replay.get(channel) } };
    }
    callback(message);
  }
}

const INVALID_REPLAY = /replayId\b.*\binvalid/i;

export function subscribeChanges(context: SalesforceContext, options: ChangeStreamOptions): CdcSubscription {
  const state = { cancelled: false };
  let stop = (): void => undefined;
  const fail = (kind: ChangeStreamFailure['kind'], error: string): void => {
    if (!state.cancelled) options.onFailure?.({ kind, error });
  };
  void (async () => {
    let choice: ChannelChoice;
    try {
      choice = await chooseChannels(context);
    } catch (error) {
      fail('subscribe', error instanceof Error ? error.message : String(error));
      return;
    }
    if (state.cancelled) return;
    const pending = new Set(choice.channels);
    const subscribed: string[] = [];
    let connectFailed = false;
    const settled = (): void => {
      if (pending.size > 0 || state.cancelled) return;
      if (subscribed.length > 0) options.onSubscribed?.({ channels: subscribed, resumed: choice.replay });
    };
    const watch = {
      incoming: (message: Bayeux, callback: Next): void => {
        if (message.channel === '/meta/subscribe' && message.subscription !== undefined) {
          const error = message.error ?? '';
          if (message.successful === true) {
            // faye subscribes again after a new handshake: a channel is listed once.
            pending.delete(message.subscription);
            if (!subscribed.includes(message.subscription)) subscribed.push(message.subscription);
            settled();
          } else if (choice.guessed && !INVALID_REPLAY.test(error) && (pending.size > 1 || subscribed.length > 0)) {
            // A guessed channel of an object the org has not selected: go on with the others.
            pending.delete(message.subscription);
            settled();
          } else {
            fail(INVALID_REPLAY.test(error) ? 'invalid-replay' : 'subscribe', error);
          }
        } else if (message.channel === '/meta/connect' && message.successful === false) {
          const error = message.error ?? '';
          if (!/^403::Unknown client/i.test(error)) {
            connectFailed = true;
            fail('connect', error);
          }
        } else if (message.channel === '/meta/connect' && connectFailed && pending.size === 0) {
          // Delivering again (e.g. the daily allocation renewed); the events waited on the bus.
          connectFailed = false;
          if (!state.cancelled) options.onSubscribed?.({ channels: subscribed, resumed: true });
        }
        callback(message);
      },
    };
    const authFailure = new StreamingExtension.AuthFailure(() => {
      if (!state.cancelled) options.onAuthFailure();
    });
    const replay = new ReplayByChannel(choice.channels, choice.replay ? options.replayFrom : -1);
    const client = context.conn.streaming.createClient([replay, watch, authFailure]);
    const subscriptions = choice.channels.map((channel) =>
      client.subscribe(channel, (message: unknown) => {
        const change = changeFromMessage(message);
        if (change !== undefined && !state.cancelled) options.onChange(change);
      }),
    );
    stop = () => {
      for (const subscription of subscriptions) subscription.cancel();
      (client as unknown as { disconnect(): void }).disconnect();
    };
  })();
  return {
    cancel: () => {
      state.cancelled = true;
      stop();
    },
  };
}
