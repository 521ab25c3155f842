/**
 * `POST /webhooks/hubspot`: HubSpot's event deliveries, checked and turned into "re-read these
 * records" for the installation they concern.
 *
 * 1. Read the raw body (at most `maxBodyBytes`, default 1 MB; more → 413). The router parses its
 *    own body: mount it before any JSON body parser, or the raw bytes the signature covers are
 *    gone (it answers 500 saying so).
 * 2. Verify the v3 signature over `publicBaseUrl + req.originalUrl` → 401 `{error}` on failure.
 * 3. Read the event array leniently (connectors/hubspot/webhooks/payload.ts) → 400 `{error}` only when the body is
 *    not JSON or not an array of objects; an event that cannot be read, or of a subscription
 *    type RightTouch does not know, is skipped and reported to `onSkipped` (no values: they may
 *    be personal data), and the rest are taken.
 * 4. Keep events of known HubSpot installations (externalId = portal id; others are ignored)
 *    that can change a tier (not our own output properties, not our own app's writes), and
 *    record each one's id in the store: a redelivery (already recorded) is skipped. A contact's
 *    privacy deletion erases everything held about the contact before the answer (a store
 *    failure answers 500, so HubSpot delivers it again); `onErased` hears how many rows went.
 * 5. Answer 204, then hand each installation's affected records to `onChange` — HubSpot times a
 *    delivery out after 5 s and retries it, so no sync work happens before the answer. A store
 *    failure in step 4 answers 500, so HubSpot delivers again.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Store } from '../../store/store.ts';
import { sendError } from '../errors.ts';
import {
  affectedBy,
  eventKey,
  eventKind,
  isAffectedEmpty,
  isKnownSubscriptionType,
  isRelevant,
  OWN_OUTPUT_PROPERTIES,
  parseHubSpotEventsJson,
  type Affected,
  type HubSpotEvent,
  type SkippedEvent,
} from '../../../connectors/hubspot/webhooks/events.ts';
import {
  publicUri,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyHubSpotSignatureV3,
} from '../../../connectors/hubspot/webhooks/signature.ts';

export const HUBSPOT_WEBHOOK_PATH = '/webhooks/hubspot';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface HubSpotWebhookRouterOptions {
  readonly store: Pick<Store, 'recordWebhookEvent' | 'listInstallations' | 'eraseRecord'>;
  readonly clientSecret: string;
  /** How HubSpot reaches this server (e.g. https://righttouch.example.com), plus any path prefix a proxy strips. */
  readonly publicBaseUrl: string;
  /** Our HubSpot app id: changes our own app wrote are ignored. */
  readonly appId?: string | number | undefined;
  /** Called after the answer, once per installation with something to re-read; its errors go to `onError`. */
  readonly onChange: (installationId: string, affected: Affected) => unknown;
  /** Epoch ms (signature window, de-duplication time). Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  readonly maxBodyBytes?: number | undefined;
  /** Properties whose changes are our own echo (default engagement_model, _reason, _next, _updated_at). */
  readonly ourProperties?: readonly string[] | undefined;
  /** Where failures after the answer go (an onChange that threw). Default: console.error. */
  readonly onError?: ((err: unknown) => void) | undefined;
  readonly path?: string | undefined;
  /** The events taken (new, for a known installation), after the answer: for metrics. */
  readonly onEvents?: ((events: readonly HubSpotEvent[]) => void) | undefined;
  /** Events of a batch that were skipped (unreadable, or an unknown subscription type), and why. */
  readonly onSkipped?: ((skipped: readonly SkippedEvent[]) => void) | undefined;
  /** A privacy deletion was honoured: the installation, the event id, and how many rows were erased. */
  readonly onErased?: ((erased: { installationId: string; eventId: string; rows: number }) => void) | undefined;
}

function fail(res: Response, status: number, error: string): void {
  res.status(status).json({ error });
}

const SIGNATURE_ERRORS = {
  missing: 'missing or unreadable X-HubSpot-Signature-v3 / X-HubSpot-Request-Timestamp header',
  stale: 'X-HubSpot-Request-Timestamp is more than 5 minutes away from now',
  mismatch: 'X-HubSpot-Signature-v3 does not match the request',
} as const;

function isBodyParserError(err: unknown): err is { type: string; message: string } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string';
}

export function hubspotWebhookRouter(options: HubSpotWebhookRouterOptions): Router {
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const ourProperties = options.ourProperties ?? OWN_OUTPUT_PROPERTIES;
  const onError =
    options.onError ??
    ((err: unknown) => {
      console.error('hubspot webhook: onChange failed:', err);
    });
  const relevance = { ourProperties, appId: options.appId };

  async function freshEvents(events: readonly HubSpotEvent[]): Promise<Map<string, HubSpotEvent[]>> {
    const installations = new Map<string, string>();
    for (const installation of await options.store.listInstallations()) {
      if (installation.crm === 'hubspot') installations.set(installation.externalId, installation.id);
    }
    const byInstallation = new Map<string, HubSpotEvent[]>();
    const at = now();
    for (const event of events) {
      const installationId = installations.get(event.portalId);
      if (installationId === undefined || !isRelevant(event, relevance)) continue;
      const { kind, action } = eventKind(event);
      if (kind === 'contacts' && action === 'privacyDeletion' && event.objectId !== undefined) {
        // Erased on every delivery (idempotent) and before the event is recorded as taken.
        const rows = await options.store.eraseRecord(installationId, 'contact', event.objectId);
        options.onErased?.({ installationId, eventId: event.eventId, rows });
      }
      if (!(await options.store.recordWebhookEvent(eventKey(event), at))) continue;
      const list = byInstallation.get(installationId) ?? [];
      list.push(event);
      byInstallation.set(installationId, list);
    }
    return byInstallation;
  }

  async function handle(req: Request, res: Response): Promise<void> {
    // With no body at all, the raw parser leaves req.body undefined: an empty body.
    const body: unknown = req.body;
    if (body !== undefined && !Buffer.isBuffer(body)) {
      fail(res, 500, 'the webhook router must be mounted before any body parser: the raw body is needed');
      return;
    }
    const rawBody = body ?? Buffer.alloc(0);
    const check = verifyHubSpotSignatureV3({
      clientSecret: options.clientSecret,
      method: req.method,
      uri: publicUri(options.publicBaseUrl, req.originalUrl),
      rawBody,
      signature: req.get(SIGNATURE_HEADER),
      timestamp: req.get(TIMESTAMP_HEADER),
      now: now(),
    });
    if (!check.ok) {
      fail(res, 401, `invalid signature: ${SIGNATURE_ERRORS[check.reason]}`);
      return;
    }
    const parsed = parseHubSpotEventsJson(rawBody);
    if (!parsed.ok) {
      fail(res, 400, `invalid webhook payload: ${parsed.error}`);
      return;
    }
    const skipped = [...parsed.skipped];
    const known: HubSpotEvent[] = [];
    parsed.events.forEach((event) => {
      if (isKnownSubscriptionType(event)) known.push(event);
      else skipped.push({ subscriptionType: event.subscriptionType, reason: 'unknown subscriptionType' });
    });
    const fresh = await freshEvents(known);
    res.status(204).end();
    if (skipped.length > 0) options.onSkipped?.(skipped);
    const taken = [...fresh.values()].flat();
    if (taken.length > 0) options.onEvents?.(taken);

    for (const [installationId, events] of fresh) {
      for (const affected of affectedBy(events, ourProperties, { appId: options.appId })) {
        if (isAffectedEmpty(affected)) continue;
        const sets: Affected = {
          companies: affected.companies,
          contacts: affected.contacts,
          deals: affected.deals,
          removals: affected.removals,
          merges: affected.merges,
          erasures: affected.erasures,
        };
        // After the answer, and never in the request's promise chain: a slow or failing onChange
        // neither delays the 204 nor turns into an Express error.
        setImmediate(() => {
          Promise.resolve()
            .then(() => options.onChange(installationId, sets))
            .catch(onError);
        });
      }
    }
  }

  const router = Router();
  router.post(
    options.path ?? HUBSPOT_WEBHOOK_PATH,
    // Any content type: HubSpot sends application/json, but the bytes are what is signed. No
    // inflating either: a compressed body's signature covers the compressed bytes.
    express.raw({ type: () => true, limit: maxBodyBytes, inflate: false }),
    (req: Request, res: Response, next: NextFunction) => {
      handle(req, res).catch(next);
    },
    (err: unknown, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) {
        next(err);
        return;
      }
      if (isBodyParserError(err)) {
        if (err.type === 'entity.too.large') fail(res, 413, `request body larger than ${maxBodyBytes} bytes`);
        else if (err.type === 'encoding.unsupported') fail(res, 415, err.message);
        else fail(res, 400, `could not read the request body: ${err.message}`);
        return;
      }
      // As every route answers an internal error (src/server/errors.ts): its message may name
      // files, hosts or worse, so it goes to the log and the body says "internal error".
      onError(err);
      sendError(res, err);
    },
  );
  return router;
}
