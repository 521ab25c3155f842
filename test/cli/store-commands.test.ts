/** `righttouch history` and `preview` on a store filled by a real sync (against an in-memory CRM). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { sync } from '../../src/sync/engine.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { FakeCrm } from '../sync/fake-connector.ts';

const bin = join(repoRoot, 'bin', 'righttouch.js');
const policy = readJson(join(repoRoot, 'examples', 'policy.json')) as Policy;
let dir: string;
let data: string;

function run(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'righttouch-store-cli-'));
  data = join(dir, 'righttouch.db');
  const store = new SqliteStore(data);
  await store.migrate();
  const installation = await store.upsertInstallation('hubspot', 'portal-1', 'Fake portal');
  const now = Date.parse('2026-11-20T00:00:00Z');
  const crm = new FakeCrm(() => now);
  const won = { hs_is_closed_won: 'true', hs_is_closed: 'true', closedate: '2026-06-01T00:00:00Z' };
  crm.put('companies', 'big', {});
  crm.put('companies', 'mid', {});
  crm.putDeal('d1', 'big', { ...won, amount: '150000' });
  crm.putDeal('d2', 'mid', { ...won, amount: '30000' });
  crm.put('contacts', 'c1', { associatedcompanyid: 'big' });
  const mapping = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
  if (!mapping.ok) throw new Error('invalid mapping');
  await sync({
    store,
    connector: crm,
    mapping: mapping.mapping,
    installationId: installation.id,
    policy,
    full: true,
    clock: () => new Date(now),
  });
  await store.close();
});

describe('righttouch history', () => {
  test("shows a record's tier, reasons and changes", () => {
    const result = run(['history', '--crm', 'hubspot', '--id', 'big', '--data', data]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('company big: high_touch since 2026-11-20T00:00:00.000Z');
    expect(result.stdout).toContain('  - Deal size 150,000 ≥ 100,000 (Enterprise deal size) → High-touch');
    expect(result.stdout).toMatch(/2026-11-20T00:00:00.000Z\s+\(none\)\s+high_touch/);
    const json = JSON.parse(
      run(['history', '--crm', 'hubspot', '--id', 'c1', '--type', 'contact', '--data', data, '--json']).stdout,
    ) as {
      current: { tier: string };
      history: unknown[];
    };
    expect(json.current.tier).toBe('high_touch');
    expect(json.history).toHaveLength(1);
  });

  test("shows a record's next-tier hint, and none for a record in the top tier", () => {
    const mid = run(['history', '--crm', 'hubspot', '--id', 'mid', '--data', data]);
    expect(mid.stdout).toContain('  Next: Deal size 30,000 is 70,000 short of High-touch (≥ 100,000)');
    const json = JSON.parse(run(['history', '--crm', 'hubspot', '--id', 'mid', '--data', data, '--json']).stdout) as {
      current: { hint: string | null };
    };
    expect(json.current.hint).toBe('Deal size 30,000 is 70,000 short of High-touch (≥ 100,000)');
    expect(run(['history', '--crm', 'hubspot', '--id', 'big', '--data', data]).stdout).not.toContain('Next:');
  });

  test('says clearly when there is nothing to show', () => {
    expect(run(['history', '--crm', 'hubspot', '--id', 'nope', '--data', data]).stdout).toContain('No tier recorded');
    const empty = run(['history', '--crm', 'salesforce', '--id', 'x', '--data', data]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no salesforce installation in the store yet');
  });
});

describe('righttouch preview', () => {
  test('shows how a candidate policy would move records, and writes nothing', () => {
    const candidate = structuredClone(policy) as unknown as { company: { rules: { when: { gte?: number } }[] } };
    const firstRule = candidate.company.rules[0];
    // big (150,000) is no longer High-touch, not even within the 10% demotion margin, 40 days on.
    if (firstRule !== undefined) firstRule.when.gte = 200000;
    const file = join(dir, 'candidate.json');
    writeFileSync(file, JSON.stringify(candidate));
    const previewArgs = [
      'preview',
      '--crm',
      'hubspot',
      '--policy',
      file,
      '--data',
      data,
      '--now',
      '2027-01-01T00:00:00Z',
    ];
    const result = run([...previewArgs, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const preview = JSON.parse(result.stdout) as {
      movements: { type: string; from: string; to: string; count: number }[];
      changed: number;
      rewritten: number;
      apiCalls: number;
    };
    expect(preview.movements).toContainEqual({ type: 'company', from: 'high_touch', to: 'mid_touch', count: 1 });
    expect(preview.movements).toContainEqual({ type: 'contact', from: 'high_touch', to: 'mid_touch', count: 1 });
    expect(preview.changed).toBe(2);
    // "mid" (30,000) stays where it is, but its next-tier hint names the new 200,000 threshold: the
    // next sync writes it too (one batched call per type either way).
    expect(preview.rewritten).toBe(1);
    expect(preview.apiCalls).toBe(2);
    // Nothing was written: the stored tier is unchanged.
    expect(run(['history', '--crm', 'hubspot', '--id', 'big', '--data', data]).stdout).toContain('high_touch since');
    const text = run(previewArgs);
    expect(text.stdout).toContain(
      'Applying it would move 2 records to another tier and give 1 more a new reason or next-tier hint: about 2 update calls (nothing was written).',
    );
  });
});
