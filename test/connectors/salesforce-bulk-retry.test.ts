/**
 * The Salesforce connector's Bulk API 2.0 writes against the fake org when an answer is lost: the
 * org did the step (created the job, stored the data, closed it, answered the poll) and then the
 * connection dropped, as a keep-alive connection, a proxy or a load balancer does. Each step must
 * be retried the way the job's state allows: no job left Open, no data uploaded twice to a job,
 * every record written exactly once, and every call — lost ones and polls included — counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toCsv } from '../../connectors/salesforce/bulk.ts';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Tier } from '../../src/core/index.ts';
import type { LostAnswer } from '../../sandbox/salesforce/faults.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import {
  createSalesforceSandbox,
  type RunningSalesforceSandbox,
  type SalesforceSandboxOptions,
} from '../../sandbox/salesforce/server.ts';

const TIERS: Tier[] = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'high_touch', label: 'High-touch' },
];
const JOBS = '/services/data/vXX.X/jobs/ingest';

let running: RunningSalesforceSandbox | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(options: SalesforceSandboxOptions = {}) {
  const org = generateOrg({ seed: 9, accounts: 30 });
  const sandbox = createSalesforceSandbox({ org, ...options });
  running = await sandbox.listen();
  const url = running.url;
  const token = sandbox.tokens.issue().accessToken;
  const sleeps: number[] = [];
  const connector = createSalesforceConnector({
    instanceUrl: url,
    accessToken: token,
    bulkThreshold: 1,
    bulkPoll: { intervalMs: 10, timeoutMs: 10_000 },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  await connector.setup(TIERS);
  const accounts = [...org.store('Account').values()]
    .filter((record) => record.deletedAt === null)
    .slice(0, 5)
    .map((record) => String(record.values['Id']));
  sandbox.resetStats();
  const callsBefore = connector.apiCalls;
  const usageBefore = org.apiUsage;
  const write = () =>
    connector.update(
      'company',
      accounts.map((id) => ({ id, properties: { Engagement_Model__c: 'high_touch' } })),
    );
  let own = 0;
  /** The org's ingest jobs (read after the run: this call is not part of it). */
  const jobs = async (): Promise<{ id: string; state: string }[]> => {
    own++;
    const response = await fetch(`${url}/services/data/v66.0/jobs/ingest`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return ((await response.json()) as { records: { id: string; state: string }[] }).records;
  };
  const calls = () => connector.apiCalls - callsBefore;
  /** Requests the org saw from the connector (not the test's job listings). */
  const requests = () => sandbox.stats.requests - own;
  const usage = () => org.apiUsage - usageBefore - own;
  return { org, sandbox, connector, accounts, sleeps, write, jobs, calls, requests, usage };
}

type Started = Awaited<ReturnType<typeof start>>;

function expectWrittenOnce(t: Started, result: { written: readonly string[]; rejected: readonly unknown[] }): void {
  expect(result.rejected).toEqual([]);
  expect([...result.written].sort()).toEqual([...t.accounts].sort());
  expect(t.sandbox.stats.recordsWritten).toBe(t.accounts.length);
  for (const id of t.accounts) expect(t.org.get('Account', id)?.values['Engagement_Model__c']).toBe('high_touch');
  // No refusal: no second upload to a job, no second close.
  expect(t.sandbox.stats.byStatus['400']).toBeUndefined();
}

function lose(t: Started, rule: LostAnswer): void {
  t.sandbox.loseAnswer(rule);
}

describe('Salesforce Bulk API 2.0: a lost answer at each step', () => {
  it('open: the job created without an answer is aborted before another is opened', async () => {
    const t = await start();
    lose(t, { endpoint: `POST ${JOBS}` });
    const result = await t.write();
    expect(t.sandbox.stats.lost).toBe(1);
    expectWrittenOnce(t, result);
    expect(t.sandbox.stats.byEndpoint[`POST ${JOBS}`]).toBe(2);
    expect(t.sandbox.stats.byEndpoint[`GET ${JOBS}`]).toBe(1); // the listing that found the orphan
    const jobs = await t.jobs();
    expect(jobs.map((job) => job.state).sort()).toEqual(['Aborted', 'JobComplete']);
    // Every call counted, the lost one and the user lookup included.
    expect(t.calls()).toBe(t.requests());
    expect(t.sleeps[0]).toBe(500);
  });

  it('open: a request that never arrived leaves no job behind; the retry opens one', async () => {
    const t = await start();
    lose(t, { endpoint: `POST ${JOBS}`, stage: 'request' });
    const result = await t.write();
    expectWrittenOnce(t, result);
    expect((await t.jobs()).map((job) => job.state)).toEqual(['JobComplete']);
    expect(t.calls()).toBe(t.requests());
  });

  it('upload: the job that may hold the data is aborted, the data goes once to a new job', async () => {
    const t = await start();
    lose(t, { endpoint: `PUT ${JOBS}/:jobId/batches` });
    const result = await t.write();
    expect(t.sandbox.stats.lost).toBe(1);
    expectWrittenOnce(t, result);
    const jobs = await t.jobs();
    expect(jobs.map((job) => job.state)).toEqual(['Aborted', 'JobComplete']);
    // One PUT per job: the first job's data is never sent again (nor by jsforce's own retry).
    expect(t.sandbox.stats.byEndpoint[`PUT ${JOBS}/:jobId/batches`]).toBe(2);
    expect(t.calls()).toBe(t.requests());
  });

  it('upload answered 502 after the data landed: no second PUT to the job (jsforce would send one)', async () => {
    const t = await start();
    lose(t, { endpoint: `PUT ${JOBS}/:jobId/batches`, status: 502 });
    const result = await t.write();
    expectWrittenOnce(t, result);
    expect(t.sandbox.stats.byStatus['502']).toBe(1);
    expect(t.sandbox.stats.byEndpoint[`PUT ${JOBS}/:jobId/batches`]).toBe(2);
    expect((await t.jobs()).map((job) => job.state)).toEqual(['Aborted', 'JobComplete']);
  });

  it('close: the job’s state shows the close landed; it is not sent again', async () => {
    const t = await start();
    lose(t, { endpoint: `PATCH ${JOBS}/:jobId`, body: { state: 'UploadComplete' } });
    const result = await t.write();
    expect(t.sandbox.stats.lost).toBe(1);
    expectWrittenOnce(t, result);
    expect((await t.jobs()).map((job) => job.state)).toEqual(['JobComplete']);
    expect(t.sandbox.stats.byEndpoint[`PATCH ${JOBS}/:jobId`]).toBe(1);
    expect(t.calls()).toBe(t.requests());
  });

  it('close: a close that never arrived finds the job Open, and is sent again', async () => {
    const t = await start();
    lose(t, { endpoint: `PATCH ${JOBS}/:jobId`, body: { state: 'UploadComplete' }, stage: 'request' });
    const result = await t.write();
    expectWrittenOnce(t, result);
    expect(t.sandbox.stats.byEndpoint[`PATCH ${JOBS}/:jobId`]).toBe(2);
    expect(t.calls()).toBe(t.requests());
    expect((await t.jobs()).map((job) => job.state)).toEqual(['JobComplete']);
  });

  it('poll: the status read is retried; each poll is one call against the daily allocation', async () => {
    const t = await start({ bulkProcessingPolls: 3 });
    lose(t, { endpoint: `GET ${JOBS}/:jobId` });
    const result = await t.write();
    expect(t.sandbox.stats.lost).toBe(1);
    expectWrittenOnce(t, result);
    // 3 InProgress polls (the first one's answer lost), then the one that sees JobComplete.
    expect(t.sandbox.stats.byEndpoint[`GET ${JOBS}/:jobId`]).toBe(4);
    // open, upload, close, 4 polls, 3 result files: all counted by us and by the org.
    expect(t.calls()).toBe(10);
    expect(t.usage()).toBe(10);
    // The retry's 500 ms, then the waits between polls: 10 ms, then half as long again each time.
    expect(t.sleeps).toEqual([500, 10, 15]);
  });
});

describe('Salesforce Bulk API 2.0 CSV', () => {
  it('has every field any record has, quotes what needs it, clears with #N/A, leaves absent cells empty', () => {
    const csv = toCsv([
      { Id: '001A', Engagement_Model__c: 'high_touch', Engagement_Model_Reason__c: 'big, "strategic"\naccount' },
      { Id: '001B', Engagement_Model__c: '', Engagement_Model_Updated__c: '2026-12-07T13:00:00.000Z' },
    ]);
    expect(csv).toBe(
      'Id,Engagement_Model__c,Engagement_Model_Reason__c,Engagement_Model_Updated__c\n' +
        '001A,high_touch,"big, ""strategic""\naccount",\n' +
        '001B,#N/A,,2026-12-07T13:00:00.000Z\n',
    );
  });
});
