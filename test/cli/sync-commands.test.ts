/** `setup` and `sync` commands, wired to an in-memory CRM (the HubSpot connector has its own tests). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { runSetup, runSync } from '../../src/cli/sync-commands.ts';
import { InputError } from '../../src/cli/errors.ts';
import { DEFAULT_POLICY_FILE } from '../../src/app/paths.ts';
import { loadPolicy } from '../../src/app/policy.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Tier } from '../../src/core/index.ts';
import type { SetupOptions } from '../../src/sync/connector.ts';
import { FakeCrm } from '../sync/fake-connector.ts';

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
