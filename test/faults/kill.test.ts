/**
 * `kill -9` at random points in 20 syncs (child processes) against the sandbox while the CRM keeps
 * changing, then a last sync to the end: nothing is lost or doubled. A full re-read afterwards
 * finds nothing to write (the cursors never skipped a change); every record's history is a chain
 * with no gaps or repeats, ending in the tier the store and the CRM show.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { generatePortal, mutate } from '../../sandbox/hubspot/generate.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { createRng } from '../../sandbox/shared/prng.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { crmTiers, runCli, tempDir } from '../e2e/helpers.ts';

const TOKEN = 'pat-kill';
let running: RunningSandbox | undefined;
afterAll(async () => {
  await running?.close();
});

describe('kill -9 during syncs', () => {
  test('20 syncs killed at random points while the CRM changes lose and double nothing', async () => {
    const portal = generatePortal({ seed: 99, companies: 200, contacts: 800, deals: 300 });
    let requests = 0;
    const sandbox = createSandbox({
      portal,
      token: TOKEN,
      limits: { perWindow: 1100, windowMs: 10_000, searchPerSecond: 50 },
      log: () => {
        requests++;
      },
    });
    running = await sandbox.listen(0);
    const data = join(tempDir(), 'righttouch.db');
    const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_URL: running.url };
    const args = ['sync', '--crm', 'hubspot', '--data', data];
    expect((await runCli(['setup', '--crm', 'hubspot', '--data', data], env)).code).toBe(0);

    const rng = createRng(2026);
    let killed = 0;
    for (let i = 0; i < 20; i++) {
      if (i % 4 === 3) mutate(portal, { deals: 10, contacts: 10, seed: 500 + i });
      requests = 0;
      const threshold = rng.int(1, 12);
      const result = await runCli(args, env, () => requests >= threshold);
      if (result.signal === 'SIGKILL') killed++;
      else expect(result.code, result.stderr).toBe(0);
    }
    expect(killed).toBeGreaterThanOrEqual(10);
    mutate(portal, { deals: 10, contacts: 10, seed: 999 });
    const last = await runCli([...args, '--json'], env);
    expect(last.code, last.stderr).toBe(0);

    const full = await runCli([...args, '--full', '--json'], env);
    expect(full.code, full.stderr).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({ changed: 0, written: 0 });

    const store = new SqliteStore(data);
    const [installation] = await store.listInstallations();
    const id = installation?.id ?? '';
    const crm = crmTiers(portal);
    for await (const stored of store.storedTiers(id)) {
      const key = `${stored.type}:${stored.id}`;
      expect(crm.get(key), key).toBe(`${stored.tier} | ${stored.reasons.join('; ')}`);
      const history = await store.history(id, stored.type, stored.id);
      expect(history.length, key).toBeGreaterThan(0);
      expect(history[0]?.oldTier, key).toBeNull();
      for (let k = 1; k < history.length; k++) {
        expect(history[k]?.oldTier, `${key} #${k}`).toBe(history[k - 1]?.newTier);
        expect(history[k]?.newTier, `${key} #${k}`).not.toBe(history[k - 1]?.newTier);
      }
      expect(history.at(-1)?.newTier, key).toBe(stored.tier);
    }
    const runs = await store.listRuns(id, 100);
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    await store.close();
  }, 180_000);
});
