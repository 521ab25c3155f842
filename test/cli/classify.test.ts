/** `righttouch classify` and `validate` as a user runs them: real process, real files, exit codes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { examplesDir, readJsonLines, repoRoot } from '../helpers.ts';

const bin = join(repoRoot, 'bin', 'righttouch.js');
const walkthrough = join(examplesDir, 'walkthrough');
let dir: string;

function run(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, cwd: repoRoot });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const policyArgs = ['--policy', join(walkthrough, 'policy.json')];
/** The walkthrough case as a user runs it, with its previous tiers and clock. */
const walkthroughRun = [
  'classify',
  ...policyArgs,
  '--records',
  join(walkthrough, 'records.jsonl'),
  '--previous',
  join(walkthrough, 'previous.jsonl'),
  '--now',
  '2026-11-20T00:00:00Z',
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'righttouch-cli-'));
});

describe('righttouch classify', () => {
  test('writes one decision per record, in input order, with reasons', () => {
    const result = run([...walkthroughRun]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const decisions = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(decisions.map(({ type, id, tier }) => ({ type, id, tier }))).toEqual(
      readJsonLines(join(walkthrough, 'expected.jsonl')),
    );
    expect(Object.keys(decisions[0] ?? {})).toEqual(['type', 'id', 'tier', 'reasons', 'next']);
    expect(decisions.find((d) => d['id'] === 'a')?.['reasons']).toEqual([
      'Deal size 120,000 ≥ 100,000 (Enterprise deal size) → High-touch',
      'Over High-touch capacity (2 seats; ranked 5th by incumbency, deal size) → Mid-touch',
    ]);
  });

  test('every decision carries next as spec §8 writes it: the hint, or null (next.jsonl)', () => {
    const result = run([...walkthroughRun]);
    expect(result.code).toBe(0);
    const decisions = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(decisions.map(({ type, id, next }) => ({ type, id, next }))).toEqual(
      readJsonLines(join(walkthrough, 'next.jsonl')),
    );
    // f: held at High-touch by its 30 days, then no seat → Mid-touch; 95,000 → 100,000 would do it.
    expect(decisions.find((d) => d['id'] === 'f')?.['next']).toEqual({
      tier: 'high_touch',
      field: 'dealSize',
      op: 'gte',
      value: 100000,
    });
  });

  test('--summary prints tier counts, movements and capacity on stderr only', () => {
    const result = run([...walkthroughRun, '--summary']);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(14);
    expect(result.stderr).toMatch(/Mid-touch\s+6\s+0\n/);
    expect(result.stderr).toMatch(/Companies: 9 of 10 changed tier/);
    expect(result.stderr).toMatch(/High-touch\s+0\s+0\s+1\s+1\n/);
    expect(result.stderr).toMatch(/High-touch\s+2\s+6\s+1\s+2\s+4\n/);
  });

  test('reads records from stdin with "-" and keeps blank lines harmless', () => {
    const input = [
      '{"type":"contact","id":"k","companyId":"c1","fields":{}}',
      '',
      '{"type":"company","id":"c1","fields":{"dealSize":"30000"}}',
    ].join('\n');
    const result = run(['classify', ...policyArgs, '--records', '-', '--now', '2026-11-20T00:00:00Z'], input);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { tier: string }).tier),
    ).toEqual(['mid_touch', 'mid_touch']);
  });

  test('a malformed line: exit 2, file and line named, nothing on stdout', () => {
    const records = file(
      'bad.jsonl',
      ['{"type":"company","id":"a","fields":{}}', '', '{"type":"company","id":"b","fields":{}', ''].join('\n'),
    );
    const result = run(['classify', ...policyArgs, '--records', records]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${records}:3: not valid JSON`);
  });

  test.each([
    ['{"type":"account","id":"a","fields":{}}', '"type" must be "company" or "contact", got "account"'],
    ['{"type":"company","id":"","fields":{}}', '"id" must be a non-empty string, got ""'],
    ['{"type":"company","id":7,"fields":{}}', '"id" must be a non-empty string, got 7'],
    ['{"type":"company","id":"a","fields":[]}', '"fields" must be an object'],
    ['[1,2]', 'expected a JSON object'],
  ])('record shape problems are named: %s', (line, message) => {
    const result = run(['classify', ...policyArgs, '--records', file('shape.jsonl', `${line}\n`)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`shape.jsonl:1: ${message}`);
  });

  test('a repeated id is refused with both lines', () => {
    const records = file(
      'dup.jsonl',
      '{"type":"contact","id":"a","fields":{}}\n{"type":"company","id":"a","fields":{}}\n{"type":"contact","id":"a","fields":{}}\n',
    );
    const result = run(['classify', ...policyArgs, '--records', records]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('dup.jsonl:3: contact id "a" appears twice (first on line 1)');
  });

  test('a contact whose "type" is not its first key is read the same; a repeated "type" is refused', () => {
    const records = file(
      'order.jsonl',
      '{"id":"k","type":"contact","companyId":"c1","fields":{}}\n{"type":"company","id":"c1","fields":{"dealSize":30000}}\n',
    );
    const ok = run(['classify', ...policyArgs, '--records', records, '--now', '2026-11-20T00:00:00Z']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('{"type":"contact","id":"k","tier":"mid_touch"');
    const twice = run([
      'classify',
      ...policyArgs,
      '--records',
      file('twice.jsonl', '{"type":"contact","id":"x","fields":{},"type":"company"}\n'),
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stdout).toBe('');
    expect(twice.stderr).toContain('twice.jsonl:1: "type" appears more than once');
  });

  test('a malformed contact line after many good ones still writes nothing', () => {
    const good = Array.from({ length: 5000 }, (_, i) => `{"type":"contact","id":"c${i}","fields":{"leadScore":${i}}}`);
    const records = file('late.jsonl', [...good, '{"type":"contact","id":"bad","fields":7}'].join('\n'));
    const result = run(['classify', ...policyArgs, '--records', records]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('late.jsonl:5001: "fields" must be an object');
  });

  test('garbage field values are treated as missing, never a crash', () => {
    const records = file(
      'garbage.jsonl',
      [
        '{"type":"company","id":"g1","fields":{"dealSize":{"amount":5},"employees":[1],"supportPlan":1e400}}',
        `{"type":"company","id":"g2","fields":{"dealSize":"${'9'.repeat(500)}","prefersDigital":"✓"}}`,
        '{"type":"contact","id":"g3","companyId":null,"override":{"x":1},"fields":{"leadScore":"ＮＡＮ"}}',
      ].join('\n'),
    );
    const result = run(['classify', ...policyArgs, '--records', records, '--now', '2026-11-20T00:00:00Z']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const tiers = result.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { tier: string }).tier);
    expect(tiers).toEqual(['tech_touch', 'high_touch', 'tech_touch']);
  });

  test('an invalid policy: exit 2 with every problem and its path, nothing on stdout', () => {
    const policy = file(
      'policy.json',
      JSON.stringify({
        version: 1,
        tiers: [
          { value: 'low', label: 'Low' },
          { value: 'high', label: 'High' },
        ],
        company: { rules: [{ tier: 'hi_touch', when: { field: 'dealSize', gtee: 1 } }] },
      }),
    );
    const result = run(['classify', '--policy', policy, '--records', join(walkthrough, 'records.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('invalid policy (3 problems)');
    expect(result.stderr).toContain('company.rules[0].tier: "hi_touch" is not a tier (low, high)');
    expect(result.stderr).toContain('company.rules[0].when.gtee: unknown key (did you mean "gte"?)');
  });

  test('unreadable files and a bad --now exit 2', () => {
    const missing = run(['classify', ...policyArgs, '--records', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.jsonl: cannot read');
    const badPrevious = run([
      'classify',
      ...policyArgs,
      '--records',
      join(walkthrough, 'records.jsonl'),
      '--previous',
      file('prev.jsonl', '{"type":"company","id":"a","tier":"high_touch","since":"last week"}\n'),
    ]);
    expect(badPrevious.code).toBe(2);
    expect(badPrevious.stderr).toContain('prev.jsonl:1: "since" must be an ISO 8601 time, got "last week"');
    const badNow = run(['classify', ...policyArgs, '--records', join(walkthrough, 'records.jsonl'), '--now', 'soon']);
    expect(badNow.code).toBe(2);
    expect(badNow.stdout).toBe('');
  });

  test('usage errors exit 2', () => {
    const result = run(['classify', '--records', 'x.jsonl']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--policy <file>' not specified");
  });
});

describe('righttouch validate', () => {
  test('a valid policy: exit 0 and a one-line description', () => {
    const result = run(['validate', ...policyArgs]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid policy — Tech-touch < Low-touch < Mid-touch < High-touch');
  });

  test('an invalid policy: exit 2, same messages as classify', () => {
    const result = run(['validate', '--policy', file('p.json', '{"version":1,"tiers":[{"value":"a","label":"A"}]}')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tiers: expected at least 2 items, got 1');
    const notJson = run(['validate', '--policy', file('p2.json', '{"version":')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('p2.json: not valid JSON');
  });
});
