/**
 * Associations v4 batch read (`POST /crm/v4/associations/{from}/{to}/batch/read`, ≤ 1,000
 * inputs): each input's associated records with their type ids (primary and unlabeled). Inputs
 * with no associations, or naming no record, come back as errors in a 207.
 */
import { Router } from 'express';
import { v4Types } from './associations.ts';
import type { SandboxContext } from './context.ts';
import { validationError } from './errors.ts';
import { resolveType } from './routes-objects.ts';

const BATCH_MAX = 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function associationRoutes(context: SandboxContext): Router {
  const router = Router();
  router.post('/crm/v4/associations/:fromObjectType/:toObjectType/batch/read', (req, res) => {
    const startedAt = new Date(context.now()).toISOString();
    const from = resolveType(req.params.fromObjectType);
    const to = resolveType(req.params.toObjectType);
    const body: unknown = req.body;
    if (!isRecord(body) || !Array.isArray(body['inputs']))
      throw validationError('Invalid input JSON: "inputs" is required.');
    const inputs = body['inputs'] as unknown[];
    if (inputs.length > BATCH_MAX) {
      throw validationError(`Batch input size exceeds the limit: ${inputs.length} inputs (at most ${BATCH_MAX}).`);
    }
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const input of inputs) {
      const rawId = isRecord(input) ? input['id'] : undefined;
      if (typeof rawId !== 'string' && typeof rawId !== 'number') throw validationError('Every input needs an "id".');
      const id = String(rawId);
      const record = context.portal.objects[from].records.get(id);
      const associations = record === undefined ? [] : context.associations.of(from, record, to);
      if (associations.length === 0) {
        missing.push(id);
        continue;
      }
      results.push({
        from: { id },
        to: associations.map((a) => ({ toObjectId: Number(a.id), associationTypes: v4Types(from, to, a) })),
      });
    }
    const times = { startedAt, completedAt: new Date(context.now()).toISOString() };
    if (missing.length === 0) {
      res.status(200).json({ status: 'COMPLETE', results, ...times });
      return;
    }
    res.status(207).json({
      status: 'COMPLETE',
      results,
      numErrors: missing.length,
      errors: missing.map((id) => ({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `No ${to} are associated with ${from} ${id}.`,
        context: { fromObjectId: [id] },
        errors: [],
        links: {},
      })),
      ...times,
    });
  });
  return router;
}
