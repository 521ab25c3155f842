/**
 * HubSpot end to end: the real connector, sync engine, store and CLI against the local sandbox
 * CRM (HubSpot's API subset with its rate limits, here scaled up 10× to keep the tests quick).
 * What reaches the CRM is read from the sandbox's own records.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { runSetup, runSync, type CrmIo } from '../../src/cli/sync-commands.ts';
import { generatePortal, mutate } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox, type Sandbox } from '../../sandbox/hubspot/server.ts';
import { fromSnapshot } from '../../sandbox/hubspot/snapshot.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { repoRoot } from '../helpers.ts';
import { crmHints, crmTiers, runCli, tempDir, updatedAt, writtenSince } from './helpers.ts';

const TOKEN = 'pat-e2e';
const FAST = { perWindow: 1100, windowMs: 10_000, searchPerSecond: 50 };
const FAST_CONNECTOR = { requestsPerWindow: 1000, windowMs: 10_000, searchPerSecond: 45 };
const sink = { write: () => true } as unknown as CrmIo['stdout'];

interface World {
  readonly portal: Portal;
  readonly sandbox: Sandbox;
  readonly running: RunningSandbox;
  readonly data: string;
  readonly io: CrmIo;
  /** Batch-update requests the sandbox has answered so far. */
  updates: number;
  requests: number;
}

const open: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((running) => running.close()));
});

async function world(seed: number, companies: number): Promise<World> {
  const portal = generatePortal({ seed, companies, contacts: companies * 4, deals: Math.round(companies * 1.5) });
  const counters = { updates: 0, requests: 0 };
  const sandbox = createSandbox({
    portal,
    token: TOKEN,
    limits: FAST,
    log: (line) => {
      counters.requests++;
      if (/^POST \/crm\/v3\/objects\/\w+\/batch\/update /.test(line)) counters.updates++;
    },
  });
  const running = await sandbox.listen(0);
  open.push(running);
  const w: World = {
    portal,
    sandbox,
    running,
    data: join(tempDir(), 'righttouch.db'),
    // A connector per command, as the CLI and the server's jobs build one per run.
    io: {
      stdout: sink,
      env: {},
      connectorFor: () => createHubSpotConnector({ accessToken: TOKEN, baseUrl: running.url, limits: FAST_CONNECTOR }),
    },
    get updates() {
      return counters.updates;
    },
    set updates(value: number) {
      counters.updates = value;
    },
    get requests() {
      return counters.requests;
    },
    set requests(value: number) {
      counters.requests = value;
    },
  };
  return w;
}

async function syncOnce(w: World, extra: { full?: boolean } = {}) {
  return runSync({ crm: 'hubspot', data: w.data, ...extra }, w.io);
}

describe('HubSpot end to end against the sandbox', () => {
  test('setup, a full sync tiering every record, then a second sync that writes nothing', async () => {
    const w = await world(11, 300);
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    expect(w.portal.schema.companies.properties.get('engagement_model')?.options.map((o) => o.value)).toEqual([
      'tech_touch',
      'low_touch',
      'mid_touch',
      'high_touch',
    ]);

    const first = await syncOnce(w);
    expect(first).toMatchObject({ kind: 'full', decided: 1500, written: 1500, rejected: [] });
    const tiers = crmTiers(w.portal);
    expect(tiers.size).toBe(1500);
    for (const [key, value] of tiers) {
      expect(value, key).toMatch(/^(tech|low|mid|high)_touch \| \S/);
    }
    // What the CRM shows is what the store says was written.
    const store = new SqliteStore(w.data);
    const [installation] = await store.listInstallations();
    const hints = crmHints(w.portal);
    for await (const stored of store.storedTiers(installation?.id ?? '')) {
      expect(tiers.get(`${stored.type}:${stored.id}`)).toBe(`${stored.tier} | ${stored.reasons.join('; ')}`);
      // The next-tier hint: the sentence the store keeps, or empty (a record with no lever).
      expect(hints.get(`${stored.type}:${stored.id}`) ?? '', `${stored.type} ${stored.id}`).toBe(stored.hint ?? '');
    }
    await store.close();
    const sentences = [...hints.values()].filter((hint) => hint !== '');
    expect(sentences.length).toBeGreaterThan(0);
    for (const hint of sentences) expect(hint).toMatch(/ short of | needs /);
    expect(w.sandbox.stats.byStatus['429'] ?? 0).toBe(0);

    w.updates = 0;
    const second = await syncOnce(w);
    expect(second).toMatchObject({ kind: 'incremental', changed: 0, written: 0, writeCalls: 0 });
    expect(w.updates).toBe(0);
    const full = await syncOnce(w, { full: true });
    expect(full).toMatchObject({ kind: 'full', changed: 0, written: 0 });
    expect(w.updates).toBe(0);
  });

  test('the next-hint property is written only once setup has created it: before, HubSpot refuses the writes', async () => {
    const w = await world(12, 40);
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    // A portal set up by an earlier version: no engagement_model_next on companies yet.
    w.portal.schema.companies.properties.delete('engagement_model_next');
    const refused = await syncOnce(w);
    expect(refused.rejected.length).toBeGreaterThan(0);
    expect(refused.rejected.every((r) => r.type === 'company' && /engagement_model_next/.test(r.error))).toBe(true);
    expect(crmHints(w.portal).get(`company:${refused.rejected[0]?.id ?? ''}`) ?? '').toBe('');

    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    const retried = await syncOnce(w);
    expect(retried.rejected).toEqual([]);
    expect(retried.written).toBe(refused.rejected.length);
    const companyHints = [...crmHints(w.portal)].filter(([key, hint]) => key.startsWith('company:') && hint !== '');
    expect(companyHints.length).toBeGreaterThan(0);
  });

  test('an option an admin removed: its records are rejected at the cost of one refused call, < 5% errors', async () => {
    const w = await world(13, 300);
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    // An admin deletes the High-touch option on companies: HubSpot now refuses that value.
    const definition = w.portal.schema.companies.properties.get('engagement_model');
    if (definition === undefined) throw new Error('setup did not create engagement_model');
    definition.options = definition.options.filter((option) => option.value !== 'high_touch');
    w.sandbox.resetStats();

    const report = await syncOnce(w);
    const refused = report.rejected.map((r) => `${r.type}:${r.id}`);
    expect(refused.length).toBeGreaterThan(2);
    for (const r of report.rejected) {
      expect(r.type).toBe('company');
      expect(r.error).toMatch(
        /^engagement_model: high_touch was not one of the allowed options: \[.*\] \(INVALID_OPTION/,
      );
    }
    // Every other record is written; the refused ones are left as they were.
    expect(report.written).toBe(1500 - refused.length);
    const tiers = crmTiers(w.portal);
    for (const key of refused) expect(tiers.get(key)).toBe(' | ');
    // What it cost: one refused call for the whole sync, far under HubSpot's 5% bar.
    const { stats } = w.sandbox;
    const errors = Object.entries(stats.byStatus)
      .filter(([status]) => Number(status) >= 400)
      .reduce((sum, [, count]) => sum + count, 0);
    expect(stats.byStatus['400']).toBe(1);
    expect(errors / stats.requests).toBeLessThan(0.05);

    // The option back, the next sync writes exactly the refused records, as High-touch.
    definition.options.push({ label: 'High touch', value: 'high_touch', displayOrder: 3, hidden: false });
    const retried = await syncOnce(w);
    expect(retried).toMatchObject({ written: refused.length, rejected: [] });
    const after = crmTiers(w.portal);
    for (const key of refused) expect(after.get(key)).toMatch(/^high_touch \| \S/);
  });

  test('after 50 deals change, an incremental sync rewrites exactly the records whose tier, reason or hint changed', async () => {
    const w = await world(12, 400);
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    await syncOnce(w);
    const tiersBefore = crmTiers(w.portal);
    const hintsBefore = crmHints(w.portal);
    const timesBefore = updatedAt(w.portal);

    const changed = mutate(w.portal, { deals: 50, contacts: 0, seed: 99 });
    expect(changed.deals).toHaveLength(50);
    const report = await syncOnce(w);
    expect(report.kind).toBe('incremental');
    const written = writtenSince(timesBefore, updatedAt(w.portal));
    const tiersAfter = crmTiers(w.portal);
    const hintsAfter = crmHints(w.portal);
    // Everything written changed tier, reason or next-tier hint: nothing was rewritten for nothing…
    expect(written.length).toBeGreaterThan(0);
    for (const key of written) {
      const before = `${tiersBefore.get(key) ?? ''} | ${hintsBefore.get(key) ?? ''}`;
      expect(`${tiersAfter.get(key) ?? ''} | ${hintsAfter.get(key) ?? ''}`, key).not.toBe(before);
    }
    expect(report.written).toBe(written.length);
    // …and nothing that should have changed was missed: a full re-read finds nothing to write.
    const full = await syncOnce(w, { full: true });
    expect(full).toMatchObject({ changed: 0, written: 0 });

    // The companies written are those whose deals changed (or whose capacity seat they moved),
    // and each contact written belongs to a written company or had its own change.
    const dealCompanies = new Set(changed.deals.map((id) => w.portal.objects.deals.records.get(id)?.companyId));
    const writtenCompanies = new Set(written.filter((k) => k.startsWith('company:')).map((k) => k.slice(8)));
    for (const id of writtenCompanies) {
      const reason = tiersAfter.get(`company:${id}`) ?? '';
      expect(dealCompanies.has(id) || /capacity|seat/.test(reason), `company ${id}: ${reason}`).toBe(true);
    }
    for (const key of written.filter((k) => k.startsWith('contact:'))) {
      const contact = w.portal.objects.contacts.records.get(key.slice(8));
      expect(writtenCompanies.has(contact?.companyId ?? ''), key).toBe(true);
    }
  });

  test('killed with SIGKILL while reading and while writing, a rerun leaves the CRM as a clean run does', async () => {
    const w = await world(13, 300);
    const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_URL: w.running.url };
    const args = ['sync', '--crm', 'hubspot', '--data', w.data];
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);

    w.requests = 0;
    const duringRead = await runCli(args, env, () => w.requests >= 8);
    expect(duringRead.signal).toBe('SIGKILL');
    w.updates = 0;
    const duringWrite = await runCli(args, env, () => w.updates >= 6);
    expect(duringWrite.signal).toBe('SIGKILL');
    expect(w.updates).toBeLessThan(15); // 1,500 records take 15 update calls: it died part way
    const rerun = await runCli(args, env);
    expect(rerun.code, rerun.stderr).toBe(0);

    // The same portal, synced once without interruption.
    const clean = await world(13, 300);
    await runSetup({ crm: 'hubspot', data: clean.data }, clean.io);
    await syncOnce(clean);
    expect([...crmTiers(w.portal)]).toEqual([...crmTiers(clean.portal)]);

    // History: exactly one entry per record (its first tier), none lost or doubled by the kills.
    const store = new SqliteStore(w.data);
    const [installation] = await store.listInstallations();
    const id = installation?.id ?? '';
    for (const key of crmTiers(w.portal).keys()) {
      const [type, recordId] = key.split(':') as ['company' | 'contact', string];
      const history = await store.history(id, type, recordId);
      expect(
        history.map((h) => [h.oldTier, h.newTier]),
        key,
      ).toEqual([[null, history[0]?.newTier]]);
    }
    const runs = await store.listRuns(id);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'failed', 'failed']);
    expect(runs[1]?.errors?.[0]).toMatch(/^interrupted/);
    await store.close();

    // And the next sync has nothing left to do.
    w.updates = 0;
    const after = await runCli([...args, '--json'], env);
    expect(JSON.parse(after.stdout)).toMatchObject({ changed: 0, written: 0 });
    expect(w.updates).toBe(0);
    // Five command processes and two portals: about 29 s on a loaded 2-CPU machine, before and
    // after the commands took the lease (the default 30 s left no room).
  }, 90_000);
});

describe('npm start (righttouch start)', () => {
  test('tiers a generated sandbox portal, saves it beside the store, and picks up where it stopped', async () => {
    const data = join(tempDir(), 'righttouch.db');
    const first = await runCli(['start', '--once', '--size', '150', '--data', data]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('generated HubSpot portal');
    expect(first.stdout).toContain('created property engagement_model on companies');
    expect(first.stdout).toContain('full sync: read 150 companies, 600 contacts, 225 deals');
    expect(first.stdout).toContain('750 of 750 records changed tier or reason; 750 written');
    const saved = fromSnapshot(readFileSync(join(data, '..', 'sandbox-portal.json'), 'utf8'));
    const tiers = [...crmTiers(saved).values()];
    expect(tiers).toHaveLength(750);
    expect(tiers.every((value) => /^\w+_touch \| \S/.test(value))).toBe(true);

    const second = await runCli(['start', '--once', '--data', data]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('restored from');
    expect(second.stdout).toContain('Properties already set up: nothing to change.');
    // Nothing changed, and the first sync settled what it moved: the run decides nothing (750 before).
    expect(second.stdout).toMatch(/incremental sync: .*\n0 of 0 records changed tier or reason; 0 written/);
  }, 120_000);

  test('keeps syncing on its schedule and serves the admin UI on the demo portal with a printed key', async () => {
    const data = join(tempDir(), 'righttouch.db');
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin', 'righttouch.js'),
        'start',
        '--size',
        '60',
        '--data',
        data,
        '--ui-port',
        '0',
        '--mutate-every',
        '1',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const opened = await new Promise<RegExpExecArray>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /Open (http:\/\/localhost:\d+)\/#key=(rt_\S+)/.exec(stdout);
        if (match !== null) resolve(match);
      });
      child.once('exit', (code) => {
        reject(new Error(`start exited with ${String(code)}: ${stdout}`));
      });
    });
    const [, url = '', key = ''] = opened;
    try {
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const list = (await (await fetch(`${url}/api/installations`, { headers })).json()) as {
        installations: { id: string; crm: string }[];
      };
      expect(list.installations.map((i) => i.crm)).toEqual(['hubspot']);
      const id = list.installations[0]?.id ?? '';
      expect((await fetch(`${url}/`)).status).toBe(200);
      const runs = async () =>
        ((await (await fetch(`${url}/api/installations/${id}/runs`, { headers })).json()) as { runs: unknown[] }).runs;
      const before = (await runs()).length;
      expect((await fetch(`${url}/api/installations/${id}/runs`, { method: 'POST', headers, body: '{}' })).status).toBe(
        202,
      );
      const deadline = Date.now() + 30_000;
      while ((await runs()).length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect((await runs()).length).toBe(before + 1);
      while (!/sandbox: \d+ deals changed/.test(stdout) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(stdout).toMatch(/sandbox: \d+ deals changed/);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 120_000);
});
