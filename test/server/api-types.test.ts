/**
 * The admin API's bodies are declared once, on the server (src/server/api-types.ts), and the UI
 * takes them from there: ui/src/types.ts declares nothing of its own, and api-types.ts imports
 * only types (so the UI bundle gets no server code). The shapes themselves are checked by the
 * type checker where the routes send them (`satisfies`) and where the UI reads them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.ts';

const source = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('admin API types', () => {
  it('the UI re-exports the server’s declarations instead of its own', () => {
    const ui = code(source('ui/src/types.ts'));
    expect(ui).toContain("from '../../src/server/api-types.ts'");
    expect(ui).not.toMatch(/\b(interface|type\s+\w+\s*=)/);
  });

  it('api-types.ts is types only: type imports, and nothing that runs', () => {
    const text = code(source('src/server/api-types.ts'));
    const statements = text
      .split(/;\s*\n|\n(?=export |import )/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const statement of statements) {
      if (statement.startsWith('import ')) expect(statement).toMatch(/^import type /);
      else if (statement.startsWith('export ')) expect(statement).toMatch(/^export (type|interface) /);
    }
    expect(text).not.toMatch(/^(const|let|function|class)\b|^export (const|let|function|class|default)\b/m);
    for (const name of ['InstallationsResponse', 'PreviewResponse', 'UiConfig', 'SettingsResponse']) {
      expect(text).toContain(`export interface ${name}`);
    }
  });

  it('the routes check what they send against them', () => {
    const admin = source('src/server/routes/admin.ts');
    for (const name of ['InstallationsResponse', 'PolicyResponse', 'PreviewResponse', 'RecordResponse']) {
      expect(admin).toContain(`satisfies ${name}`);
    }
    expect(source('src/server/app.ts')).toContain('satisfies UiConfig');
  });
});
