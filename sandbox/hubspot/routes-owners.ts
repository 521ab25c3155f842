/**
 * Owners v3, one owner: `GET /crm/v3/owners/{ownerId}`, or by the user behind it with
 * `?idProperty=userId` — how an app names the `updatedByUserId` of a property's history (a user
 * id, not an owner id; reference hubspot-api.md §9b; the SDK's `OwnersApi.getById(ownerId,
 * idProperty: 'id' | 'userId', archived)`). The answer is the SDK's `PublicOwner`: `id`, `email`,
 * `firstName`, `lastName`, `userId`, `userIdIncludingInactive`, `type: "PERSON"`, `createdAt`,
 * `updatedAt`, `archived`. An unknown id is a 404 `OBJECT_NOT_FOUND`; an `idProperty` other than
 * `id`/`userId` a 400. The sandbox's owners are its users (history.ts, `SANDBOX_USERS`).
 */
import { Router } from 'express';
import { notFound, shown, validationError } from './errors.ts';
import { SANDBOX_USERS, type SandboxUser } from './history.ts';

const CREATED = '2024-01-08T09:00:00.000Z';

function publicOwner(user: SandboxUser): Record<string, unknown> {
  return {
    id: user.ownerId,
    email: user.email,
    type: 'PERSON',
    firstName: user.firstName,
    lastName: user.lastName,
    userId: user.userId,
    userIdIncludingInactive: user.userId,
    createdAt: CREATED,
    updatedAt: CREATED,
    archived: false,
    teams: [],
  };
}

export function ownerRoutes(): Router {
  const router = Router();
  router.get('/crm/v3/owners/:ownerId', (req, res) => {
    const idProperty = req.query['idProperty'] ?? 'id';
    if (idProperty !== 'id' && idProperty !== 'userId') {
      throw validationError(`Invalid idProperty: ${shown(idProperty)} (expected id or userId).`);
    }
    const id = req.params.ownerId;
    const user = SANDBOX_USERS.find((u) => (idProperty === 'userId' ? String(u.userId) : u.ownerId) === id);
    if (user === undefined) throw notFound(`Owner with ${idProperty === 'userId' ? 'userId' : 'id'} ${id} not found.`);
    res.json(publicOwner(user));
  });
  return router;
}
