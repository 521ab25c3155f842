/**
 * Vitest global setup: the PostgreSQL that the store suites (and the multi-process worker test)
 * run on besides SQLite. DATABASE_URL when set; else a throwaway server that
 * scripts/postgres.sh starts in a temporary folder (unix socket only, no TCP port) and that is
 * stopped and removed after the run. The URL reaches the tests through `inject('databaseUrl')`;
 * when there is none, `postgresUnavailable` says why (the suites then fail under CI and are
 * skipped elsewhere, see engines.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../helpers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL for the store suites; '' when there is none. */
    databaseUrl: string;
    /** Why there is no PostgreSQL ('' when there is one). */
    postgresUnavailable: string;
  }
}

const run = promisify(execFile);
const script = join(repoRoot, 'scripts', 'postgres.sh');

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env['DATABASE_URL']?.trim() ?? '';
  // The other suites keep to SQLite: the CLI and server processes they spawn inherit the
  // environment, and would otherwise open this database instead of their own file.
  delete process.env['DATABASE_URL'];
  if (fromEnv !== '') {
    project.provide('databaseUrl', fromEnv);
    project.provide('postgresUnavailable', '');
    return undefined;
  }

  const dir = mkdtempSync(join(tmpdir(), 'rt-pg-'));
  const forget = (): void => {
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { stdout } = await run('bash', [script, 'start', dir], { timeout: 120_000 });
    project.provide('databaseUrl', stdout.trim());
    project.provide('postgresUnavailable', '');
  } catch (error) {
    forget();
    const failure = error as { code?: unknown; stderr?: unknown };
    const detail = typeof failure.stderr === 'string' ? failure.stderr.trim() : String(error);
    project.provide('databaseUrl', '');
    project.provide(
      'postgresUnavailable',
      failure.code === 3
        ? `DATABASE_URL is not set and PostgreSQL's server binaries are not installed to start one (${detail})`
        : `DATABASE_URL is not set and a local PostgreSQL did not start: ${detail}`,
    );
    return undefined;
  }
  return async () => {
    try {
      await run('bash', [script, 'stop', dir], { timeout: 60_000 });
    } finally {
      forget();
    }
  };
}
