/**
 * What people know a record by reaches the mirror from both CRMs, through the real connectors and
 * the shipped mappings (`display`), and the store finds records by it: from the HubSpot sandbox
 * (company `name`/`domain`, contact `firstname`/`lastname`/`email`) and from the fake Salesforce
 * org (Account `Name` and `Website`, a free URL field; Contact and Lead `FirstName`/`LastName`/
 * `Email`).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping, type Mapping } from '../../src/mapping/mapping.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/store.ts';
import type { Connector } from '../../src/sync/connector.ts';
import { sync } from '../../src/sync/engine.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox } from '../../sandbox/hubspot/server.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import { readJson, repoRoot } from '../helpers.ts';

const policy = readJson(join(repoRoot, 'policies', 'default.json')) as Policy;

function mapping(crm: 'hubspot' | 'salesforce'): Mapping {
  const checked = validateMapping(readJson(join(repoRoot, 'mappings', `${crm}.json`)));
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.mapping;
}

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function mirrored(crm: 'hubspot' | 'salesforce', connector: Connector): Promise<{ store: Store; id: string }> {
  const store = new SqliteStore(':memory:');
  closing.push(() => store.close());
  await store.migrate();
  const installation = await store.upsertInstallation(crm, 'x');
  await connector.setup(policy.tiers);
  await sync({ store, connector, mapping: mapping(crm), installationId: installation.id, policy, full: true });
  return { store, id: installation.id };
}

describe('display names from the CRMs into the mirror', () => {
  test('HubSpot sandbox: companies by name and domain, contacts by name and email, with their tier', async () => {
    const portal = generatePortal({ seed: 41, companies: 30, contacts: 80, deals: 40 });
    const companies = [...portal.objects.companies.records.values()];
    const contacts = [...portal.objects.contacts.records.values()];
    // As people leave them: a contact with only an email, in upper case.
    const bare = contacts[0];
    if (bare === undefined) throw new Error('no contact generated');
    Object.assign(bare.properties, { firstname: '', lastname: '', email: 'SOLO.Person@Example.ORG' });
    const running = await createSandbox({ portal, token: 'pat-find' }).listen(0);
    closing.push(() => running.close());
    const { store, id } = await mirrored(
      'hubspot',
      createHubSpotConnector({ accessToken: 'pat-find', baseUrl: running.url }),
    );

    const company = companies[3];
    if (company === undefined) throw new Error('no company generated');
    const name = company.properties['name'] ?? '';
    const domain = company.properties['domain'] ?? '';
    const byName = await store.findRecords(id, { text: name.slice(0, 6).toUpperCase(), type: 'company' });
    const hit = byName.matches.find((m) => m.id === company.id);
    expect(hit?.display).toEqual({ name, domain, email: null });
    expect(hit?.tier).toMatch(/_touch$/);
    expect((await store.findRecords(id, { text: domain })).matches.map((m) => m.id)).toContain(company.id);

    const person = contacts[5];
    if (person === undefined) throw new Error('no contact generated');
    const { firstname, lastname, email } = person.properties;
    const byPerson = await store.findRecords(id, { text: `${firstname ?? ''} ${lastname ?? ''}`, type: 'contact' });
    expect(byPerson.matches.find((m) => m.id === person.id)?.display).toEqual({
      name: `${firstname ?? ''} ${lastname ?? ''}`,
      domain: null,
      email,
    });
    expect((await store.findRecords(id, { text: email ?? '-' })).matches.map((m) => m.id)).toEqual([person.id]);
    const solo = await store.findRecords(id, { text: 'solo.person@example.org' });
    expect(solo.matches).toEqual([
      expect.objectContaining({
        type: 'contact',
        id: bare.id,
        display: { name: null, domain: null, email: 'SOLO.Person@Example.ORG' },
      }),
    ]);
  });

  test('fake Salesforce org: Accounts by Name and by the domain of their Website URL; Contacts and Leads', async () => {
    const org = generateOrg({ seed: 13, accounts: 12 });
    const sandbox = createSalesforceSandbox({ org });
    const running = await sandbox.listen();
    closing.push(() => running.close());
    const { accessToken } = sandbox.tokens.issue();
    const connector = createSalesforceConnector({ instanceUrl: running.url, accessToken });
    const { store, id } = await mirrored('salesforce', connector);

    const accounts = [...org.store('Account').values()];
    const withUrl = accounts.find((a) => String(a.values['Website']).startsWith('https://www.'));
    const upper = accounts.find((a) => String(a.values['Website']).startsWith('HTTP://'));
    const without = accounts.find((a) => a.values['Website'] === null);
    if (withUrl === undefined || upper === undefined || without === undefined) throw new Error('no such Website');
    for (const account of [withUrl, upper]) {
      const website = String(account.values['Website']);
      // https://www.norvexlabs.example.com/about → norvexlabs.example.com
      const domain = website
        .toLowerCase()
        .replace(/^https?:\/\/(www\.)?/, '')
        .replace(/\/.*$/, '');
      const found = await store.findRecords(id, { text: domain, type: 'company' });
      expect(found.matches.map((m) => m.id)).toContain(account.values['Id']);
      const match = found.matches.find((m) => m.id === account.values['Id']);
      expect(match?.display).toEqual({ name: account.values['Name'], domain, email: null });
      expect(match?.tier).toMatch(/_touch$/);
    }
    const name = String(without.values['Name']);
    const byName = await store.findRecords(id, { text: name.toLowerCase(), type: 'company' });
    expect(byName.matches.find((m) => m.id === without.values['Id'])?.display).toEqual({
      name,
      domain: null,
      email: null,
    });

    const lead = [...org.store('Lead').values()].find(
      (l) => l.values['IsConverted'] !== true && l.values['Email'] !== null,
    );
    const contact = [...org.store('Contact').values()].find((c) => c.values['Email'] !== null);
    if (lead === undefined || contact === undefined) throw new Error('no lead or contact with an email');
    for (const person of [lead, contact]) {
      const email = String(person.values['Email']);
      const found = await store.findRecords(id, { text: email.toUpperCase(), type: 'contact' });
      expect(found.matches.map((m) => m.id)).toEqual([person.values['Id']]);
      expect(found.matches[0]?.display).toEqual({
        name: `${String(person.values['FirstName'])} ${String(person.values['LastName'])}`,
        domain: null,
        email,
      });
    }
  });
});
