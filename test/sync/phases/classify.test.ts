/** The classify phase: the whole mirror, companies first (with deal totals from the mirrored deals), a decision at a time. */
import { expect, test } from 'vitest';
import { LastWrittenTable } from '../../../src/sync/last-written.ts';
import { classifyEach, classifyInstallation } from '../../../src/sync/phases/classify.ts';
import { pull } from '../../../src/sync/phases/pull.ts';
import { fixture, mapping, policy, properties, START } from './fixture.ts';

const won = (amount: string) => ({
  amount,
  hs_is_closed_won: 'true',
  hs_is_closed: 'true',
  closedate: '2026-06-01T00:00:00Z',
});

test('decisions come one at a time, companies first, each waited for; deal totals come from the mirrored deals', async () => {
  const w = await fixture();
  w.crm.put('companies', 'big', {});
  w.crm.put('companies', 'small', {});
  w.crm.put('contacts', 'c-big', { associatedcompanyid: 'big', lead_score: '10' });
  w.crm.putDeal('d1', 'big', won('150,000'));
  w.crm.putDeal('d2', 'small', { ...won('100'), closedate: '2024-01-01T00:00:00Z' }); // outside the window
  const base = { store: w.store, connector: w.crm, installationId: w.installationId, mapping, properties };
  await pull(
    { ...base, full: true, only: undefined, startedAt: START, checkStop: () => undefined },
    new LastWrittenTable(),
  );

  const seen: string[] = [];
  let inFlight = false;
  const summary = await classifyEach(w.store, w.installationId, mapping, policy, new Date(START), undefined, (d) => {
    expect(inFlight).toBe(false); // the previous decision's promise was waited for
    seen.push(`${d.type}:${d.id}:${d.tier}`);
    inFlight = true;
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        inFlight = false;
        resolve();
      }, 1),
    );
  });
  expect(seen).toEqual(['company:big:high_touch', 'company:small:tech_touch', 'contact:c-big:high_touch']);
  expect(summary.company.tiers).toMatchObject({ high_touch: 1, tech_touch: 1 });

  const all = await classifyInstallation(w.store, w.installationId, mapping, policy, new Date(START));
  expect(all.decisions.map((d) => `${d.type}:${d.id}:${d.tier}`)).toEqual(seen);
});
