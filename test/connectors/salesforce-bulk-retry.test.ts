/**
 * The Salesforce connector's Bulk API 2.0 writes against the fake org, behind a front server that
 * drops the connection of the first job-create request (as a server does with a keep-alive
 * connection it closed while RightTouch was busy classifying): the step is retried, not the run
 * failed — jsforce itself retries no POST.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Tier } from '../../src/core/index.ts';
import { generateOrg } from '../../src/sandbox/salesforce/generate.ts';
import type { Org } from '../../src/sandbox/salesforce/model.ts';
import { createSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce/server.ts';

let org: Org;
let sandbox: SalesforceSandbox;
let front: Server;
let url: string;
let dropped = 0;

beforeAll(async () => {
  org = generateOrg({ seed: 9, accounts: 30 });
  sandbox = createSalesforceSandbox({ org });
  front = createServer((req, res) => {
    if (dropped === 0 && req.method === 'POST' && /\/jobs\/ingest\/?$/.test(req.url ?? '')) {
      dropped++;
      req.socket.destroy();
      return;
    }
    void sandbox.app(req, res);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => front.close(resolve));
});

test('a dropped connection on a Bulk 2.0 step is retried and the records are written', async () => {
  const sleeps: number[] = [];
  const connector = createSalesforceConnector({
    instanceUrl: url,
    accessToken: sandbox.tokens.issue().accessToken,
    bulkThreshold: 1,
    bulkPoll: { intervalMs: 10, timeoutMs: 10_000 },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  const tiers: Tier[] = [
    { value: 'tech_touch', label: 'Tech-touch' },
    { value: 'high_touch', label: 'High-touch' },
  ];
  await connector.setup(tiers);
  const accounts = [...org.store('Account').values()].slice(0, 5).map((record) => String(record.values['Id']));
  const result = await connector.update(
    'company',
    accounts.map((id) => ({ id, properties: { Engagement_Model__c: 'high_touch' } })),
  );
  expect(dropped).toBe(1);
  expect(sleeps).toEqual([500]);
  expect(result).toEqual({ written: expect.arrayContaining(accounts) as unknown, rejected: [] });
  expect(result.written).toHaveLength(5);
  for (const id of accounts) expect(org.store('Account').get(id)?.values['Engagement_Model__c']).toBe('high_touch');
});
