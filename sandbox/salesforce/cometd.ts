/**
 * The fake org's Streaming API: Bayeux long-polling at `/cometd/<version>`, as jsforce's faye client
 * speaks it (JSON arrays of messages over POST). Handshake checks the `Authorization: OAuth <token>`
 * header and answers a dead session as Salesforce does (`403::Handshake denied`,
 * `ext.sfdc.failureReason: 401::Authentication invalid`, `advice.reconnect: none` — the shape
 * jsforce's AuthFailure extension documents). Subscribe reads the replay extension's
 * `ext.replay[channel]` (-1 new, -2 all retained, or a replay id, refused with the real 400 once
 * it has left the 72-hour window) and refuses unknown channels. `/meta/connect` holds until events
 * arrive (or `holdMs`), then delivers those of objects the user may receive (View All Data, or View
 * All on the object) — each one counted against the org's daily delivery allocation. An unknown client id gets `403::Unknown client` with `advice.reconnect: handshake`.
 * Sources: Streaming API guide ("Streaming API Error Codes", "Message Durability");
 * jsforce `src/api/streaming/extension.ts`; forcedotcom/EMP-Connector issue #14. Assumed, not
 * documented: the text of the refusal of an unknown channel (`403::Unknown channel`).
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { SalesforceContext } from './context.ts';
import type { Org } from './model.ts';

interface CometdClient {
  readonly userId: string;
  /** Channel path → last replay id delivered. */
  readonly subscriptions: Map<string, number>;
}

type Message = Record<string, unknown>;

export interface CometdOptions {
  /** How long `/meta/connect` waits for events (default 2 s; Salesforce holds up to 110 s). */
  readonly holdMs?: number;
  /** Receives a function that forgets every client (as after a server restart or a long idle). */
  readonly controls?: (dropClients: () => void) => void;
}

/**
 * A change event subscriber needs View All Data, or View All on the object; without it Salesforce
 * does not deliver the object's events to it (Change Data Capture guide, "Required Permissions for
 * Change Event Subscribers"). Read from the user's permission sets, the profile's included.
 */
function mayReceive(org: Org, userId: string, entity: string): boolean {
  for (const psId of org.assignedPermissionSets(userId)) {
    if (org.get('PermissionSet', psId)?.values['PermissionsViewAllData'] === true) return true;
    for (const row of org.store('ObjectPermissions').values()) {
      const v = row.values;
      if (v['ParentId'] === psId && v['SobjectType'] === entity && v['PermissionsViewAllRecords'] === true) return true;
    }
  }
  return false;
}

const INVALID_REPLAY = (id: unknown): string =>
  `400::The replayId {${String(id)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`;

export function cometdRoutes(context: SalesforceContext, options: CometdOptions = {}): Router {
  const router = express.Router();
  const clients = new Map<string, CometdClient>();
  const bus = context.org.changeEvents;
  const holdMs = options.holdMs ?? 2000;
  options.controls?.(() => {
    clients.clear();
  });
  // faye gives up on a request after 1.2 × advice.timeout and retries 5 s later: advise more than
  // the hold, so a slow answer under load is not taken for a dead server (Salesforce: 110 s).
  const adviceTimeout = holdMs + 10_000;

  const handshake = (req: Request, message: Message): Message => {
    const token = /^(?:OAuth|Bearer)\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const userId = token === undefined ? undefined : context.tokens.userOf(token);
    if (userId === undefined) {
      return {
        channel: '/meta/handshake',
        id: message['id'],
        successful: false,
        error: '403::Handshake denied',
        ext: { sfdc: { failureReason: '401::Authentication invalid' }, replay: true },
        advice: { reconnect: 'none' },
      };
    }
    const clientId = randomBytes(12).toString('base64url');
    clients.set(clientId, { userId, subscriptions: new Map() });
    return {
      channel: '/meta/handshake',
      id: message['id'],
      clientId,
      version: '1.0',
      minimumVersion: '1.0',
      supportedConnectionTypes: ['long-polling'],
      successful: true,
      ext: { replay: true, 'payload.format': true },
      advice: { reconnect: 'retry', interval: 0, timeout: adviceTimeout },
    };
  };

  const subscribe = (client: CometdClient, clientId: string, message: Message): Message => {
    const channel = String(message['subscription']);
    const base = { channel: '/meta/subscribe', id: message['id'], clientId, subscription: channel };
    if (bus.membersOf(channel) === undefined) {
      return { ...base, successful: false, error: `403::Unknown channel` };
    }
    const ext = message['ext'] as { replay?: Record<string, unknown> } | undefined;
    const from = ext?.replay?.[channel] ?? -1;
    const now = context.now();
    let after: number;
    if (from === -1) after = bus.latestReplayId();
    else if (from === -2) after = 0;
    else if (typeof from === 'number' && bus.isRetained(from, now)) after = from;
    else return { ...base, successful: false, error: INVALID_REPLAY(from) };
    client.subscriptions.set(channel, after);
    return { ...base, successful: true };
  };

  const pending = (client: CometdClient): Message[] => {
    const now = context.now();
    const out: Message[] = [];
    for (const [channel, after] of client.subscriptions) {
      for (const event of bus.eventsAfter(channel, after, now)) {
        if (!mayReceive(context.org, client.userId, event.entityName)) continue;
        out.push({
          channel,
          data: {
            schema: `${event.entityName}ChangeEvent-schema`,
            payload: { ChangeEventHeader: event.header, ...event.fields },
            event: { replayId: event.replayId },
          },
        });
      }
    }
    return out;
  };

  const connect = async (client: CometdClient, clientId: string, message: Message): Promise<Message[]> => {
    const started = Date.now();
    let events = pending(client);
    while (events.length === 0 && Date.now() - started < holdMs && clients.has(clientId)) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      events = pending(client);
    }
    const reply = { channel: '/meta/connect', id: message['id'], clientId };
    const now = context.now();
    if (!bus.canDeliver(events.length, now)) {
      return [{ ...reply, successful: false, error: '403::Organization total events daily limit exceeded' }];
    }
    for (const event of events) {
      const data = event['data'] as { event: { replayId: number } };
      client.subscriptions.set(String(event['channel']), data.event.replayId);
      bus.deliver(String(event['channel']), 1, now);
    }
    return [
      ...events,
      { ...reply, successful: true, advice: { reconnect: 'retry', interval: 0, timeout: adviceTimeout } },
    ];
  };

  const handle = async (req: Request, message: Message): Promise<Message[]> => {
    const channel = message['channel'];
    if (channel === '/meta/handshake') return [handshake(req, message)];
    const clientId = String(message['clientId']);
    const client = clients.get(clientId);
    if (client === undefined) {
      return [
        {
          channel,
          id: message['id'],
          successful: false,
          error: '403::Unknown client',
          advice: { reconnect: 'handshake', interval: 0 },
        },
      ];
    }
    switch (channel) {
      case '/meta/connect':
        return connect(client, clientId, message);
      case '/meta/subscribe':
        return [subscribe(client, clientId, message)];
      case '/meta/unsubscribe':
        client.subscriptions.delete(String(message['subscription']));
        return [{ channel, id: message['id'], clientId, subscription: message['subscription'], successful: true }];
      case '/meta/disconnect':
        clients.delete(clientId);
        return [{ channel, id: message['id'], clientId, successful: true }];
      default:
        return [{ channel, id: message['id'], successful: false, error: '405::Invalid channel' }];
    }
  };

  router.post('/cometd/:version', express.json({ type: () => true }), async (req: Request, res: Response) => {
    const body: unknown = req.body;
    const messages = (Array.isArray(body) ? body : [body]) as Message[];
    // A batch's subscribe is answered at once, not after the /meta/connect beside it has waited.
    const replies = await Promise.all(messages.map((message) => handle(req, message)));
    res.json(replies.flat());
  });
  return router;
}
