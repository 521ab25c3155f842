/**
 * The admin API (`/api/…`, authenticated, scoped per installation; see auth.ts). What each route
 * answers is declared in ../api-types.ts (the admin UI imports the same types):
 *
 * - `GET  /api/installations` — the installations this key may see, with status and last run
 * - `GET  /api/installations/:id` — one, with its last runs
 * - `GET  /api/installations/:id/policy` — the active policy and the versions
 * - `POST /api/installations/:id/policy/validate` — every problem with its path, nothing saved
 * - `PUT  /api/installations/:id/policy` — a new active version (invalid: 400, the active one stays)
 * - `POST /api/installations/:id/preview` — a candidate policy on the mirror: distribution,
 *   movement matrix with samples, capacity, and the API calls applying it would cost
 * - `POST /api/installations/:id/runs` — run a sync now (`{"full": true}` for a full one): 202
 * - `GET  /api/queue` — the runs queued, running and failing (retrying with their error), see
 *   src/jobs/queue.ts
 * - `GET  /api/installations/:id/runs`, `/rejected`, `/distribution` (tier counts per run)
 * - `GET  /api/installations/:id/records?q=acme[&type=company][&limit=20]` — find records by id, or by
 *   the start of a company's name or domain or a contact's name or email (any case): a page of
 *   matches with their current tier (src/store/sql/find.ts)
 * - `GET  /api/installations/:id/records/:type/:recordId` — a record's tier, reasons, next-tier hint
 *   and history
 * - `GET  /api/installations/:id/next-tier?limit=10` — the companies closest to their next tier
 *   (smallest relative gap of their stored hint; up to 100)
 * - `PUT  /api/installations/:id/settings` — schedule, notification webhook, and the contact property
 *   the lead score is read from (`leadScoreProperty`; left out: the stored one stays; `null`: picked
 *   again by the next run, see src/sync/lead-score.ts)
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { platformFor } from '../../../connectors/platforms.ts';
import { validatePolicy } from '../../core/index.ts';
import type { Mapping } from '../../mapping/mapping.ts';
import type { Crm, Installation, Store } from '../../store/store.ts';
import { previewPolicy } from '../../sync/preview.ts';
import type {
  DistributionPoint,
  DistributionResponse,
  FindRecordsResponse,
  InstallationResponse,
  InstallationsResponse,
  NextTierResponse,
  PolicyResponse,
  PreviewResponse,
  QueueResponse,
  RecordResponse,
  RecordType,
  RejectedResponse,
  RunQueuedResponse,
  RunsResponse,
  SavedPolicyResponse,
  SettingsResponse,
  ValidateResponse,
} from '../api-types.ts';
import { adminAuth, mayAccess, scopeOf } from '../auth.ts';
import { sendErrorCode } from '../errors.ts';

export interface AdminDeps {
  readonly store: Store;
  readonly adminToken: string | undefined;
  readonly mappingFor: (crm: Crm) => Promise<Mapping>;
  /** Queues a sync of the installation (the run queue, src/jobs/queue.ts). */
  readonly requestSync: (installationId: string, kind: 'incremental' | 'full') => void;
  /** After an installation's settings change (the schedule reads them from the store anyway). */
  readonly onSettingsChanged?: ((installationId: string) => void) | undefined;
  /** The run queue's state (`GET /api/queue`; without it, an empty embedded queue). */
  readonly queueSnapshot?: (() => Promise<QueueResponse>) | undefined;
  readonly now?: () => Date;
}

const findSchema = z.object({
  q: z.string().trim().min(1, { error: 'q: an id, or the start of a name, domain or email' }).max(200),
  type: z.enum(['company', 'contact']).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

const settingsSchema = z.strictObject({
  syncEveryMinutes: z.int().min(1).max(1440).optional(),
  notifyUrl: z.url({ protocol: /^https?$/ }).optional(),
  leadScoreProperty: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,99}$/, { error: 'a HubSpot property internal name' })
    .nullable()
    .optional(),
  /** Setup keeps a list per tier in the CRM (default true). */
  crmLists: z.boolean().optional(),
  /** Salesforce: setup puts the fields on the layouts (default true). */
  crmLayouts: z.boolean().optional(),
});

function problemsOf(body: unknown) {
  const checked = validatePolicy(body);
  return checked.ok
    ? { ok: true as const, policy: checked.policy }
    : { ok: false as const, problems: checked.problems };
}

export function adminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  const { store } = deps;
  router.use('/api', express.json({ limit: '1mb' }));
  router.use('/api', adminAuth(store, deps.adminToken));

  /** The installation named in the path, if this key may see it; otherwise answers 404. */
  async function installation(req: Request, res: Response): Promise<Installation | undefined> {
    const id = String(req.params['id']);
    const found = mayAccess(scopeOf(res), id) ? await store.getInstallation(id) : undefined;
    if (found === undefined) sendErrorCode(res, 'not_found', `no installation ${id}`);
    return found;
  }

  router.get('/api/installations', async (_req, res) => {
    const scope = scopeOf(res);
    const all = await store.listInstallations();
    const visible = all.filter((i) => mayAccess(scope, i.id));
    const withRuns = await Promise.all(
      visible.map(async (i) => ({
        ...i,
        lastRun: (await store.listRuns(i.id, 1))[0] ?? null,
        lists: await store.crmLists(i.id),
      })),
    );
    res.json({ installations: withRuns } satisfies InstallationsResponse);
  });

  router.get('/api/queue', async (_req, res) => {
    const scope = scopeOf(res);
    const snapshot: QueueResponse = (await deps.queueSnapshot?.()) ?? {
      engine: 'embedded',
      concurrency: 0,
      queued: [],
      running: [],
      failing: [],
    };
    const visible = <T extends { installationId: string }>(entries: readonly T[]) =>
      entries.filter((entry) => mayAccess(scope, entry.installationId));
    res.json({
      ...snapshot,
      queued: visible(snapshot.queued),
      running: visible(snapshot.running),
      failing: visible(snapshot.failing),
    } satisfies QueueResponse);
  });

  router.get('/api/installations/:id', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    res.json({
      installation: found,
      runs: await store.listRuns(found.id, 10),
      lists: await store.crmLists(found.id),
    } satisfies InstallationResponse);
  });

  router.get('/api/installations/:id/policy', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const versions = await store.listPolicies(found.id);
    res.json({
      active: (await store.activePolicy(found.id)) ?? null,
      versions: versions.map(({ version, createdAt }) => ({ version, createdAt })),
    } satisfies PolicyResponse);
  });

  router.post('/api/installations/:id/policy/validate', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const checked = problemsOf(req.body);
    res.json((checked.ok ? { ok: true, problems: [] } : checked) satisfies ValidateResponse);
  });

  router.put('/api/installations/:id/policy', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const checked = problemsOf(req.body);
    if (!checked.ok) {
      sendErrorCode(res, 'bad_input', 'the policy is invalid; the active policy is unchanged', {
        problems: checked.problems,
      });
      return;
    }
    const saved = await store.savePolicy(found.id, checked.policy);
    deps.requestSync(found.id, 'incremental');
    res.json({ version: saved.version, createdAt: saved.createdAt } satisfies SavedPolicyResponse);
  });

  router.post('/api/installations/:id/preview', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const checked = problemsOf(req.body);
    if (!checked.ok) {
      sendErrorCode(res, 'bad_input', 'the policy is invalid', { problems: checked.problems });
      return;
    }
    const preview = await previewPolicy(
      store,
      found.id,
      await deps.mappingFor(found.crm),
      checked.policy,
      deps.now?.() ?? new Date(),
      platformFor(found.crm).writeLimits.recordsPerWriteCall,
    );
    res.json(preview satisfies PreviewResponse);
  });

  router.post('/api/installations/:id/runs', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    if (found.status === 'needs_reconnect') {
      sendErrorCode(res, 'needs_reconnect', 'this installation needs to be reconnected (install the app again)');
      return;
    }
    const full = (req.body as { full?: unknown } | undefined)?.full === true;
    deps.requestSync(found.id, full ? 'full' : 'incremental');
    res.status(202).json({ queued: full ? 'full' : 'incremental' } satisfies RunQueuedResponse);
  });

  router.get('/api/installations/:id/runs', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    res.json({ runs: await store.listRuns(found.id, 100) } satisfies RunsResponse);
  });

  router.get('/api/installations/:id/rejected', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    res.json({ rejected: await store.listRejected(found.id) } satisfies RejectedResponse);
  });

  router.get('/api/installations/:id/distribution', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const runs = (await store.listRuns(found.id, 500)).filter((r) => r.counts !== null && r.status !== 'failed');
    const points = runs.reverse().map((run) => {
      const tiers: Record<RecordType, Record<string, number>> = { company: {}, contact: {} };
      for (const [name, count] of Object.entries(run.counts ?? {})) {
        const match = /^tiers\.(company|contact)\.(.+)$/.exec(name);
        const type = match?.[1] as RecordType | undefined;
        const tier = match?.[2];
        if (type !== undefined && tier !== undefined) tiers[type][tier] = count;
      }
      return { runId: run.id, at: run.endedAt ?? run.startedAt, tiers } satisfies DistributionPoint;
    });
    res.json({ points } satisfies DistributionResponse);
  });

  router.get('/api/installations/:id/records', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const parsed = findSchema.safeParse(req.query);
    if (!parsed.success) {
      sendErrorCode(res, 'bad_input', 'invalid search', {
        problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
      return;
    }
    const { q, type, limit } = parsed.data;
    const result = await store.findRecords(found.id, { text: q, type, limit });
    res.json(result satisfies FindRecordsResponse);
  });

  router.get('/api/installations/:id/records/:type/:recordId', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const type = req.params['type'];
    if (type !== 'company' && type !== 'contact') {
      sendErrorCode(res, 'bad_input', 'type is company or contact');
      return;
    }
    const recordId = req.params['recordId'];
    const current = await store.storedTier(found.id, type, recordId);
    const history = await store.history(found.id, type, recordId);
    if (current === undefined && history.length === 0) {
      sendErrorCode(res, 'not_found', `no ${type} ${recordId} in this installation`);
      return;
    }
    // The mirror's display, through the record search (an id matches exactly).
    const { matches } = await store.findRecords(found.id, { text: recordId, type, limit: 100 });
    const display = matches.find((match) => match.id === recordId)?.display ?? null;
    res.json({ current: current ?? null, history, display } satisfies RecordResponse);
  });

  router.get('/api/installations/:id/next-tier', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const given = req.query['limit'];
    const limit = given === undefined ? 10 : Number(given);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      sendErrorCode(res, 'bad_input', 'limit is a whole number from 1 to 100');
      return;
    }
    // Stored with each tier by the syncs (src/sync/next-hint.ts): one read of the stored tiers, no classification.
    res.json({ companies: await store.closestToNextTier(found.id, 'company', limit) } satisfies NextTierResponse);
  });

  router.put('/api/installations/:id/settings', async (req, res) => {
    const found = await installation(req, res);
    if (found === undefined) return;
    const parsed = settingsSchema.safeParse(req.body);
    if (!parsed.success) {
      sendErrorCode(res, 'bad_input', 'invalid settings', {
        problems: parsed.error.issues.map((issue) => ({
          path: issue.path.join('.') || '(settings)',
          message: issue.message,
        })),
      });
      return;
    }
    // The lead-score choice and what setup may do beyond the fields stay unless named: they are
    // not reset because the schedule changed. Merged into the settings as stored at the moment of
    // writing (one transaction), not as read above: a concurrent PUT, or a sync picking the lead
    // score, keeps what it wrote.
    const updated = await store.updateSettings(found.id, (current) => {
      const { leadScoreProperty, crmLists, crmLayouts } = current;
      const given = { leadScoreProperty, crmLists, crmLayouts, ...parsed.data };
      return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== null));
    });
    if (updated === undefined) {
      sendErrorCode(res, 'not_found', `no installation ${found.id}`);
      return;
    }
    const { before, after: settings } = updated;
    deps.onSettingsChanged?.(found.id);
    // Lists or layouts turned on or off: the next run sets the CRM up again (its setup mark
    // includes them); run it now rather than at the next scheduled time.
    if (parsed.data.crmLists !== undefined && parsed.data.crmLists !== (before.crmLists ?? true)) {
      deps.requestSync(found.id, 'incremental');
    } else if (parsed.data.crmLayouts !== undefined && parsed.data.crmLayouts !== (before.crmLayouts ?? true)) {
      deps.requestSync(found.id, 'incremental');
    }
    res.json({ settings } satisfies SettingsResponse);
  });

  return router;
}
