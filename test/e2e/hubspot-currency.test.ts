/**
 * Deal size in a multi-currency portal, end to end against the sandbox: `amount` is in each deal's
 * own currency, and HubSpot calculates `amount_in_home_currency` (read-only). The default mapping
 * sums the latter; a mapping summing raw amounts (RightTouch before) counts yen as dollars (and
 * euros as fewer dollars than they are), and its tiers move with those wrong sums.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { runSetup, runSync, type CrmIo } from '../../src/cli/sync-commands.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { propertyValue, type Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { tempDir } from './helpers.ts';

const TOKEN = 'pat-currency';
const FAST = { perWindow: 1100, windowMs: 10_000, searchPerSecond: 50 };
const FAST_CONNECTOR = { requestsPerWindow: 1000, windowMs: 10_000, searchPerSecond: 45 };
const RATES = { EUR: 1.08, GBP: 1.27, JPY: 0.0067 };
const RANK: Readonly<Record<string, number>> = { tech_touch: 0, low_touch: 1, mid_touch: 2, high_touch: 3 };
const sink = { write: () => true } as unknown as CrmIo['stdout'];

const open: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((running) => running.close()));
});

async function sandbox(): Promise<{ portal: Portal; url: string; io: CrmIo }> {
  const portal = generatePortal({ seed: 43, companies: 80, contacts: 200, deals: 400, currencies: RATES });
  const running = await createSandbox({ portal, token: TOKEN, limits: FAST }).listen(0);
  open.push(running);
  const connector = createHubSpotConnector({ accessToken: TOKEN, baseUrl: running.url, limits: FAST_CONNECTOR });
  return { portal, url: running.url, io: { stdout: sink, env: {}, connectorFor: () => connector } };
}

interface Synced {
  readonly tiers: Map<string, string>;
  readonly dealSizes: Map<string, number>;
  readonly dealAmounts: Map<string, number | null>;
}

async function syncWith(io: CrmIo, mapping?: string): Promise<Synced> {
  const data = join(tempDir(), 'righttouch.db');
  await runSetup({ crm: 'hubspot', data, mapping }, io);
  await runSync({ crm: 'hubspot', data, mapping }, io);
  const store = new SqliteStore(data);
  const [installation] = await store.listInstallations();
  const id = installation?.id ?? '';
  const tiers = new Map<string, string>();
  for await (const tier of store.storedTiers(id)) if (tier.type === 'company') tiers.set(tier.id, tier.tier);
  const dealSizes = new Map<string, number>();
  for await (const page of store.records(id)) {
    for (const record of page)
      if (record.type === 'company') dealSizes.set(record.id, Number(record.fields['dealSize']));
  }
  const dealAmounts = new Map<string, number | null>();
  for await (const deal of store.deals(id)) dealAmounts.set(deal.id, deal.amount);
  await store.close();
  return { tiers, dealSizes, dealAmounts };
}

describe('deal size in a multi-currency portal', () => {
  test('the sandbox calculates amount_in_home_currency and refuses to have it written', async () => {
    const { portal, url } = await sandbox();
    const yen = [...portal.objects.deals.records.values()].find(
      (deal) => deal.properties['deal_currency_code'] === 'JPY' && deal.properties['amount'] !== '',
    );
    if (yen === undefined) throw new Error('no yen deal');
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const read = await fetch(`${url}/crm/v3/objects/deals/${yen.id}?properties=amount,amount_in_home_currency`, {
      headers,
    });
    const body = (await read.json()) as { properties: Record<string, string> };
    expect(Number(body.properties['amount_in_home_currency'])).toBeCloseTo(
      Number(yen.properties['amount']) * 0.0067,
      2,
    );
    const write = await fetch(`${url}/crm/v3/objects/deals/${yen.id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ properties: { amount_in_home_currency: '1' } }),
    });
    expect(write.status).toBe(400);
    expect(await write.text()).toContain('READ_ONLY_VALUE');
  });

  test('deal size sums amounts in the home currency; raw amounts would tier companies on wrong sums', async () => {
    const home = await sandbox();
    const right = await syncWith(home.io);
    // Every deal counts its home-currency amount, as HubSpot calculates it.
    for (const deal of home.portal.objects.deals.records.values()) {
      if (!right.dealAmounts.has(deal.id)) continue; // deals without a company are not mirrored
      const expected = propertyValue('deals', deal, 'amount_in_home_currency');
      expect(right.dealAmounts.get(deal.id), deal.id).toBe(expected === undefined ? null : Number(expected));
    }

    // The same portal, read by a mapping that sums the deal-currency amounts.
    const raw = await sandbox();
    const naive = readJson(join(repoRoot, 'mappings', 'hubspot.json')) as { deal: Record<string, string> };
    delete naive.deal['amountInHomeCurrency'];
    const naiveFile = join(tempDir(), 'naive-mapping.json');
    writeFileSync(naiveFile, JSON.stringify(naive));
    const wrong = await syncWith(raw.io, naiveFile);

    // A company whose wrong sum is higher is never tiered lower by it, and the other way round;
    // and some companies' tiers differ (yen deals counted at face value).
    let lower = 0;
    for (const [id, tier] of right.tiers) {
      const other = wrong.tiers.get(id) ?? '';
      const [size, wrongSize] = [right.dealSizes.get(id) ?? 0, wrong.dealSizes.get(id) ?? 0];
      if (size < wrongSize) expect(RANK[tier] ?? -1, `company ${id}`).toBeLessThanOrEqual(RANK[other] ?? -1);
      if (size > wrongSize) expect(RANK[tier] ?? -1, `company ${id}`).toBeGreaterThanOrEqual(RANK[other] ?? -1);
      if (size === wrongSize) expect(tier, `company ${id}`).toBe(other);
      if ((RANK[tier] ?? -1) < (RANK[other] ?? -1)) lower++;
    }
    expect(lower).toBeGreaterThan(0);
  });
});
