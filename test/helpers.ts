/** Shared test helpers: reading the spec examples and JSON Lines fixtures. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The spec's examples: ../shared/spec/examples beside the checkout, else the copy kept in test/fixtures. */
export const sharedExamplesDir = resolve(repoRoot, '..', 'shared', 'spec', 'examples');
export const vendoredExamplesDir = join(repoRoot, 'test', 'fixtures', 'spec-examples');
export const examplesDir = existsSync(sharedExamplesDir) ? sharedExamplesDir : vendoredExamplesDir;

export function readJsonLines(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

export function exampleCases(dir = examplesDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
