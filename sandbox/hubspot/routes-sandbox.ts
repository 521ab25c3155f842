/**
 * Sandbox-only actions over HTTP (no HubSpot API has them), so a person trying RightTouch on the
 * sandbox (`npm start` prints its URL) can play a user of the portal:
 *
 *     POST /sandbox/v1/ui-edits  {"objectType":"companies","objectId":"5000000314",
 *                                 "property":"engagement_model","value":"high_touch","userId":28604240}
 *
 * is "user 28604240 sets the property in HubSpot's UI" (history.ts `editByHand`: the value, the
 * record's last-modified time, and a `CRM_UI` history entry naming the user; `userId` defaults to
 * the first sandbox user). Answers 204; a bad request 400 with the sandbox's words.
 */
import { Router } from 'express';
import type { SandboxContext } from './context.ts';
import { validationError } from './errors.ts';
import { editByHand, SANDBOX_USERS } from './history.ts';
import { objectTypeOf } from './model.ts';

export function sandboxRoutes(context: SandboxContext): Router {
  const router = Router();
  router.post('/sandbox/v1/ui-edits', (req, res) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const type = typeof body['objectType'] === 'string' ? objectTypeOf(body['objectType']) : undefined;
    const { objectId, property, value } = body;
    const userId = body['userId'] ?? SANDBOX_USERS[0]?.userId;
    if (
      type === undefined ||
      typeof objectId !== 'string' ||
      typeof property !== 'string' ||
      typeof value !== 'string'
    ) {
      throw validationError('expected {"objectType", "objectId", "property", "value" (text), "userId"?}');
    }
    try {
      editByHand(context.portal, type, objectId, { property, value, userId: Number(userId), at: context.now() });
    } catch (error) {
      throw validationError(error instanceof Error ? error.message : String(error));
    }
    res.status(204).end();
  });
  return router;
}
