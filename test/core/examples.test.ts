/** Every worked case of the spec (../shared/spec/examples): tiers must match exactly. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { classify, validatePolicy } from '../../src/core/index.ts';
import type { CanonicalRecord, PreviousTier } from '../../src/core/index.ts';
import {
  exampleCases,
  examplesDir,
  readJson,
  readJsonLines,
  sharedExamplesDir,
  vendoredExamplesDir,
} from '../helpers.ts';
import { existsSync } from 'node:fs';

const cases = exampleCases();

describe('spec examples', () => {
  test('there are cases to run', () => {
    expect(cases.length).toBeGreaterThanOrEqual(13);
    expect(cases).toContain('walkthrough');
  });

  test.each(cases)('case %s', (name) => {
    const dir = join(examplesDir, name);
    const validation = validatePolicy(readJson(join(dir, 'policy.json')));
    if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
    const records = readJsonLines(join(dir, 'records.jsonl')) as CanonicalRecord[];
    const previous = readJsonLines(join(dir, 'previous.jsonl')) as PreviousTier[];
    const now = new Date(readFileSync(join(dir, 'now.txt'), 'utf8').trim());
    const expected = readJsonLines(join(dir, 'expected.jsonl'));

    const { decisions } = classify(validation.policy, records, previous, now);

    expect(decisions.map(({ type, id, tier }) => ({ type, id, tier }))).toEqual(expected);
    for (const decision of decisions) {
      expect(decision.reasons.length).toBeGreaterThan(0);
      for (const reason of decision.reasons) expect(reason.trim()).not.toBe('');
    }
  });

  test.runIf(existsSync(sharedExamplesDir))('the copy in test/fixtures matches ../shared/spec/examples', () => {
    for (const name of exampleCases(sharedExamplesDir)) {
      for (const file of readdirSync(join(sharedExamplesDir, name))) {
        expect(readFileSync(join(vendoredExamplesDir, name, file), 'utf8'), `${name}/${file}`).toBe(
          readFileSync(join(sharedExamplesDir, name, file), 'utf8'),
        );
      }
    }
  });
});
