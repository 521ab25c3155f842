/** The write-back phase: what is recorded and unwritten goes to the CRM a batch at a time, refusals kept. */
import { beforeEach, expect, test } from 'vitest';
import type { Connector } from '../../../src/sync/connector.ts';
import { estimateWriteCalls, writeBack } from '../../../src/sync/phases/write-back.ts';
import type { SyncProgress } from '../../../src/sync/types.ts';
import { decided, fixture, mirror, properties, type Fixture } from './fixture.ts';

let w: Fixture;
let runId: string;

beforeEach(async () => {
  w = await fixture();
  runId = (await w.store.startRun(w.installationId, 'full', w.now)).id;
  for (const id of ['a', 'b', 'c']) w.crm.put('companies', id, {});
  w.crm.put('contacts', 'x', {});
  await mirror(w, 'company', ['a', 'b', 'c']);
  await mirror(w, 'contact', ['x']);
  const changes = [
    decided('company', 'a', 'high_touch', 'Deal size 150,000 → High-touch'),
    decided('company', 'b', 'low_touch', 'low_touch because', 'Deal size 1,000 is 4,000 short of Mid-touch (≥ 5,000)'),
    decided('company', 'c', 'tech_touch'),
    decided('contact', 'x', 'mid_touch'),
  ];
  await w.store.applyTierChanges(w.installationId, runId, changes, w.now);
});

test('writes tier, reason, next-tier hint and time in batches, marks them written and keeps the refusals unwritten', async () => {
  w.crm.refuse.set('b', 'OBJECT_NOT_FOUND: merged');
  const progress: SyncProgress[] = [];
  const options = {
    ...{ store: w.store, connector: w.crm, installationId: w.installationId, runId },
    ...{ properties: { ...properties, formatTime: (ms: number) => new Date(ms).toISOString() }, batchSize: 2 },
    ...{ at: w.now, total: 4, onProgress: (p: SyncProgress) => progress.push(p) },
  };
  const result = await writeBack(options);
  expect(w.crm.updateCalls.map((call) => [call.type, call.updates.map((u) => u.id)])).toEqual([
    ['company', ['a', 'b']],
    ['company', ['c']],
    ['contact', ['x']],
  ]);
  expect(w.crm.updateCalls[0]?.updates[0]?.properties).toEqual({
    engagement_model: 'high_touch',
    engagement_model_reason: 'Deal size 150,000 → High-touch',
    engagement_model_next: '', // no hint: written empty, which clears one the record had
    engagement_model_updated_at: new Date(w.now).toISOString(),
  });
  expect(w.crm.updateCalls[0]?.updates[1]?.properties['engagement_model_next']).toBe(
    'Deal size 1,000 is 4,000 short of Mid-touch (≥ 5,000)',
  );
  expect(result).toEqual({ written: 3, rejected: [{ type: 'company', id: 'b', error: 'OBJECT_NOT_FOUND: merged' }] });
  expect(progress.at(-1)).toEqual({ phase: 'write', done: 4, total: 4 });
  expect((await w.store.listRejected(w.installationId)).map((r) => r.recordId)).toEqual(['b']);

  // The next write-back sends only the refused record again.
  w.crm.refuse.clear();
  w.crm.updateCalls.length = 0;
  expect(await writeBack({ ...options, total: 0 })).toEqual({ written: 1, rejected: [] });
  expect(w.crm.writtenIds()).toEqual(['company:b']);
  expect(await w.store.listRejected(w.installationId)).toEqual([]);
});

test('write calls: the connector estimates them when it can, else one per batch', () => {
  const changed = { company: 250, contact: 1 };
  expect(estimateWriteCalls(w.crm, changed, 100)).toBe(3 + 1);
  const estimating: Connector = Object.assign(Object.create(w.crm) as Connector, {
    estimateWriteCalls: (count: number, type: string) => (type === 'contact' ? 2 : 1) * Math.ceil(count / 200),
  });
  expect(estimateWriteCalls(estimating, changed, 100)).toBe(2 + 2);
});
