/** The report phase: counts kept as the run goes, the report, and the run's row in the store. */
import { expect, test } from 'vitest';
import type { RunSummary } from '../../../src/core/index.ts';
import { buildReport, failRun, finishRun, MOVES_SHOWN, Tally } from '../../../src/sync/phases/report.ts';
import { decided, fixture, policy } from './fixture.ts';

const summary = {
  company: { tiers: { high_touch: 2 } },
  contact: { tiers: { low_touch: 1 } },
} as unknown as RunSummary;

test('a tally counts decisions and moves (listing the first ones) and the API calls since it started', async () => {
  const w = await fixture();
  w.crm.apiCalls = 7;
  const tally = new Tally(w.crm);
  const written = { tier: 'mid_touch', hash: 1, ranklessHash: 1, written: true };
  tally.decision(decided('company', 'same', 'mid_touch'), written);
  for (let i = 0; i <= MOVES_SHOWN; i++) tally.decision(decided('contact', `c${i}`, 'low_touch'), written);
  tally.decision(decided('contact', 'new', 'low_touch'), undefined);
  w.crm.apiCalls = 10;
  expect({ decided: tally.decided, moved: tally.moved, shown: tally.moves.length }).toEqual({
    decided: MOVES_SHOWN + 3,
    moved: MOVES_SHOWN + 2,
    shown: MOVES_SHOWN,
  });
  expect(tally.moves[0]).toEqual({
    type: 'contact',
    id: 'c0',
    from: 'mid_touch',
    to: 'low_touch',
    reasons: ['low_touch because'],
  });
  expect(tally.apiCalls).toBe(3);
  expect(tally.rateLimited).toBe(0);

  const run = await w.store.startRun(w.installationId, 'incremental', 1000);
  const report = buildReport({
    ...{ runId: run.id, kind: 'incremental', dryRun: false, classifiedAt: 1000, summary, policy, tally },
    decided: tally.decided,
    ...{ pulled: { companies: 2, contacts: 1, deals: 0 }, deleted: 0, changed: 3, writeCalls: 2, leadScore: undefined },
    writes: { written: 2, rejected: [{ type: 'company', id: 'b', error: 'OBJECT_NOT_FOUND' }] },
  });
  expect(report).toMatchObject({ decided: MOVES_SHOWN + 3, moved: MOVES_SHOWN + 2, apiCalls: 3, written: 2 });
  expect(report).not.toHaveProperty('leadScore');
  expect(report.tierLabels).toEqual(Object.fromEntries(policy.tiers.map((t) => [t.value, t.label])));
  await finishRun(w.store, report, 2000);
  const [row] = await w.store.listRuns(w.installationId);
  expect(row).toMatchObject({ status: 'partial', endedAt: 2000, errors: ['company b: OBJECT_NOT_FOUND'] });
  expect(row?.counts).toMatchObject({ companies: 2, changed: 3, written: 2, rejected: 1, apiCalls: 3 });
  expect(row?.counts).toMatchObject({ 'tiers.company.high_touch': 2, 'tiers.contact.low_touch': 1 });
});

test('a run that threw is recorded as failed with the error', async () => {
  const w = await fixture();
  const run = await w.store.startRun(w.installationId, 'full', 1000);
  await failRun(w.store, run.id, new Error('connection reset'), 3000);
  expect((await w.store.listRuns(w.installationId))[0]).toMatchObject({
    status: 'failed',
    errors: ['connection reset'],
  });
});
