/**
 * Change Data Capture over the Streaming API (CometD, through jsforce): near-real-time changes to
 * Accounts, Contacts, Leads and Opportunities, where the org has them enabled for CDC. Events
 * caused by RightTouch's own writes carry `client=RightTouch` in `changeOrigin` (every call sends
 * `Sforce-Call-Options: client=RightTouch`) and are skipped. The scheduled SOQL sync stays the
 * safety net: CDC keeps events 72 hours, and CometD streams are known to go quiet.
 */
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import type { SalesforceContext } from './context.ts';
import { CLIENT_NAME } from './context.ts';

export const CDC_CHANNEL = '/data/ChangeEvents';
/** Replay from: -1 new events only, -2 every retained event, or a stored replay id. */
export type ReplayFrom = number;

export interface ChangeEvent {
  readonly entityName: string;
  readonly recordIds: readonly string[];
  readonly changeType: string;
  readonly replayId: number;
  /** Gap/overflow events carry no field data: their records must be read again. */
  readonly gap: boolean;
}

const WATCHED = new Set(['Account', 'Contact', 'Lead', 'Opportunity']);

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

export interface SubscribeOptions {
  readonly replayFrom: ReplayFrom;
  readonly onChange: (change: ChangeEvent) => void;
  /** The server refused the session (expired token): resubscribe after a REST call has refreshed it. */
  readonly onAuthFailure: () => void;
}

export function subscribeChanges(context: SalesforceContext, options: SubscribeOptions): CdcSubscription {
  const replay = new StreamingExtension.Replay(CDC_CHANNEL, options.replayFrom);
  const authFailure = new StreamingExtension.AuthFailure(() => {
    options.onAuthFailure();
  });
  const client = context.conn.streaming.createClient([replay, authFailure]);
  const subscription = client.subscribe(CDC_CHANNEL, (message: unknown) => {
    const change = changeFromMessage(message);
    if (change !== undefined) options.onChange(change);
  });
  return {
    cancel: () => {
      subscription.cancel();
    },
  };
}
