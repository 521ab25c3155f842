/**
 * The README invites running `history` or `preview` while `npm start` syncs: processes on one
 * SQLite file wait their turn, never fail. Four `righttouch sync --dry-run` processes started
 * together on one new store file (each migrating, registering the installation, saving the default
 * policy, recording its run and mirroring the portal) and a `history` beside them all succeed.
 */
import { afterEach, expect, test } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.ts';

const TOKEN = 'pat-e2e-sharing';
const open: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((running) => running.close()));
});

test('four sync --dry-run processes and a history on one new SQLite file all succeed', async () => {
  const portal = generatePortal({ seed: 41, companies: 200, contacts: 800, deals: 300 });
  const running = await createSandbox({
    portal,
    token: TOKEN,
    limits: { perWindow: 1100, windowMs: 10_000, searchPerSecond: 50 },
  }).listen(0);
  open.push(running);
  const data = join(tempDir(), 'righttouch.db');
  const firstCompany = [...portal.objects.companies.records.keys()][0] ?? '';
  const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_URL: running.url };

  const runs = await Promise.all([
    ...[0, 1, 2, 3].map(() => runCli(['sync', '--crm', 'hubspot', '--data', data, '--dry-run'], env)),
    runCli(['history', '--crm', 'hubspot', '--id', firstCompany, '--data', data], env),
  ]);
  for (const run of runs.slice(0, 4)) {
    expect(run.stderr).not.toMatch(/locked|SQLITE_BUSY|already exists|UNIQUE/i);
    expect(run.code, run.stderr).toBe(0);
  }
  // history may find nothing yet, but never a locked database
  expect(runs[4]?.stderr).not.toMatch(/locked|SQLITE_BUSY/i);

  const store = new SqliteStore(data);
  try {
    const installations = await store.listInstallations();
    expect(installations).toHaveLength(1);
    const runsRecorded = await store.listRuns(installations[0]?.id ?? '');
    expect(runsRecorded.length).toBe(4);
    // a dry run writes no tiers
    expect(await store.storedTier(installations[0]?.id ?? '', 'company', firstCompany)).toBeUndefined();
  } finally {
    await store.close();
  }
}, 180_000);
