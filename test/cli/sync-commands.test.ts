/**
 * `setup` and `sync` commands, wired to an in-memory CRM (the HubSpot connector has its own tests);
 * `sync` under the installation's lease, beside a server run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { runSetup, runSync } from '../../src/cli/sync-commands.ts';
import { EXIT_BUSY, exitCodeOf, InputError, InstallationBusyError } from '../../src/cli/errors.ts';
import { hostIdentity, processHolder, takeLease } from '../../src/jobs/lease.ts';
import { DEFAULT_POLICY_FILE } from '../../src/app/paths.ts';
import { loadPolicy } from '../../src/app/policy.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Tier } from '../../src/core/index.ts';
import type { SetupOptions } from '../../src/sync/connector.ts';
import { FakeCrm } from '../sync/fake-connector.ts';
import { describeEachEngine } from '../store/engines.ts';

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function seededCrm(now: () => number): FakeCrm {
  const crm = new FakeCrm(now);
  crm.put('companies', 'big', {});
  crm.putDeal('d1', 'big', {
    amount: '150000',
    hs_is_closed_won: 'true',
    hs_is_closed: 'true',
    closedate: '2026-06-01',
  });
  crm.put('contacts', 'c1', { associatedcompanyid: 'big' });
  return crm;
}

describe('righttouch sync / setup', () => {
  test('the first sync is full, stores the installation and the default policy, and says what it wrote', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'righttouch-sync-cli-')), 'righttouch.db');
    let now = Date.parse('2026-11-20T00:00:00Z');
    const crm = seededCrm(() => now);
    const out = output();
    const io = { stdout: out.stream, env: {}, connectorFor: () => crm, clock: () => new Date(now) };
    const first = await runSync({ crm: 'hubspot', data }, io);
    expect(first.kind).toBe('full');
    expect(out.text()).toContain('full sync: read 1 companies, 1 contacts, 1 deals');
    expect(out.text()).toContain('2 of 2 records changed tier or reason; 2 written in 2 update calls');
    now += 60_000;
    const second = await runSync({ crm: 'hubspot', data, json: true }, io);
    expect(second).toMatchObject({ kind: 'incremental', written: 0 });

    const store = new SqliteStore(data);
    const [installation] = await store.listInstallations();
    expect(installation).toMatchObject({ crm: 'hubspot', externalId: 'portal-1', name: 'Fake portal' });
    expect(await store.listPolicies(installation?.id ?? '')).toHaveLength(1);
    await store.close();
  });

  test("run from another directory, the default policy and mapping are still the package's", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'righttouch-cwd-'));
    const data = join(elsewhere, 'righttouch.db');
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      const crm = seededCrm(() => 0);
      const report = await runSync(
        { crm: 'hubspot', data },
        { stdout: output().stream, env: {}, connectorFor: () => crm },
      );
      expect(report).toMatchObject({ kind: 'full', written: 2 });
    } finally {
      process.chdir(cwd);
    }
    const store = new SqliteStore(data);
    const [installation] = await store.listInstallations();
    expect((await store.activePolicy(installation?.id ?? ''))?.policy).toEqual(await loadPolicy(DEFAULT_POLICY_FILE));
    await store.close();
  });

  test('setup reports what it set up', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'righttouch-setup-cli-')), 'righttouch.db');
    const out = output();
    await runSetup({ crm: 'hubspot', data }, { stdout: out.stream, env: {}, connectorFor: () => seededCrm(() => 0) });
    expect(out.text()).toContain('hubspot account portal-1 (Fake portal)');
    expect(out.text()).toContain('  - option high_touch');
  });

  test('setup --lists off stores the setting and sets up without lists; a bad value is refused', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'righttouch-setup-lists-')), 'righttouch.db');
    const seen: unknown[] = [];
    class Recording extends FakeCrm {
      override setup(tiers: readonly Tier[], options?: SetupOptions) {
        seen.push(options);
        return super.setup(tiers);
      }
    }
    const io = { stdout: output().stream, env: {}, connectorFor: () => new Recording(() => 0) };
    await runSetup({ crm: 'hubspot', data, lists: 'off' }, io);
    expect(seen).toEqual([{ lists: false, layouts: true, knownLists: [] }]);
    const store = new SqliteStore(data);
    try {
      const [installation] = await store.listInstallations();
      expect(installation?.settings).toEqual({ crmLists: false });
    } finally {
      await store.close();
    }
    await expect(runSetup({ crm: 'hubspot', data, lists: 'maybe' }, io)).rejects.toThrow(/--lists must be on or off/);
  });

  test('without a token, a clear error', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'righttouch-token-cli-')), 'righttouch.db');
    await expect(runSync({ crm: 'hubspot', data }, { stdout: output().stream, env: {} })).rejects.toThrow(InputError);
    await expect(runSync({ crm: 'hubspot', data }, { stdout: output().stream, env: {} })).rejects.toThrow(
      /HUBSPOT_ACCESS_TOKEN is not set/,
    );
  });
});

describeEachEngine('righttouch sync and the lease of the server', (engine) => {
  /** A store with the installation, and a CRM whose records would all be written by a first sync. */
  async function prepared(prefix: string) {
    const data = join(mkdtempSync(join(tmpdir(), prefix)), 'righttouch.db');
    const spec = engine.create();
    const crm = seededCrm(() => Date.parse('2026-11-20T00:00:00Z'));
    const progress = output();
    const io = {
      stdout: output().stream,
      env: {},
      connectorFor: () => crm,
      progress: progress.stream,
      // Each command opens (and closes) its own connection, as a process of its own would.
      openStore: async () => {
        const opened = engine.open(spec);
        await opened.migrate();
        return opened;
      },
    };
    const store = engine.open(spec);
    await store.migrate();
    const installation = await store.upsertInstallation('hubspot', 'portal-1', 'Fake portal');
    return { data, crm, io, progress, store, name: `sync:${installation.id}`, installation };
  }

  test('refuses while a server run holds the lease (exit code 3, saying who and until when), and writes nothing', async () => {
    const { data, crm, io, store, name, installation } = await prepared('righttouch-sync-busy-');
    const server = await takeLease({ store, holder: processHolder('server') }, name);
    try {
      const until = (await store.leaseHolder(name))?.expiresAt ?? 0;
      const error: unknown = await runSync({ crm: 'hubspot', data }, io).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstallationBusyError);
      expect(exitCodeOf(error)).toBe(EXIT_BUSY);
      expect((error as Error).message).toBe(
        `another sync of hubspot account portal-1 is running: the server on host ${hostname()} (pid ${process.pid}) ` +
          `holds its lease until ${new Date(until).toISOString()} (renewed while it runs); nothing done. ` +
          'Run again when it has ended, or wait for it with --wait <seconds>.',
      );
      expect(crm.updateCalls).toEqual([]);
      expect(await store.listRuns(installation.id, 10)).toEqual([]);
    } finally {
      await server?.release();
      await store.close();
    }
  });

  test('a dry run previews beside a server run: it takes no lease and writes nothing', async () => {
    const { data, crm, io, store, name } = await prepared('righttouch-sync-dry-');
    const server = await takeLease({ store, holder: processHolder('server') }, name);
    try {
      const holder = await store.leaseHolder(name);
      await expect(runSync({ crm: 'hubspot', data, dryRun: true }, io)).resolves.toMatchObject({
        dryRun: true,
        changed: 2,
      });
      expect(crm.updateCalls).toEqual([]);
      expect(await store.leaseHolder(name)).toEqual(holder);
    } finally {
      await server?.release();
      await store.close();
    }
  });

  test('with --wait, waits for the server run to end, then syncs and gives the lease back', async () => {
    const { data, crm, io, progress, store, name } = await prepared('righttouch-sync-wait-');
    const server = await takeLease({ store, holder: processHolder('server') }, name);
    setTimeout(() => void server?.release(), 300);
    try {
      const report = await runSync({ crm: 'hubspot', data, wait: 30 }, io);
      expect(report).toMatchObject({ kind: 'full', written: 2 });
      expect(crm.updateCalls.length).toBeGreaterThan(0);
      expect(progress.text()).toContain(
        `Another sync of hubspot account portal-1 is running: the server on host ${hostname()} (pid ${process.pid}) holds its lease until`,
      );
      expect(await store.leaseHolder(name)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test('with --wait, gives up after that long if the run still holds it', async () => {
    const { data, crm, io, store, name } = await prepared('righttouch-sync-wait-out-');
    const server = await takeLease({ store, holder: processHolder('server') }, name);
    try {
      const started = Date.now();
      await expect(runSync({ crm: 'hubspot', data, wait: 1.5 }, io)).rejects.toThrow(
        /is running: the server on host .* It was still running after 1\.5 s; run again later or wait longer/,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      expect(crm.updateCalls).toEqual([]);
    } finally {
      await server?.release();
      await store.close();
    }
  });

  test('takes over at once the lease of a command of this host that was killed (its process is gone)', async () => {
    const { data, io, store, name } = await prepared('righttouch-sync-dead-');
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    const dead = `cli:${hostIdentity()}:${child.pid ?? 0}:ab12cd34/run`;
    expect(await store.acquireLease(name, dead, 2 * 60_000, Date.now())).toBe(true);
    try {
      const started = Date.now();
      await expect(runSync({ crm: 'hubspot', data }, io)).resolves.toMatchObject({ kind: 'full', written: 2 });
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await store.leaseHolder(name)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
