/**
 * The layer rules (eslint.layers.js, README "Architecture") catch what they promise: each case
 * lints one import, as it would appear in a file of that folder, with only the layer rules on.
 * `npm run lint` applies the same rules to every file; this test shows they bite.
 */
import { ESLint } from 'eslint';
import { parser } from 'typescript-eslint';
import { describe, expect, test } from 'vitest';
import { layers } from '../../eslint.layers.js';
import { repoRoot } from '../helpers.ts';

const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser } }, layers],
});

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: `${repoRoot}/${file}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? 'parse'}: ${message.message}`);
}

describe('the layer rules', () => {
  test.each([
    ['src/core/probe.ts', "import { openStore } from '../app/store.ts';", 'core may not import app'],
    ['src/store/probe.ts', "import { sync } from '../sync/engine.ts';", 'store may not import sync'],
    [
      'src/sync/probe.ts',
      "import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';",
      'sync may not import connectors',
    ],
    [
      'connectors/hubspot/probe.ts',
      "import { createApp } from '../../src/server/app.ts';",
      'connectors may not import server',
    ],
    ['src/app/probe.ts', "import { serve } from '../server/serve.ts';", 'app may not import server'],
    ['src/jobs/probe.ts', "import { createApp } from '../server/app.ts';", 'jobs may not import server'],
    ['src/server/probe.ts', "import { EXIT_BAD_INPUT } from '../cli/errors.ts';", 'server may not import cli'],
    [
      'src/cli/probe.ts',
      "import { createSandbox } from '../../sandbox/hubspot/server.ts';",
      'cli may not import sandbox',
    ],
    ['sandbox/hubspot/probe.ts', "import { classify } from '../../src/core/index.ts';", 'sandbox may not import core'],
    ['ui/src/probe.ts', "import { createApp } from '../../src/server/app.ts';", 'ui may not import server'],
  ])('%s: %s is refused', async (file, code, expected) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(expected);
  });

  test.each([
    ['src/server/probe.ts', "import { activePolicy } from '../app/policy.ts';"],
    ['src/jobs/probe.ts', "import { activePolicy } from '../app/policy.ts';"],
    ['src/app/probe.ts', "import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';"],
    ['connectors/hubspot/probe.ts', "import type { Connector } from '../../src/sync/connector.ts';"],
    // the one product module that starts the sandboxes
    ['src/cli/start-command.ts', "import { createSandbox } from '../../sandbox/hubspot/server.ts';"],
    // the sandboxes and the UI take types only
    ['sandbox/hubspot/probe.ts', "import type { CanonicalRecord } from '../../src/core/index.ts';"],
    ['ui/src/probe.ts', "import type { InstallationResponse } from '../../src/server/api-types.ts';"],
    // tests stand outside the layers
    ['test/probe.test.ts', "import { createSandbox } from '../sandbox/hubspot/server.ts';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
