/** The pull phase: the CRM's changes into the mirror, removals, cursors, and what the CRM shows that was not written. */
import { beforeEach, expect, test } from 'vitest';
import { LastWrittenTable } from '../../../src/sync/last-written.ts';
import { advanceCursors, CURSOR, pull, readCursors, type PullOptions } from '../../../src/sync/phases/pull.ts';
import { tierValue } from '../../../src/sync/tier-value.ts';
import type { SyncProgress } from '../../../src/sync/types.ts';
import { fixture, mapping, mirror, properties, START, type Fixture } from './fixture.ts';

let w: Fixture;
let progress: SyncProgress[];
let options: PullOptions;

beforeEach(async () => {
  w = await fixture();
  w.now = START - 3_600_000;
  w.crm.put('companies', 'big', { name: 'Big' });
  w.crm.put('companies', 'shown', { engagement_model: 'high_touch', engagement_model_reason: 'set by hand' });
  w.crm.put('contacts', 'c1', { associatedcompanyid: 'big', lead_score: '10' });
  w.crm.putDeal('d1', 'big', { amount: '1000', hs_is_closed_won: 'true', hs_is_closed: 'true' });
  w.crm.putDeal('orphan', null, { amount: '5' });
  w.now = START;
  progress = [];
  options = {
    ...{ store: w.store, connector: w.crm, installationId: w.installationId, mapping, properties },
    ...{ full: true, only: undefined, startedAt: START, checkStop: () => undefined },
    onProgress: (p) => progress.push(p),
  };
});

async function mirrored(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of w.store.records(w.installationId)) ids.push(...page.map((r) => `${r.type}:${r.id}`));
  for await (const deal of w.store.deals(w.installationId)) ids.push(`deal:${deal.id}:${deal.companyId}`);
  return ids.sort();
}

test('a full pull mirrors everything, drops deals without a company and records the CRM no longer has', async () => {
  await mirror(w, 'company', ['gone']);
  const result = await pull(options, new LastWrittenTable());
  expect(result.pulled).toEqual({ companies: 2, contacts: 1, deals: 2 });
  expect(result.deleted).toBe(1);
  expect(await mirrored()).toEqual(['company:big', 'company:shown', 'contact:c1', 'deal:d1:big']);
  expect(progress.map((p) => (p.phase === 'read' ? `${p.type} ${p.done}` : ''))).toEqual([
    'companies 2',
    'contacts 1',
    'deals 2',
  ]);
  // Nothing written yet: only the record whose CRM shows a tier is one to compare with the CRM.
  expect(result.crmValues.get('company', 'shown')).toBe(tierValue('high_touch', 'set by hand', null));
  expect(result.crmValues.get('company', 'big')).toBeUndefined();
  expect(result.crmValues.size).toBe(1);
});

test('an incremental pull reads from the cursors less the overlap, and a merge carries the tier over', async () => {
  await advanceCursors(w.store, w.installationId, START);
  expect(await w.store.getCursor(w.installationId, CURSOR.deals)).toBe(String(START));
  expect(await readCursors(w.store, w.installationId, false, 60_000)).toEqual([
    START - 60_000,
    START - 60_000,
    START - 60_000,
  ]);
  expect(await readCursors(w.store, w.installationId, true)).toEqual([undefined, undefined, undefined]);
  const lastWritten = new LastWrittenTable();
  lastWritten.add({ type: 'contact', id: 'c1', tier: 'low_touch', reasons: ['r'], since: START, writtenAt: START });
  w.now = START + 60_000;
  w.crm.change('contacts', 'c1', { lead_score: '90' });
  w.crm.removals.push({ type: 'contact', id: 'c1', successorId: 'c2', reason: 'merged', at: w.now });
  const result = await pull({ ...options, full: false, startedAt: w.now }, lastWritten);
  expect(result.pulled).toEqual({ companies: 0, contacts: 1, deals: 0 });
  expect(result.deleted).toBe(1);
  expect(lastWritten.get('contact', 'c1')).toBeUndefined();
  expect(lastWritten.get('contact', 'c2')).toMatchObject({ tier: 'low_touch', written: false });
});

test('a run over named records reads just them, no removals; a stop request ends the pull after a page', async () => {
  w.crm.removals.push({ type: 'company', id: 'big', successorId: null, reason: 'deleted', at: w.now });
  const only = { companies: ['big'], contacts: [], deals: ['d1'] };
  const result = await pull({ ...options, full: false, only }, new LastWrittenTable());
  expect(result).toMatchObject({ pulled: { companies: 1, contacts: 0, deals: 1 }, deleted: 0 });
  expect(await mirrored()).toEqual(['company:big', 'deal:d1:big']);

  const stop = new Error('stop');
  const calls = w.crm.apiCalls;
  progress.length = 0;
  const stopping = pull(
    {
      ...options,
      checkStop: () => {
        throw stop;
      },
    },
    new LastWrittenTable(),
  );
  await expect(stopping).rejects.toBe(stop);
  expect(w.crm.apiCalls - calls).toBe(1); // the first page of companies, then no more
  expect(progress).toEqual([{ phase: 'read', type: 'companies', done: 2 }]);
});
