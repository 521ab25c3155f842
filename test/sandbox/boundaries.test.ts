/**
 * Who may import the sandboxes, and what they may import: the sandbox CRMs (sandbox/) take nothing
 * from the product but its types (`import type`), so they stay an independent double; the product
 * (src/, connectors/, mappings/, bin/, ui/) imports no sandbox except `npm start`'s command.
 * Tests, benches and scripts may import both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../helpers.ts';

interface ImportLine {
  readonly file: string;
  readonly specifier: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx|js|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !file.includes('/node_modules/') && !file.includes('/dist/'));
}

/** Static imports and re-exports (one or more lines), side-effect imports and dynamic `import()`. */
function importsIn(text: string, file: string): ImportLine[] {
  const found: ImportLine[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/gm)) {
    found.push({ file, specifier: match[3] ?? '', typeOnly: match[2] !== undefined });
  }
  for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) {
    found.push({ file, specifier: match[1] ?? '', typeOnly: false });
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ file, specifier: match[1] ?? '', typeOnly: false });
  }
  return found;
}

function importsOf(file: string): ImportLine[] {
  return importsIn(readFileSync(file, 'utf8'), file);
}

/** The repository-relative path a relative specifier points at (undefined for packages). */
function target(line: ImportLine): string | undefined {
  if (!line.specifier.startsWith('.')) return undefined;
  return relative(repoRoot, resolve(dirname(line.file), line.specifier));
}

describe('sandbox boundaries', () => {
  test('the parser sees multi-line, type-only, side-effect and dynamic imports', () => {
    const text = [
      "import {\n  a,\n  type B,\n} from '../src/a.ts';",
      "import type { C } from '../src/c.ts';",
      "export { d } from './d.ts';",
      "import '../src/e.ts';",
      "const f = await import('../src/f.ts');",
    ].join('\n');
    const lines = importsIn(text, join(repoRoot, 'sandbox', 'x.ts')).map(
      (line) => `${line.typeOnly ? 'type ' : ''}${target(line) ?? line.specifier}`,
    );
    expect(lines).toEqual(['src/a.ts', 'type src/c.ts', 'sandbox/d.ts', 'src/e.ts', 'src/f.ts']);
  });

  test('the parser reads the real files', () => {
    const probe = join(repoRoot, 'sandbox', 'hubspot', 'webhooks.ts');
    const lines = importsOf(probe).map((line) => `${line.typeOnly ? 'type ' : ''}${target(line) ?? line.specifier}`);
    expect(lines).toContain('sandbox/hubspot/signature.ts');
    expect(lines).toContain('express');
    expect(importsOf(join(repoRoot, 'src', 'cli', 'start-command.ts')).map(target)).toContain(
      'sandbox/hubspot/server.ts',
    );
  });

  test('the sandboxes import nothing from the product but its types', () => {
    const offending = sourceFiles(join(repoRoot, 'sandbox'))
      .flatMap(importsOf)
      .filter((line) => {
        const path = target(line);
        return path !== undefined && !path.startsWith('sandbox/') && !line.typeOnly;
      })
      .map((line) => `${relative(repoRoot, line.file)} imports ${line.specifier}`);
    expect(offending).toEqual([]);
  });

  test("the product imports no sandbox but npm start's command", () => {
    const product = ['src', 'connectors', 'mappings', 'bin', 'ui'].flatMap((dir) => sourceFiles(join(repoRoot, dir)));
    const importers = product
      .flatMap(importsOf)
      .filter((line) => target(line)?.startsWith('sandbox/') === true)
      .map((line) => relative(repoRoot, line.file));
    expect([...new Set(importers)]).toEqual(['src/cli/start-command.ts']);
  });
});
