/**
 * `righttouch` turns on Node's module compile cache (bin/righttouch.js) before it loads its
 * TypeScript sources: the type-stripped sources and V8's code cache land on disk (by default in
 * node-compile-cache under the temporary directory), so a fresh worker after the first starts
 * without stripping and compiling every module again; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, test } from 'vitest';
import { repoRoot } from '../helpers.ts';

const run = promisify(execFile);
let dir = '';

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Files the command leaves in the compile cache under a temporary directory of its own. */
async function cachedFiles(env: Record<string, string>): Promise<number> {
  dir = await mkdtemp(join(tmpdir(), 'righttouch-compile-cache-'));
  // Not NODE_COMPILE_CACHE: it would turn the cache on by itself.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NODE_')));
  await run(process.execPath, [join(repoRoot, 'bin', 'righttouch.js'), '--help'], {
    cwd: repoRoot,
    env: { ...inherited, TMPDIR: dir, ...env },
  });
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).length;
}

test('the command caches its compiled modules (node-compile-cache under the temporary directory)', async () => {
  // The command line's modules, type-stripped and compiled (dozens of them).
  expect(await cachedFiles({})).toBeGreaterThan(20);
}, 60_000);

test('NODE_DISABLE_COMPILE_CACHE=1 turns the cache off', async () => {
  expect(await cachedFiles({ NODE_DISABLE_COMPILE_CACHE: '1' })).toBe(0);
}, 60_000);
