/**
 * Hand edits (src/sync/phases/hand-edits.ts) end to end in-process, against both sandboxes with the
 * real connectors: with `manualEdits: "keepAsOverride"` a tier a person set in the CRM becomes the
 * record's override (in the CRM and the mirror), the record keeps it with a reason naming who and
 * when (also in its history), and the next run leaves it alone; a tier set by a workflow, and a
 * person's value that is not a tier, are put back; with the default (`revert`) a person's tier is
 * put back too.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping, type Mapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Connector } from '../../src/sync/connector.ts';
import { sync } from '../../src/sync/engine.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { editByHand, noteHistory, SANDBOX_USERS } from '../../sandbox/hubspot/history.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox } from '../../sandbox/hubspot/server.ts';
import { editByHand as editInSalesforce } from '../../sandbox/salesforce/field-history.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import type { Org } from '../../sandbox/salesforce/model.ts';
import { createSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import { readJson, repoRoot } from '../helpers.ts';

const base = readJson(join(repoRoot, 'policies', 'default.json')) as Policy;
const keep: Policy = { ...base, manualEdits: 'keepAsOverride' };
const LABEL = new Map(base.tiers.map((t) => [t.value, t.label]));

function mapping(crm: 'hubspot' | 'salesforce'): Mapping {
  const result = validateMapping(readJson(join(repoRoot, 'mappings', `${crm}.json`)));
  if (!result.ok) throw new Error('invalid mapping');
  return result.mapping;
}

/** Another tier than `tier`. */
function other(tier: unknown): string {
  return tier === 'high_touch' ? 'low_touch' : 'high_touch';
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

let now = Date.UTC(2026, 11, 7, 9, 0, 0);
const clock = () => now;

async function run(
  store: SqliteStore,
  installationId: string,
  connector: Connector,
  crm: 'hubspot' | 'salesforce',
  policy: Policy,
  full = false,
) {
  now += 10 * 60_000;
  return sync({ store, connector, installationId, mapping: mapping(crm), policy, full, clock: () => new Date(now) });
}

async function hubspot() {
  const portal = generatePortal({ seed: 17, companies: 30, contacts: 60, deals: 45, now: now - 86_400_000 });
  const sandbox = createSandbox({ portal, limits: false, now: clock });
  const running = await sandbox.listen(0);
  closers.push(() => running.close());
  const connector = createHubSpotConnector({ accessToken: 'pat', baseUrl: running.url });
  const store = new SqliteStore(':memory:');
  await store.migrate();
  closers.push(() => store.close());
  const installation = await store.upsertInstallation('hubspot', String(portal.portalId));
  await connector.setup(base.tiers);
  await run(store, installation.id, connector, 'hubspot', base, true);
  return { portal, connector, store, id: installation.id };
}

function companyProps(portal: Portal, index: number) {
  const id = String(portal.objects.companies.order[index]);
  const record = portal.objects.companies.records.get(id);
  if (record === undefined) throw new Error('no company');
  return { id, record, props: record.properties };
}

describe('hand edits on HubSpot', () => {
  test('keepAsOverride: a person’s tier is kept as the override with who and when; a workflow’s is put back', async () => {
    const { portal, connector, store, id } = await hubspot();
    const dana = SANDBOX_USERS[0];
    const person = companyProps(portal, 0);
    const workflow = companyProps(portal, 1);
    const written = { person: person.props['engagement_model'], workflow: workflow.props['engagement_model'] };
    const chosen = other(written.person);
    now += 60_000;
    editByHand(portal, 'companies', person.id, {
      property: 'engagement_model',
      value: chosen,
      userId: dana?.userId ?? 0,
      at: now,
    });
    const byWorkflow = other(written.workflow);
    workflow.props['engagement_model'] = byWorkflow;
    workflow.record.updatedAt = now;
    noteHistory(workflow.record, { engagement_model: byWorkflow }, now, {
      sourceType: 'WORKFLOWS',
      sourceId: 'enrollmentId:9',
    });

    // A person's value that is not a tier of the policy (an option added in HubSpot by hand).
    const notTier = companyProps(portal, 4);
    const notTierWritten = notTier.props['engagement_model'];
    editByHand(portal, 'companies', notTier.id, {
      property: 'engagement_model',
      value: 'vip',
      userId: dana?.userId ?? 0,
      at: now,
    });

    const report = await run(store, id, connector, 'hubspot', keep);
    expect(report.rejected).toEqual([]);
    expect([notTier.props['engagement_model'], notTier.props['engagement_model_override'] ?? '']).toEqual([
      notTierWritten,
      '',
    ]);
    const reason = `Set by hand by ${dana?.firstName} ${dana?.lastName} on 2026-12-07 → ${LABEL.get(chosen)}`;
    expect(person.props['engagement_model']).toBe(chosen);
    expect(person.props['engagement_model_override']).toBe(chosen);
    expect(person.props['engagement_model_reason']).toBe(reason);
    expect(workflow.props['engagement_model']).toBe(written.workflow);
    expect(workflow.props['engagement_model_override'] ?? '').toBe('');
    const history = await store.history(id, 'company', person.id);
    expect(history.find((entry) => entry.newTier === chosen)).toMatchObject({ newTier: chosen, reasons: [reason] });

    // The next runs keep it as it is: nothing more is written for the record.
    const written2 = person.props['engagement_model_updated_at'];
    await run(store, id, connector, 'hubspot', keep);
    await run(store, id, connector, 'hubspot', keep, true);
    expect(person.props['engagement_model_updated_at']).toBe(written2);
    expect(person.props['engagement_model_reason']).toBe(reason);
  });

  test('revert (the default): a person’s tier is put back, no override', async () => {
    const { portal, connector, store, id } = await hubspot();
    const person = companyProps(portal, 2);
    const written = person.props['engagement_model'];
    now += 60_000;
    editByHand(portal, 'companies', person.id, {
      property: 'engagement_model',
      value: other(written),
      userId: SANDBOX_USERS[1]?.userId ?? 0,
      at: now,
    });
    await run(store, id, connector, 'hubspot', base);
    expect(person.props['engagement_model']).toBe(written);
    expect(person.props['engagement_model_override'] ?? '').toBe('');
  });
});

async function salesforce() {
  const org = generateOrg({ seed: 17, accounts: 20, now: now - 86_400_000 });
  const sandbox = createSalesforceSandbox({ org, now: clock });
  const running = await sandbox.listen();
  closers.push(() => running.close());
  const connector = createSalesforceConnector({
    instanceUrl: running.url,
    accessToken: sandbox.tokens.issue().accessToken,
  });
  const store = new SqliteStore(':memory:');
  await store.migrate();
  closers.push(() => store.close());
  const installation = await store.upsertInstallation('salesforce', org.organizationId);
  await connector.setup(base.tiers);
  await run(store, installation.id, connector, 'salesforce', base, true);
  return { org, connector, store, id: installation.id };
}

function account(org: Org, index: number) {
  const record = [...org.store('Account').values()].filter((r) => r.deletedAt === null)[index];
  if (record === undefined) throw new Error('no account');
  return record;
}

function user(org: Org, name: string): string {
  return String([...org.store('User').values()].find((u) => u.values['Name'] === name)?.values['Id']);
}

describe('hand edits on Salesforce', () => {
  test('keepAsOverride: a person’s tier is kept as the override, named from field history', async () => {
    const { org, connector, store, id } = await salesforce();
    const record = account(org, 0);
    const chosen = other(record.values['Engagement_Model__c']);
    now += 60_000;
    editInSalesforce(org, 'Account', String(record.values['Id']), {
      field: 'Engagement_Model__c',
      value: chosen,
      userId: user(org, 'Sam Sales'),
      at: now,
    });
    const report = await run(store, id, connector, 'salesforce', keep);
    expect(report.rejected).toEqual([]);
    const reason = `Set by hand by Sam Sales on 2026-12-07 → ${LABEL.get(chosen)}`;
    expect(record.values['Engagement_Model__c']).toBe(chosen);
    expect(record.values['Engagement_Model_Override__c']).toBe(chosen);
    expect(record.values['Engagement_Model_Reason__c']).toBe(reason);
    const written = record.values['Engagement_Model_Updated__c'];
    await run(store, id, connector, 'salesforce', keep);
    expect(record.values['Engagement_Model_Updated__c']).toBe(written);
  });

  test('revert: a person’s tier is put back', async () => {
    const { org, connector, store, id } = await salesforce();
    const record = account(org, 1);
    const written = record.values['Engagement_Model__c'];
    now += 60_000;
    editInSalesforce(org, 'Account', String(record.values['Id']), {
      field: 'Engagement_Model__c',
      value: other(written),
      userId: user(org, 'Maya Marketer'),
      at: now,
    });
    await run(store, id, connector, 'salesforce', base);
    expect(record.values['Engagement_Model__c']).toBe(written);
    expect(record.values['Engagement_Model_Override__c']).toBeNull();
  });
});
