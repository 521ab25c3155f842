/** `righttouch serve` and `righttouch api-key` as an admin runs them. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { runCli, tempDir } from '../e2e/helpers.ts';
import { repoRoot } from '../helpers.ts';

describe('righttouch serve', () => {
  it('starts, answers /healthz and the admin API with a key from `api-key`, and stops cleanly on SIGTERM', async () => {
    const data = join(tempDir(), 'righttouch.db');
    const store = new SqliteStore(data);
    await store.migrate();
    await store.upsertInstallation('hubspot', '4242', 'Acme');
    await store.close();
    const key = await runCli(['api-key', '--label', 'test', '--crm', 'hubspot', '--data', data]);
    expect(key.code, key.stderr).toBe(0);
    const apiKey = key.stdout.trim();
    expect(apiKey).toMatch(/^rt_/);
    expect((await runCli(['api-key', '--label', 'x', '--data', data])).code).toBe(2);

    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'righttouch.js'), 'serve', '--data', data, '--port', '0'],
      {
        cwd: repoRoot,
        env: { ...process.env, RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => {
        reject(new Error(`serve exited with ${String(code)}: ${stdout}`));
      });
    });
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true, installations: 1 });
      const list = (await (
        await fetch(`${url}/api/installations`, { headers: { authorization: `Bearer ${apiKey}` } })
      ).json()) as {
        installations: { externalId: string }[];
      };
      expect(list.installations.map((i) => i.externalId)).toEqual(['4242']);
      expect((await fetch(`${url}/api/installations`)).status).toBe(401);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    // Its log lines are JSON and carry no key.
    expect(stdout).not.toContain(apiKey);
  }, 60_000);

  it('refuses to start in production without the secret key or public address, saying which', async () => {
    const result = await runCli(['serve', '--data', join(tempDir(), 'r.db')], {
      NODE_ENV: 'production',
      RIGHTTOUCH_SECRET_KEY: '',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PUBLIC_BASE_URL is not set|RIGHTTOUCH_SECRET_KEY is not set/);
  });

  it('on SQLite, `serve --no-worker` and `worker` refuse to start: the syncs run in serve itself', async () => {
    const data = join(tempDir(), 'r.db');
    const key = { RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') };
    const split = await runCli(['serve', '--no-worker', '--data', data, '--port', '0'], key);
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/--no-worker needs DATABASE_URL/);
    const worker = await runCli(['worker', '--data', data], key);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toMatch(/righttouch worker needs DATABASE_URL/);
  });
});
