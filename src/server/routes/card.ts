/**
 * `GET /card/hubspot/history?portalId=…&type=company|contact&id=…` for the HubSpot record card:
 * the card puts the portal id from its context in the URL (`connectors/hubspot/project/card-source.ts`), HubSpot's
 * `hubspot.fetch` signs the request (signature v3 with the app's client secret, over the full
 * URL) and may append its own `portalId` too; the signature is checked before the portal id is
 * trusted. A parameter that arrives more than once is taken if every copy agrees, refused if not.
 * Answers the record's recent tier changes in that portal's installation only, with the active
 * policy's tier labels (`labels`: value → label), so the card shows "High-touch", not `high_touch`.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Store } from '../../store/store.ts';
import {
  publicUri,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyHubSpotSignatureV3,
} from '../../../connectors/hubspot/webhooks/signature.ts';
import { sendErrorCode } from '../errors.ts';

export const CARD_HISTORY_PATH = '/card/hubspot/history';

export function cardRouter(options: {
  store: Store;
  clientSecret: string;
  publicBaseUrl: string;
  now?: () => number;
}): Router {
  const router = express.Router();
  router.get(CARD_HISTORY_PATH, async (req: Request, res: Response) => {
    const check = verifyHubSpotSignatureV3({
      clientSecret: options.clientSecret,
      method: 'GET',
      uri: publicUri(options.publicBaseUrl, req.originalUrl),
      rawBody: Buffer.alloc(0),
      signature: req.get(SIGNATURE_HEADER),
      timestamp: req.get(TIMESTAMP_HEADER),
      now: (options.now ?? Date.now)(),
    });
    if (!check.ok) {
      sendErrorCode(res, 'unauthorized', `signature ${check.reason}`);
      return;
    }
    const query = req.query as Record<string, string | string[] | undefined>;
    const [portalId, type, id] = [single(query['portalId']), single(query['type']), single(query['id'])];
    if ((type !== 'company' && type !== 'contact') || id === undefined || id === '' || portalId === undefined) {
      sendErrorCode(res, 'bad_input', 'expected portalId, type (company or contact) and id');
      return;
    }
    const installation = (await options.store.listInstallations()).find(
      (i) => i.crm === 'hubspot' && i.externalId === portalId,
    );
    if (installation === undefined) {
      sendErrorCode(res, 'not_found', 'RightTouch is not installed on this portal');
      return;
    }
    const history = await options.store.history(installation.id, type, id);
    const policy = (await options.store.activePolicy(installation.id))?.policy;
    const labels = Object.fromEntries((policy?.tiers ?? []).map((tier) => [tier.value, tier.label]));
    res.json({ history, labels });
  });
  return router;
}

/** A query parameter's value, if it was sent once or every copy agrees. */
function single(value: string | string[] | undefined): string | undefined {
  if (!Array.isArray(value)) return value;
  const [first] = value;
  return value.every((v) => v === first) ? first : undefined;
}
