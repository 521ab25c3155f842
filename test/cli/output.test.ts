/** Decision lines written straight into buffers must be the bytes JSON.stringify gives. */
import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { HeldOutput } from '../../src/cli/output.ts';
import type { NextHint } from '../../src/core/index.ts';

async function written(fill: (out: HeldOutput) => void): Promise<string> {
  const out = new HeldOutput();
  fill(out);
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await out.writeTo(sink);
  sink.end();
  return Buffer.concat(chunks).toString('utf8');
}

test('pushDecision writes what JSON.stringify writes, for awkward ids and reasons', async () => {
  const cases: [string, string[]][] = [
    ['plain-1', ['Deal size 120,000 ≥ 100,000 (Enterprise deal size) → High-touch']],
    ['quote"back\\slash', ['tab\there', 'new\nline', 'nul\u0000', '']],
    ['emoji-😀', ['Prefers digital is ✓ 😀', 'lone \ud800 surrogate', 'line sep \u2028']],
    ['x'.repeat(5000), ['y'.repeat(400_000)]],
  ];
  // The next-tier hint (spec §8): field names are whatever the policy says; values any finite number.
  const hints: NextHint[] = [
    { tier: 'high_touch', field: 'dealSize', op: 'gte', value: 150000 },
    { tier: 'low_touch', field: 'quote"é\n😀', op: 'gt', value: -0.1 },
    { tier: 'low_touch', field: 'x', op: 'gt', value: 1e300 },
    { tier: 'low_touch', field: 'x', op: 'gte', value: -0 },
  ];
  const text = await written((out) => {
    for (const [id, reasons] of cases) out.pushDecision('contact', id, 'low_touch', reasons);
    out.pushDecision('company', 'c', 'high_touch', []);
    for (const next of hints) out.pushDecision('company', 'n', 'tech_touch', ['r'], next);
  });
  const expected = [
    ...cases.map(([id, reasons]) => JSON.stringify({ type: 'contact', id, tier: 'low_touch', reasons, next: null })),
    JSON.stringify({ type: 'company', id: 'c', tier: 'high_touch', reasons: [], next: null }),
    ...hints.map((next) => JSON.stringify({ type: 'company', id: 'n', tier: 'tech_touch', reasons: ['r'], next })),
  ];
  expect(text).toBe(`${expected.join('\n')}\n`);
});

test('many lines span several buffers and keep their order', async () => {
  const text = await written((out) => {
    for (let i = 0; i < 30_000; i++) out.pushDecision('contact', `id${i}`, 't', [`reason ${i} → ${'z'.repeat(40)}`]);
  });
  const lines = text.trimEnd().split('\n');
  expect(lines).toHaveLength(30_000);
  expect(JSON.parse(lines[29_999] ?? '')).toEqual({
    type: 'contact',
    id: 'id29999',
    tier: 't',
    reasons: [`reason 29999 → ${'z'.repeat(40)}`],
    next: null,
  });
});
