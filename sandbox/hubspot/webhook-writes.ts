/**
 * The sandbox's webhooks for writes through its API: HubSpot sends `<object>.propertyChange` for
 * every value a batch update (`POST /crm/v3/objects/{type}/batch/update`) or single update
 * (`PATCH /crm/v3/objects/{type}/{id}`) actually changed, as integration writes
 * (`changeSource: "INTEGRATION"`, `sourceId` the writing app) — see webhooks.ts for the emitter
 * and the sources.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { objectTypeOf, type Portal } from './model.ts';
import { singular, type WebhookEmitter } from './webhooks.ts';

function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null ? Object.keys(value) : [];
}

function inputsOf(body: unknown): { id: string | undefined; names: string[] }[] {
  const inputs = (body as { inputs?: unknown } | undefined)?.inputs;
  if (!Array.isArray(inputs)) return [];
  return inputs.map((input: unknown) => {
    const fields = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    const properties = fields['properties'];
    return {
      id: fields['idProperty'] === undefined && typeof fields['id'] === 'string' ? fields['id'] : undefined,
      names: keysOf(properties),
    };
  });
}

function resultIds(body: unknown): (string | undefined)[] {
  const results = (body as { results?: unknown } | undefined)?.results;
  const list: unknown[] = Array.isArray(results) ? results : [body];
  return list.map((result) => {
    const id = (result as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' ? id : undefined;
  });
}

/**
 * Middleware (mounted before the object routes) that emits the property changes made through
 * the batch and single update endpoints: it notes the written properties' values before the
 * route runs and emits the ones that changed once the route answers 200.
 */
export function webhookWriteObserver(emitter: WebhookEmitter, portal: Portal, now: () => number): Router {
  const observe = (batch: boolean) => (req: Request, res: Response, next: NextFunction) => {
    const type = objectTypeOf(String(req.params['objectType']));
    if (type === undefined) {
      next();
      return;
    }
    const body: unknown = req.body;
    const inputs = batch
      ? inputsOf(body)
      : [
          {
            id: req.query['idProperty'] === undefined ? String(req.params['objectId']) : undefined,
            names: keysOf((body as { properties?: unknown } | undefined)?.properties),
          },
        ];
    const records = portal.objects[type].records;
    const before = inputs.map(({ id, names }) => {
      const record = id === undefined ? undefined : records.get(id);
      return record === undefined ? undefined : names.map((name) => record.properties[name] ?? '');
    });
    const json = res.json.bind(res);
    res.json = (response: unknown) => {
      if (res.statusCode === 200) {
        const ids = resultIds(response);
        const writer = emitter.writerOf(res.locals['token'] as string | undefined);
        inputs.forEach(({ names }, i) => {
          const id = ids[i];
          const record = id === undefined ? undefined : records.get(id);
          if (id === undefined || record === undefined) return;
          names.forEach((name, j) => {
            const value = record.properties[name] ?? '';
            if (before[i]?.[j] === value) return;
            emitter.emit({
              subscriptionType: `${singular(type)}.propertyChange`,
              objectId: id,
              occurredAt: Math.max(now(), record.updatedAt),
              propertyName: name,
              propertyValue: value,
              changeSource: 'INTEGRATION',
              sourceId: writer === undefined ? '' : String(writer),
            });
          });
        });
      }
      return json(response);
    };
    next();
  };
  const router = Router();
  router.post('/crm/v3/objects/:objectType/batch/update', observe(true));
  router.patch('/crm/v3/objects/:objectType/:objectId', observe(false));
  return router;
}
