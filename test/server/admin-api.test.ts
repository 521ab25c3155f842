/** The admin API: authentication, per-installation scoping on every route, and what each route does. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { createEmbeddedQueue } from '../../src/jobs/index.ts';
import type { QueueResponse } from '../../src/server/api-types.ts';
import { issueApiKey } from '../../src/server/routes/oauth.ts';
import type { Installation } from '../../src/store/store.ts';
import { repoRoot } from '../helpers.ts';
import { bearer, startServer, type Harness } from './harness.ts';

const policy = JSON.parse(readFileSync(join(repoRoot, 'policies', 'default.json'), 'utf8')) as Policy;

let h: Harness;
let a: Installation;
let b: Installation;
let keyA: string;

beforeEach(async () => {
  h = await startServer();
  a = await h.store.upsertInstallation('hubspot', '1001', 'Portal A');
  b = await h.store.upsertInstallation('salesforce', '00D000000000002AAA', 'Org B');
  await h.store.savePolicy(a.id, policy);
  await h.store.savePolicy(b.id, policy);
  keyA = await issueApiKey(h.store, a.id, 'test', 1);
});

afterEach(async () => {
  await h.close();
});

function routes(id: string): [string, string, unknown?][] {
  return [
    ['GET', `/api/installations/${id}`],
    ['GET', `/api/installations/${id}/policy`],
    ['POST', `/api/installations/${id}/policy/validate`, policy],
    ['PUT', `/api/installations/${id}/policy`, policy],
    ['POST', `/api/installations/${id}/preview`, policy],
    ['POST', `/api/installations/${id}/runs`, {}],
    ['GET', `/api/installations/${id}/runs`],
    ['GET', `/api/installations/${id}/rejected`],
    ['GET', `/api/installations/${id}/distribution`],
    ['GET', `/api/installations/${id}/records/company/x1`],
    ['GET', `/api/installations/${id}/records?q=acme`],
    ['GET', `/api/installations/${id}/next-tier`],
    ['PUT', `/api/installations/${id}/settings`, { syncEveryMinutes: 5 }],
  ];
}

async function call(method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  return fetch(`${h.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : bearer(token)),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('admin API access', () => {
  it('refuses every route without a key or with an unknown one (401), saying why', async () => {
    for (const [method, path, body] of [['GET', '/api/installations'] as [string, string], ...routes(a.id)]) {
      const anonymous = await call(method, path, undefined, body);
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const wrong = await call(method, path, 'rt_not-a-key', body);
      expect(wrong.status, `${method} ${path}`).toBe(401);
      expect(((await wrong.json()) as { error: string }).error).toBe('this API key is not valid');
    }
  });

  it('an installation key reaches its own installation and never another (404, as if it did not exist)', async () => {
    for (const [method, path, body] of routes(b.id)) {
      const response = await call(method, path, keyA, body);
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    for (const [method, path, body] of routes(a.id)) {
      const response = await call(method, path, keyA, body);
      expect([200, 202, 404].includes(response.status), `${method} ${path}: ${response.status}`).toBe(true);
    }
    // Nothing of B changed, nor was a sync of B queued.
    expect((await h.store.getInstallation(b.id))?.settings).toEqual({});
    expect((await h.store.listPolicies(b.id)).length).toBe(1);
    expect(h.syncRequests.every((r) => r.installationId === a.id)).toBe(true);
    const list = (await (await call('GET', '/api/installations', keyA)).json()) as { installations: Installation[] };
    expect(list.installations.map((i) => i.id)).toEqual([a.id]);
  });

  it('the self-hosted admin token sees every installation', async () => {
    const list = (await (await call('GET', '/api/installations', 'admin-secret')).json()) as {
      installations: Installation[];
    };
    expect(list.installations.map((i) => i.externalId).sort()).toEqual(['00D000000000002AAA', '1001']);
    expect((await call('GET', `/api/installations/${b.id}/policy`, 'admin-secret')).status).toBe(200);
  });
});

describe('admin API routes', () => {
  it('an invalid policy: 400 with every problem and its path; the active policy stays', async () => {
    const bad = { ...policy, tiers: [{ value: 'Bad Value', label: '' }] };
    const validate = (await (await call('POST', `/api/installations/${a.id}/policy/validate`, keyA, bad)).json()) as {
      ok: boolean;
      problems: { path: string; message: string }[];
    };
    expect(validate.ok).toBe(false);
    expect(validate.problems.map((p) => p.path)).toContain('tiers[0].value');
    const put = await call('PUT', `/api/installations/${a.id}/policy`, keyA, bad);
    expect(put.status).toBe(400);
    const body = (await put.json()) as { problems: { path: string }[] };
    expect(body.problems.length).toBeGreaterThan(1);
    expect((await h.store.activePolicy(a.id))?.version).toBe(1);
    expect(h.syncRequests).toEqual([]);

    const good = { ...policy, company: { ...policy.company, default: 'low_touch' } };
    const saved = (await (await call('PUT', `/api/installations/${a.id}/policy`, keyA, good)).json()) as {
      version: number;
    };
    expect(saved.version).toBe(2);
    expect((await h.store.activePolicy(a.id))?.policy.company?.default).toBe('low_touch');
    expect(h.syncRequests).toEqual([{ installationId: a.id, kind: 'incremental' }]);
  });

  it('manualEdits: keepAsOverride is a valid policy (validate, save), anything else a problem at manualEdits', async () => {
    const check = async (manualEdits: unknown) =>
      (await (
        await call('POST', `/api/installations/${a.id}/policy/validate`, keyA, { ...policy, manualEdits })
      ).json()) as {
        ok: boolean;
        problems?: { path: string; message: string }[];
      };
    expect((await check('keepAsOverride')).ok).toBe(true);
    expect((await check('sometimes')).problems).toEqual([
      { path: 'manualEdits', message: 'expected "revert" or "keepAsOverride", got "sometimes"' },
    ]);
  });

  it('preview: distribution, movements with samples and the cost, from the mirror, nothing saved', async () => {
    await h.store.upsertRecords(
      a.id,
      [
        { type: 'company', id: 'c1', fields: { employees: 5000 } },
        { type: 'company', id: 'c2', fields: {} },
        { type: 'contact', id: 'p1', companyId: 'c1', fields: { leadScore: 10 } },
      ],
      1,
    );
    await h.store.applyTierChanges(
      a.id,
      'run-1',
      [{ type: 'company', id: 'c1', tier: 'tech_touch', reasons: ['x'] }],
      1,
    );
    const response = await call('POST', `/api/installations/${a.id}/preview`, keyA, policy);
    expect(response.status).toBe(200);
    const preview = (await response.json()) as {
      movements: { type: string; from: string; to: string; count: number; samples: { id: string }[] }[];
      changed: number;
      rewritten: number;
      apiCalls: number;
      summary: { company: { tiers: Record<string, number> } };
    };
    expect(preview.movements).toContainEqual(
      expect.objectContaining({
        type: 'company',
        from: 'tech_touch',
        to: 'mid_touch',
        count: 1,
        samples: [expect.objectContaining({ id: 'c1' })],
      }),
    );
    expect(preview.changed).toBe(3);
    // Every record here moves or is new: none keeps its tier with a new reason only.
    expect(preview.rewritten).toBe(0);
    expect(preview.apiCalls).toBe(2);
    expect(preview.summary.company.tiers['mid_touch']).toBe(1);
    expect((await h.store.storedTier(a.id, 'company', 'c1'))?.tier).toBe('tech_touch');
  });

  it('run now queues a sync (202); an installation that needs reconnecting answers 409', async () => {
    expect((await call('POST', `/api/installations/${a.id}/runs`, keyA, { full: true })).status).toBe(202);
    expect(h.syncRequests).toEqual([{ installationId: a.id, kind: 'full' }]);
    await h.store.setInstallationStatus(a.id, 'needs_reconnect', 'revoked');
    expect((await call('POST', `/api/installations/${a.id}/runs`, keyA, {})).status).toBe(409);
  });

  it('finds records by the start of a name, domain or email, in its own installation only', async () => {
    const acme = (id: string, name: string) =>
      ({ type: 'company', id, fields: {}, display: { name, domain: 'acme.com', email: null } }) as const;
    await h.store.upsertRecords(a.id, [acme('c1', 'Acme Corp'), acme('c2', 'Acme Labs')], 1);
    await h.store.upsertRecords(
      a.id,
      [{ type: 'contact', id: 'p1', fields: {}, display: { name: 'Ann Acme', domain: null, email: 'ann@acme.com' } }],
      1,
    );
    await h.store.upsertRecords(b.id, [acme('001B', 'Acme in B')], 1);
    await h.store.applyTierChanges(a.id, 'r1', [{ type: 'company', id: 'c2', tier: 'high_touch', reasons: [] }], 1);

    const found = await call('GET', `/api/installations/${a.id}/records?q=ACME&type=company&limit=1`, keyA);
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({
      matches: [
        { type: 'company', id: 'c1', display: { name: 'Acme Corp', domain: 'acme.com', email: null }, tier: null },
      ],
      more: true,
    });
    const all = (await (await call('GET', `/api/installations/${a.id}/records?q=a`, keyA)).json()) as {
      matches: { id: string; tier: string | null }[];
    };
    expect(all.matches.map((m) => [m.id, m.tier])).toEqual([
      ['c1', null],
      ['c2', 'high_touch'],
      ['p1', null],
    ]);
    const byEmail = await call('GET', `/api/installations/${a.id}/records?q=ann%40acme&type=contact`, keyA);
    expect(((await byEmail.json()) as { matches: { id: string }[] }).matches.map((m) => m.id)).toEqual(['p1']);
    // The other installation's Acme is not found, not even by its id.
    const other = await call('GET', `/api/installations/${a.id}/records?q=001B`, keyA);
    expect(await other.json()).toEqual({ matches: [], more: false });
    for (const query of ['', '?q=', '?q=%20', '?q=acme&type=deal', '?q=acme&limit=0', '?q=a&q=b']) {
      const refused = await call('GET', `/api/installations/${a.id}/records${query}`, keyA);
      expect(refused.status, query).toBe(400);
    }
  });

  it('settings are validated; a record’s tier and history; runs and distribution over time', async () => {
    const bad = await call('PUT', `/api/installations/${a.id}/settings`, keyA, { syncEveryMinutes: 0, extra: 1 });
    expect(bad.status).toBe(400);
    const ok = await call('PUT', `/api/installations/${a.id}/settings`, keyA, {
      syncEveryMinutes: 5,
      notifyUrl: 'https://hooks.slack.test/T1',
    });
    expect(ok.status).toBe(200);
    expect((await h.store.getInstallation(a.id))?.settings).toEqual({
      syncEveryMinutes: 5,
      notifyUrl: 'https://hooks.slack.test/T1',
    });
    // The lead-score property: set by name, kept when a later PUT leaves it out, cleared by null.
    const settings = async () => (await h.store.getInstallation(a.id))?.settings;
    await call('PUT', `/api/installations/${a.id}/settings`, keyA, { leadScoreProperty: 'mql_fit' });
    expect(await settings()).toEqual({ leadScoreProperty: 'mql_fit' });
    await call('PUT', `/api/installations/${a.id}/settings`, keyA, { syncEveryMinutes: 5 });
    expect(await settings()).toEqual({ syncEveryMinutes: 5, leadScoreProperty: 'mql_fit' });
    const badName = await call('PUT', `/api/installations/${a.id}/settings`, keyA, { leadScoreProperty: 'Not A Name' });
    expect(badName.status).toBe(400);
    await call('PUT', `/api/installations/${a.id}/settings`, keyA, { syncEveryMinutes: 5, leadScoreProperty: null });
    expect(await settings()).toEqual({ syncEveryMinutes: 5 });

    // Lists per tier: off and on again, each change queuing a run (which sets the CRM up again);
    // kept when a later PUT leaves them out; a non-boolean refused.
    const queued = h.syncRequests.length;
    await call('PUT', `/api/installations/${a.id}/settings`, keyA, { crmLists: false });
    expect(await settings()).toEqual({ crmLists: false });
    expect(h.syncRequests.slice(queued)).toEqual([{ installationId: a.id, kind: 'incremental' }]);
    await call('PUT', `/api/installations/${a.id}/settings`, keyA, { syncEveryMinutes: 5 });
    expect(await settings()).toEqual({ syncEveryMinutes: 5, crmLists: false });
    expect(h.syncRequests.slice(queued)).toHaveLength(1);
    expect((await call('PUT', `/api/installations/${a.id}/settings`, keyA, { crmLists: 'no' })).status).toBe(400);
    await call('PUT', `/api/installations/${a.id}/settings`, keyA, {
      syncEveryMinutes: 5,
      crmLists: true,
      crmLayouts: false,
    });
    expect(await settings()).toEqual({ syncEveryMinutes: 5, crmLists: true, crmLayouts: false });
    expect(h.syncRequests.slice(queued)).toHaveLength(2);
    // The lists setup kept come with the installation.
    const list = {
      object: 'companies',
      tier: 'high_touch',
      name: 'Engagement model: High-touch companies',
      id: '7',
      url: 'https://app.hubspot.com/contacts/1/objectLists/7',
    };
    await h.store.saveCrmLists(a.id, [list], 1);
    const one = (await (await call('GET', `/api/installations/${a.id}`, keyA)).json()) as { lists: unknown[] };
    expect(one.lists).toEqual([list]);
    const all = (await (await call('GET', '/api/installations', keyA)).json()) as {
      installations: { lists: unknown[] }[];
    };
    expect(all.installations.map((i) => i.lists)).toEqual([[list]]);

    expect((await call('GET', `/api/installations/${a.id}/records/company/c9`, keyA)).status).toBe(404);
    await h.store.applyTierChanges(
      a.id,
      'run-1',
      [{ type: 'company', id: 'c9', tier: 'high_touch', reasons: ['Big'] }],
      5,
    );
    const record = (await (await call('GET', `/api/installations/${a.id}/records/company/c9`, keyA)).json()) as {
      current: { tier: string; reasons: string[] };
      history: { newTier: string }[];
      display: unknown;
    };
    expect(record.current).toMatchObject({ tier: 'high_touch', reasons: ['Big'] });
    expect(record.display).toBeNull(); // not mirrored: no name to show
    await h.store.upsertRecords(
      a.id,
      [{ type: 'company', id: 'c9', fields: {}, display: { name: 'Nine Ltd', domain: 'nine.example', email: null } }],
      6,
    );
    const named = (await (await call('GET', `/api/installations/${a.id}/records/company/c9`, keyA)).json()) as {
      display: unknown;
    };
    expect(named.display).toEqual({ name: 'Nine Ltd', domain: 'nine.example', email: null });
    expect(record.history.map((e) => e.newTier)).toEqual(['high_touch']);

    const run = await h.store.startRun(a.id, 'full', 10);
    await h.store.finishRun(
      run.id,
      { status: 'succeeded', counts: { 'tiers.company.high_touch': 4, written: 4 }, errors: [] },
      20,
    );
    const distribution = (await (await call('GET', `/api/installations/${a.id}/distribution`, keyA)).json()) as {
      points: { at: number; tiers: { company: Record<string, number> } }[];
    };
    expect(distribution.points).toEqual([
      { runId: run.id, at: 20, tiers: { company: { high_touch: 4 }, contact: {} } },
    ]);
    const runs = (await (await call('GET', `/api/installations/${a.id}/runs`, keyA)).json()) as {
      runs: { id: string }[];
    };
    expect(runs.runs.map((r) => r.id)).toEqual([run.id]);
  });
});

describe('settings changes', () => {
  it('tell the scheduler, so a new interval takes effect without a restart', async () => {
    const changed: string[] = [];
    const server = await startServer({}, { onSettingsChanged: (id) => changed.push(id) });
    try {
      const one = await server.store.upsertInstallation('hubspot', '77');
      const response = await fetch(`${server.url}/api/installations/${one.id}/settings`, {
        method: 'PUT',
        headers: { ...bearer('admin-secret'), 'content-type': 'application/json' },
        body: JSON.stringify({ syncEveryMinutes: 5 }),
      });
      expect(response.status).toBe(200);
      expect(changed).toEqual([one.id]);
    } finally {
      await server.close();
    }
  });
});

describe('run queue', () => {
  it('GET /api/queue shows a run that keeps failing, backing off with its error, to the keys that may see it', async () => {
    const queue = createEmbeddedQueue({
      execute: () =>
        Promise.resolve({ status: 'failed', error: 'HubSpot answered 502 Bad Gateway', code: 'crm_error' }),
      retryDelayMs: 60_000,
    });
    const server = await startServer({}, { queueSnapshot: () => queue.snapshot() });
    try {
      const one = await server.store.upsertInstallation('hubspot', '1001', 'Portal A');
      const other = await server.store.upsertInstallation('hubspot', '1002', 'Portal B');
      const key = await issueApiKey(server.store, one.id, 'test', 1);
      await queue.enqueue({ installationId: one.id, reason: 'tick', kind: 'incremental' });
      await queue.enqueue({ installationId: other.id, reason: 'now', kind: 'full' });
      await queue.idle();
      const answer = await fetch(`${server.url}/api/queue`, { headers: bearer('admin-secret') });
      const body = (await answer.json()) as QueueResponse;
      expect(body).toMatchObject({ engine: 'embedded', concurrency: 4, running: [] });
      expect(body.failing).toHaveLength(2);
      expect(body.failing.find((entry) => entry.installationId === one.id)).toEqual(
        expect.objectContaining({
          installationId: one.id,
          state: 'retrying',
          attempts: 1,
          lastError: 'HubSpot answered 502 Bad Gateway',
        }),
      );
      expect(body.failing[0]?.retryAt).toBeGreaterThan(Date.now() + 50_000);
      expect(body.queued.map((entry) => entry.installationId).sort()).toEqual([one.id, other.id].sort());
      const scoped = (await (await fetch(`${server.url}/api/queue`, { headers: bearer(key) })).json()) as QueueResponse;
      expect(scoped.failing.map((entry) => entry.installationId)).toEqual([one.id]);
      expect((await fetch(`${server.url}/api/queue`)).status).toBe(401);
    } finally {
      await queue.stop();
      await server.close();
    }
  });
});

describe('health and metrics', () => {
  it('answers /healthz and /metrics without a key, and unknown paths with 404 JSON', async () => {
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ ok: true, installations: 2 });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE righttouch_runs_total counter');
    expect(metrics).toContain('righttouch_webhook_lag_seconds');
    const missing = await fetch(`${h.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for GET /nope' });
  });

  it('/healthz counts the installations without reading their rows (it is polled often)', async () => {
    const listed = vi.spyOn(h.store, 'listInstallations');
    await h.store.upsertInstallation('hubspot', '1003', 'Portal C');
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ ok: true, installations: 3 });
    expect(listed).not.toHaveBeenCalled();
  });

  it('logs the polls of /healthz and /metrics that went well at debug, every other request at info', async () => {
    await fetch(`${h.url}/healthz`);
    await fetch(`${h.url}/metrics`);
    await fetch(`${h.url}/nope`);
    await fetch(`${h.url}/api/installations`, { headers: bearer(keyA) });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the lines are written on 'finish'
    const requests = h.logLines
      .map((line) => JSON.parse(line) as { msg: string; path: string; status: number })
      .filter((line) => line.msg === 'request');
    expect(requests.map((line) => `${line.path} ${line.status}`)).toEqual(['/nope 404', '/api/installations 200']);
  });
});

describe('next tier', () => {
  it("shows a record's hint and lists the companies closest to their next tier, smallest gap first", async () => {
    await h.store.upsertRecords(
      a.id,
      ['n1', 'n2', 'n3', 'n4'].map((id) => ({ type: 'company' as const, id, fields: {} })),
      1,
    );
    const hinted = (id: string, hint: string, hintGap: number | null) => ({
      type: 'company' as const,
      id,
      tier: 'mid_touch',
      reasons: ['Mid'],
      hint,
      hintGap,
    });
    await h.store.applyTierChanges(
      a.id,
      'run-1',
      [
        hinted('n1', 'Deal size 60,000 is 40,000 short of High-touch (≥ 100,000)', 0.4),
        hinted('n2', 'Deal size 90,000 is 10,000 short of High-touch (≥ 100,000)', 0.1),
        hinted('n3', 'Employees is not set; Mid-touch needs ≥ 1,000', null),
        { type: 'company', id: 'n4', tier: 'high_touch', reasons: ['Top'] },
      ],
      5,
    );
    const record = (await (await call('GET', `/api/installations/${a.id}/records/company/n2`, keyA)).json()) as {
      current: { hint: string | null };
    };
    expect(record.current.hint).toBe('Deal size 90,000 is 10,000 short of High-touch (≥ 100,000)');

    const answer = await call('GET', `/api/installations/${a.id}/next-tier`, keyA);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { companies: { id: string; hint: string; gap: number | null }[] };
    expect(body.companies.map((c) => [c.id, c.gap])).toEqual([
      ['n2', 0.1],
      ['n1', 0.4],
      ['n3', null],
    ]);
    expect(body.companies[0]?.hint).toBe('Deal size 90,000 is 10,000 short of High-touch (≥ 100,000)');
    const one = (await (await call('GET', `/api/installations/${a.id}/next-tier?limit=1`, keyA)).json()) as {
      companies: { id: string }[];
    };
    expect(one.companies.map((c) => c.id)).toEqual(['n2']);
    expect((await call('GET', `/api/installations/${a.id}/next-tier?limit=0`, keyA)).status).toBe(400);
    expect((await call('GET', `/api/installations/${a.id}/next-tier?limit=x`, keyA)).status).toBe(400);
  });
});
