/** The sync's diff, pure: decisions and what was last written in, outcomes out (no store, no connector). */
import { describe, expect, test } from 'vitest';
import type { LastWritten } from '../../../src/sync/last-written.ts';
import type { HintedDecision } from '../../../src/sync/next-hint.ts';
import { crmShowsOther, diffDecision, isMove, wantedValue } from '../../../src/sync/phases/diff.ts';
import { NO_TIER, textHash, tierValue, withoutRank } from '../../../src/sync/tier-value.ts';

/** An over-capacity company's reasons (capacity.ts), joined as they are written. */
const waitlisted = (rank: string): string =>
  [
    'Deal size 150,000 ≥ 100,000 (Enterprise deal size) → High-touch',
    `Over High-touch capacity (2 seats; ranked ${rank} by deal size) → Mid-touch`,
  ].join('; ');

const decision = (tier: string, ...reasons: string[]): HintedDecision => ({
  type: 'company',
  id: 'big',
  tier,
  reasons,
  hint: '',
  hintGap: null,
});
const hinted = (d: HintedDecision, hint: string): HintedDecision => ({ ...d, hint });

/** What was last written for a record: this decision's tier value (with its hint), confirmed or not. */
function written(tier: string, reason: string, confirmed = true, hint = ''): LastWritten {
  const value = tierValue(tier, reason, hint);
  return { tier, hash: textHash(value), ranklessHash: textHash(withoutRank(value)), written: confirmed };
}

describe('diffDecision', () => {
  test('a record never written is written; one written with the same value is left', () => {
    const d = decision('mid_touch', 'Deal size 30,000 → Mid-touch');
    expect(diffDecision(d, undefined, undefined, false)).toBe('write');
    expect(diffDecision(d, written('mid_touch', 'Deal size 30,000 → Mid-touch'), undefined, false)).toBe('unchanged');
    expect(diffDecision(d, written('mid_touch', 'Deal size 30,000 → Mid-touch'), undefined, true)).toBe('unchanged');
  });

  test('another tier or another reason is written; so is a recorded value whose write is not confirmed', () => {
    const d = decision('mid_touch', 'Deal size 30,000 → Mid-touch');
    expect(diffDecision(d, written('high_touch', 'Deal size 30,000 → Mid-touch'), undefined, false)).toBe('write');
    expect(diffDecision(d, written('mid_touch', 'Deal size 31,000 → Mid-touch'), undefined, false)).toBe('write');
    expect(diffDecision(d, written('mid_touch', 'Deal size 30,000 → Mid-touch', false), undefined, false)).toBe(
      'write',
    );
  });

  test('the over-capacity-rank rule: only a shifted rank is left by incremental runs and written by full ones', () => {
    const before = written('mid_touch', waitlisted('4th'));
    const d = decision('mid_touch', waitlisted('5th'));
    expect(diffDecision(d, before, undefined, false)).toBe('rank-only');
    expect(diffDecision(d, before, undefined, true)).toBe('write');
    // "1,234th": thousands are ranks too.
    expect(diffDecision(decision('mid_touch', waitlisted('1,234th')), before, undefined, false)).toBe('rank-only');
  });

  test('the rank rule does not hold back a move, another reason, an unconfirmed write or a value put wrong in the CRM', () => {
    const before = written('mid_touch', waitlisted('4th'));
    expect(diffDecision(decision('low_touch', waitlisted('5th')), before, undefined, false)).toBe('write');
    const otherReason = waitlisted('5th').replace('150,000', '160,000');
    expect(diffDecision(decision('mid_touch', otherReason), before, undefined, false)).toBe('write');
    const unconfirmed = written('mid_touch', waitlisted('4th'), false);
    expect(diffDecision(decision('mid_touch', waitlisted('5th')), unconfirmed, undefined, false)).toBe('write');
    const editedByHand = tierValue('high_touch', 'set by hand', '');
    expect(diffDecision(decision('mid_touch', waitlisted('5th')), before, editedByHand, false)).toBe('write');
  });

  test('a CRM value other than the one written: equal to the decision is recorded as in the CRM, else written', () => {
    const d = decision('low_touch', 'Prefers digital → Low-touch');
    // The store was started afresh: nothing written, the CRM shows the decision already.
    expect(diffDecision(d, undefined, wantedValue(d), false)).toBe('in-crm');
    expect(diffDecision(d, written('high_touch', 'old'), wantedValue(d), false)).toBe('in-crm');
    expect(diffDecision(d, written('low_touch', 'Prefers digital → Low-touch'), NO_TIER, false)).toBe('write');
  });
});

describe('diffDecision: the next-tier hint', () => {
  const reason = 'Deal size 120,000 ≥ 50,000 → Mid-touch';
  const short30k = 'Deal size 120,000 is 30,000 short of High-touch (≥ 150,000)';

  test('a hint that changed alone is written; the same hint is nothing', () => {
    const before = written('mid_touch', reason, true, short30k);
    expect(diffDecision(hinted(decision('mid_touch', reason), short30k), before, undefined, false)).toBe('unchanged');
    const moved = 'Deal size 120,000 is 80,000 short of High-touch (≥ 200,000)';
    expect(diffDecision(hinted(decision('mid_touch', reason), moved), before, undefined, false)).toBe('write');
    // A hint gone (the record has no lever any more) is a write: the property is cleared.
    expect(diffDecision(decision('mid_touch', reason), before, undefined, false)).toBe('write');
    // A first hint on a record written without one.
    expect(
      diffDecision(hinted(decision('mid_touch', reason), short30k), written('mid_touch', reason), undefined, false),
    ).toBe('write');
  });

  test('the over-capacity-rank rule does not hold back a hint that changed with the rank', () => {
    const before = written('mid_touch', waitlisted('4th'), true, 'a');
    expect(diffDecision(hinted(decision('mid_touch', waitlisted('5th')), 'a'), before, undefined, false)).toBe(
      'rank-only',
    );
    expect(diffDecision(hinted(decision('mid_touch', waitlisted('5th')), 'b'), before, undefined, false)).toBe('write');
  });

  test('the CRM showing the same tier and reason but another hint is put right', () => {
    const d = hinted(decision('mid_touch', reason), short30k);
    expect(diffDecision(d, undefined, tierValue('mid_touch', reason, short30k), false)).toBe('in-crm');
    expect(diffDecision(d, undefined, tierValue('mid_touch', reason, ''), false)).toBe('write');
    expect(crmShowsOther(written('mid_touch', reason, true, short30k), tierValue('mid_touch', reason, null))).toBe(
      true,
    );
  });
});

describe('crmShowsOther', () => {
  test('a value read back is checked against what was last written', () => {
    const value = tierValue('mid_touch', 'Deal size 30,000 → Mid-touch', '');
    expect(crmShowsOther(undefined, NO_TIER)).toBe(false); // new, nothing in the CRM: simply written
    expect(crmShowsOther(undefined, value)).toBe(true); // the store lost it, the CRM has it
    expect(crmShowsOther(written('mid_touch', 'Deal size 30,000 → Mid-touch'), value)).toBe(false);
    expect(crmShowsOther(written('mid_touch', 'Deal size 30,000 → Mid-touch', false), value)).toBe(true);
    expect(crmShowsOther(written('mid_touch', 'Deal size 30,000 → Mid-touch'), NO_TIER)).toBe(true); // cleared by hand
  });
});

test('isMove: another tier than the one written, or a first tier', () => {
  expect(isMove(decision('mid_touch', 'r'), undefined)).toBe(true);
  expect(isMove(decision('mid_touch', 'r'), written('high_touch', 'r'))).toBe(true);
  expect(isMove(decision('mid_touch', 'r2'), written('mid_touch', 'r'))).toBe(false);
});
