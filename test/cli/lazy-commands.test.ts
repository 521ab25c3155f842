/**
 * `righttouch classify` starts without loading what only the other commands need: the HubSpot
 * client, PostgreSQL's driver, the web server and the logger are imported by the commands that
 * use them (src/cli/main.ts), not at every start.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
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
