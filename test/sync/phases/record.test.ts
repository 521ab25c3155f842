/** The record phase: what the diff says to write, and what the CRM already shows, into the store a chunk at a time. */
import { beforeEach, expect, test } from 'vitest';
import { Recorder } from '../../../src/sync/phases/record.ts';
import { decided, fixture, mirror, type Fixture } from './fixture.ts';

let w: Fixture;
let runId: string;

beforeEach(async () => {
  w = await fixture();
  runId = (await w.store.startRun(w.installationId, 'incremental', w.now)).id;
  await mirror(w, 'company', ['a', 'b', 'c', 'd']);
  await mirror(w, 'contact', ['x', 'y']);
});

async function unwritten(type: 'company' | 'contact'): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of w.store.unwrittenTiers(w.installationId, type)) ids.push(...page.map((t) => t.id));
  return ids.sort();
}

test('writes are recorded unwritten a chunk at a time; what the CRM shows is recorded as written', async () => {
  const recorder = new Recorder({
    store: w.store,
    installationId: w.installationId,
    runId,
    at: w.now,
    dryRun: false,
    chunk: 3,
  });
  expect(recorder.take(decided('company', 'a', 'high_touch'), 'write')).toBeUndefined();
  expect(recorder.take(decided('company', 'b', 'low_touch'), 'unchanged')).toBeUndefined();
  expect(recorder.take(decided('company', 'c', 'low_touch'), 'rank-only')).toBeUndefined();
  expect(recorder.take(decided('contact', 'x', 'mid_touch'), 'in-crm')).toBeUndefined();
  expect(await unwritten('company')).toEqual([]); // held until the chunk is full
  const pending = recorder.take(decided('contact', 'y', 'mid_touch'), 'write');
  expect(pending).toBeInstanceOf(Promise);
  await pending;
  expect(await unwritten('company')).toEqual(['a']);
  expect(await unwritten('contact')).toEqual(['y']);
  expect(recorder.take(decided('company', 'd', 'tech_touch'), 'write')).toBeUndefined();
  await recorder.flush();
  expect(await unwritten('company')).toEqual(['a', 'd']);
  expect(recorder.changed).toEqual({ company: 2, contact: 1 });
  // Recorded with its history, and not to be written: the CRM shows it.
  expect((await w.store.history(w.installationId, 'contact', 'x')).map((h) => h.newTier)).toEqual(['mid_touch']);
  expect(await w.store.history(w.installationId, 'company', 'b')).toEqual([]);
  expect(await w.store.history(w.installationId, 'company', 'c')).toEqual([]);
});

test('a dry run counts what it would write and records nothing', async () => {
  const recorder = new Recorder({
    store: w.store,
    installationId: w.installationId,
    runId,
    at: w.now,
    dryRun: true,
    chunk: 1,
  });
  expect(recorder.take(decided('company', 'a', 'high_touch'), 'write')).toBeUndefined();
  expect(recorder.take(decided('contact', 'x', 'mid_touch'), 'in-crm')).toBeUndefined();
  await recorder.flush();
  expect(recorder.changed).toEqual({ company: 1, contact: 0 });
  expect(await unwritten('company')).toEqual([]);
  expect(await w.store.history(w.installationId, 'contact', 'x')).toEqual([]);
});
