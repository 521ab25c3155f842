/**
 * Processes sharing one SQLite file wait their turn and never fail with "database is locked"
 * (src/store/sqlite-driver.ts): four processes start together on one new file and each does what
 * `righttouch sync --dry-run` does to the store (test/store/sharer.ts) — migrating it included —
 * with tier writes going on beside them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { readJson, repoRoot } from '../helpers.ts';

const SHARER = fileURLToPath(new URL('./sharer.ts', import.meta.url));
const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function sharer(args: Record<string, unknown>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', SHARER, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

describe('one SQLite file, several processes', () => {
  test('four processes started together on a new file all succeed: one migrates, all share one installation', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'righttouch-shared-')), 'righttouch.db');
    // Node takes a while to start: the processes open the file together at this moment.
    const startAt = Date.now() + 2000;
    const outcomes = await Promise.all([0, 1, 2, 3].map((worker) => sharer({ path, startAt, worker, policy })));
    for (const outcome of outcomes) expect(outcome.code, outcome.stderr).toBe(0);
    const reports = outcomes.map(
      (outcome) => JSON.parse(outcome.stdout) as { installationId: string; runId: string; mirrored: number },
    );
    expect(new Set(reports.map((report) => report.installationId)).size).toBe(1);
    for (const report of reports) expect(report.mirrored).toBe(2000);

    const store = new SqliteStore(path);
    try {
      expect(await store.migrate()).toBe(0);
      const [installation, ...others] = await store.listInstallations();
      expect(others).toEqual([]);
      const runs = await store.listRuns(installation?.id ?? '');
      expect(runs.map((run) => run.id).sort()).toEqual(reports.map((report) => report.runId).sort());
      expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);

  test('in one process, transactions on two connections to one file take turns: no wait on itself, no version twice', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'righttouch-shared-')), 'righttouch.db');
    const a = new SqliteStore(path);
    const b = new SqliteStore(path);
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      const installation = await a.upsertInstallation('hubspot', 'portal-1');
      const saved = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).savePolicy(installation.id, policy)),
      );
      expect(saved.map((version) => version.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
