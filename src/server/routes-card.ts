/**
 * `GET /card/hubspot/history?type=company|contact&id=…` for the HubSpot record card: HubSpot's
 * `hubspot.fetch` signs the request (signature v3 with the app's client secret) and adds the
 * account as `portalId`; the signature is checked before the portal id is trusted. Answers the
 * record's recent tier changes in that portal's installation only.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Store } from '../store/store.ts';
import {
  publicUri,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyHubSpotSignatureV3,
} from './webhooks/hubspot-signature.ts';

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
      res.status(401).json({ error: `signature ${check.reason}` });
      return;
    }
    const { portalId, type, id } = req.query as Record<string, string | undefined>;
    if ((type !== 'company' && type !== 'contact') || id === undefined || id === '' || portalId === undefined) {
      res.status(400).json({ error: 'expected portalId, type (company or contact) and id' });
      return;
    }
    const installation = (await options.store.listInstallations()).find(
      (i) => i.crm === 'hubspot' && i.externalId === portalId,
    );
    if (installation === undefined) {
      res.status(404).json({ error: 'RightTouch is not installed on this portal' });
      return;
    }
    const history = await options.store.history(installation.id, type, id);
    res.json({ history });
  });
  return router;
}
