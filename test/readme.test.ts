/** The README shows admins a policy and commands: keep them true. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { validatePolicy } from '../src/core/index.ts';
import { readJson, repoRoot } from './helpers.ts';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

test('the policy shown to admins is valid and is the bundled example', () => {
  const section = readme.slice(readme.indexOf('## The policy, for admins'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  expect(block).toBeDefined();
  const shown = JSON.parse(block ?? '') as unknown;
  expect(validatePolicy(shown).ok).toBe(true);
  expect(shown).toEqual(readJson(join(repoRoot, 'examples', 'policy.json')));
});

test('the first lines give the install-and-run and the test commands, and both scripts exist', () => {
  const firstBlock = /```sh\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? '';
  expect(firstBlock).toContain('npm install && npm start');
  expect(firstBlock).toContain('npm test');
  const scripts = (readJson(join(repoRoot, 'package.json')) as { scripts: Record<string, string> }).scripts;
  expect(scripts['start']).toMatch(
    /^node (--max-semi-space-size=16 --heap-growing-percent=30 )?bin\/righttouch.js start$/,
  );
  expect(scripts['demo']).toContain('classify');
  expect(scripts['test']).toContain('test:unit');
  expect(scripts['test:unit']).toContain('vitest');
});
