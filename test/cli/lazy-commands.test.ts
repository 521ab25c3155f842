/**
 * `righttouch classify` starts without loading what only the other commands need: the HubSpot
 * client, jsforce, PostgreSQL's driver, the web server and the logger are imported by the commands
 * that use them (src/cli/main.ts), not at every start; the error codes name the connectors' errors
 * without importing them (src/app/errors.ts).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { repoRoot } from '../helpers.ts';

const run = promisify(execFile);

/** The npm packages (CommonJS ones: they land in require's cache) a module loads. */
async function packagesLoadedBy(modulePath: string): Promise<string[]> {
  const code = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(modulePath)});
    const names = Object.keys(createRequire(import.meta.url).cache)
      .map((path) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(path)?.[1])
      .filter((name) => name !== undefined);
    console.log(JSON.stringify([...new Set(names)]));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: repoRoot });
  return JSON.parse(stdout) as string[];
}

test('loading the command line loads neither the HubSpot client, pg, express nor pino', async () => {
  const loaded = await packagesLoadedBy(join(repoRoot, 'src', 'cli', 'main.ts'));
  for (const name of ['@hubspot/api-client', 'pg', 'express', 'pino', 'prom-client'])
    expect(loaded).not.toContain(name);
  // The probe sees CommonJS packages at all: the server module does load them.
  expect(await packagesLoadedBy(join(repoRoot, 'src', 'server', 'serve.ts'))).toEqual(
    expect.arrayContaining(['express', 'pino']),
  );
});

/** Every module (ES and CommonJS, files and packages) that importing `modulePath` loads, via Node's module hooks. */
async function modulesLoadedBy(modulePath: string): Promise<string[]> {
  const code = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    await import(${JSON.stringify(pathToFileURL(modulePath).href)});
    console.log(JSON.stringify(loaded));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: repoRoot });
  return JSON.parse(stdout) as string[];
}

test('the classify command and the command line load nothing of the connectors: no jsforce, no HubSpot client', async () => {
  const crm = (url: string): boolean => /\/connectors\/|\/node_modules\/(jsforce|@hubspot)\//.test(url);
  for (const module of [join('src', 'cli', 'classify-command.ts'), join('src', 'cli', 'main.ts')]) {
    const loaded = await modulesLoadedBy(join(repoRoot, module));
    expect(loaded.length).toBeGreaterThan(10);
    expect(loaded.filter(crm)).toEqual([]);
  }
  // The probe sees them where they are loaded: a sync command loads both connectors.
  const syncing = await modulesLoadedBy(join(repoRoot, 'src', 'cli', 'sync-commands.ts'));
  expect(syncing.some((url) => url.includes('/node_modules/jsforce/'))).toBe(true);
  expect(syncing.some((url) => url.includes('/connectors/hubspot/'))).toBe(true);
});
