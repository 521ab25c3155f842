/**
 * Salesforce setup's list views per tier and layouts, against the fake org (which saves layouts
 * whole, checks required and unknown fields, and refuses edits of the system default compact
 * layout), and with nock where a refusal is easier to script.
 */
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import { listViewName } from '../../connectors/salesforce/list-views.ts';
import type { Tier } from '../../src/core/index.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import type { MdObject } from '../../sandbox/salesforce/model.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import type { Connector } from '../../src/sync/connector.ts';

const TIERS: Tier[] = [
  { value: 'tech_touch', label: 'Tech-touch' },
  { value: 'mid_touch', label: 'Mid-touch' },
  { value: 'high_touch', label: 'High-touch' },
];

let running: RunningSalesforceSandbox | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});

async function start() {
  const org = generateOrg({ seed: 9, accounts: 30 });
  const sandbox = createSalesforceSandbox({ org });
  running = await sandbox.listen();
  const tokens = sandbox.tokens.issue();
  const connector: Connector = createSalesforceConnector({ instanceUrl: running.url, accessToken: tokens.accessToken });
  return { org, sandbox, connector, url: running.url };
}

type Section = { label?: string; layoutColumns?: unknown };

function sections(layout: MdObject | undefined): Section[] {
  const value = layout?.['layoutSections'];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]) as Section[];
}

function fieldsOf(section: Section | undefined): string[] {
  const columns = section?.layoutColumns;
  const list = (Array.isArray(columns) ? columns : [columns]) as ({ layoutItems?: unknown } | string | undefined)[];
  return list.flatMap((column) => {
    if (typeof column !== 'object') return [];
    const items = column.layoutItems;
    return ((Array.isArray(items) ? items : [items]) as { field?: string }[]).flatMap((i) =>
      i.field === undefined ? [] : [i.field],
    );
  });
}

describe('Salesforce setup: list views per tier', () => {
  it('creates a view per tier and object, filtered on the API value, shared with all internal users; a second setup writes nothing', async () => {
    const { org, sandbox, connector, url } = await start();
    const report = await connector.setup(TIERS);
    for (const object of ['Account', 'Contact', 'Lead']) {
      for (const tier of TIERS) {
        const view = org.listViews.get(`${object}.RightTouch_${tier.value}`)?.md;
        expect(view, `${object} ${tier.value}`).toMatchObject({
          label: `Engagement model: ${tier.label}`,
          filterScope: 'Everything',
          filters: { field: 'Engagement_Model__c', operation: 'equals', value: tier.value },
          sharedTo: { allInternalUsers: '' },
        });
        expect(report.changes).toContain(`created list view ${object}.RightTouch_${tier.value}`);
      }
    }
    expect(org.listViews.get('Contact.RightTouch_high_touch')?.md['columns']).toContain('FULL_NAME');
    expect(report.lists).toHaveLength(9);
    expect(report.lists).toContainEqual({
      object: 'Lead',
      tier: 'high_touch',
      name: 'Engagement model: High-touch',
      id: 'Lead.RightTouch_high_touch',
      url: `${url}/lightning/o/Lead/list?filterName=RightTouch_high_touch`,
    });
    expect(report.warnings).toBeUndefined();

    sandbox.resetStats();
    const again = await connector.setup(TIERS);
    expect(again.changes).toEqual([]);
    expect(sandbox.stats.metadataWrites).toEqual([]);
    expect(again.lists).toEqual(report.lists);
  });

  it('relabels views when tier labels change, keeps an admin’s columns, and reports views of dropped tiers', async () => {
    const { org, connector } = await start();
    await connector.setup(TIERS);
    const view = org.listViews.get('Account.RightTouch_mid_touch');
    if (view === undefined) throw new Error('no view');
    view.md['columns'] = ['ACCOUNT.NAME', 'Engagement_Model__c', 'SALES'];
    const renamed: Tier[] = [
      { value: 'tech_touch', label: 'Digital' },
      { value: 'mid_touch', label: 'Pooled CSM' },
    ];
    const report = await connector.setup(renamed);
    expect(report.changes).toContain('updated list view Account.RightTouch_tech_touch');
    expect(org.listViews.get('Account.RightTouch_tech_touch')?.md['label']).toBe('Engagement model: Digital');
    expect(org.listViews.get('Account.RightTouch_mid_touch')?.md).toMatchObject({
      label: 'Engagement model: Pooled CSM',
      columns: ['ACCOUNT.NAME', 'Engagement_Model__c', 'SALES'],
    });
    expect(org.listViews.has('Account.RightTouch_high_touch')).toBe(true);
    expect(report.warnings).toContainEqual(
      expect.stringContaining('Account.RightTouch_high_touch is for a tier the policy no longer has'),
    );
    expect(report.lists?.map((l) => l.tier)).not.toContain('high_touch');
  });

  it('leaves the sharing an admin gave a view (a group instead of all internal users)', async () => {
    const { org, sandbox, connector } = await start();
    await connector.setup(TIERS, { layouts: false });
    const view = org.listViews.get('Lead.RightTouch_mid_touch');
    if (view === undefined) throw new Error('no view');
    view.md['sharedTo'] = { group: 'Marketing' };
    sandbox.resetStats();
    expect((await connector.setup(TIERS, { layouts: false })).changes).toEqual([]);
    expect(sandbox.stats.metadataWrites).toEqual([]);
    expect(view.md['sharedTo']).toEqual({ group: 'Marketing' });
    // A view whose sharing was emptied is shared with all internal users again.
    view.md['sharedTo'] = '';
    expect((await connector.setup(TIERS, { layouts: false })).changes).toEqual([
      'updated list view Lead.RightTouch_mid_touch',
    ]);
    expect(org.listViews.get('Lead.RightTouch_mid_touch')?.md['sharedTo']).toEqual({ allInternalUsers: '' });
  });

  it('gives long tier values a valid developer name of at most 40 characters', () => {
    const long = `a${'_b'.repeat(30)}`;
    const name = listViewName(long);
    expect(name.length).toBeLessThanOrEqual(40);
    expect(name).toMatch(/^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*[A-Za-z0-9]$/);
    expect(listViewName(`${long}x`)).not.toBe(name);
    expect(listViewName('high_touch')).toBe('RightTouch_high_touch');
  });

  it('cuts a long tier label to the 40 characters a view label takes', async () => {
    const { org, connector } = await start();
    const report = await connector.setup(
      [{ value: 'high_touch', label: 'High-touch with a dedicated success manager' }],
      {
        layouts: false,
      },
    );
    expect(report.warnings).toBeUndefined();
    const label = org.listViews.get('Account.RightTouch_high_touch')?.md['label'];
    expect(label).toHaveLength(40);
    expect(label).toMatch(/^Engagement model: High-touch with a d.*…$/);
  });

  it('with lists and layouts off, setup keeps only the fields', async () => {
    const { org, sandbox, connector } = await start();
    const report = await connector.setup(TIERS, { lists: false, layouts: false });
    expect(report.lists).toBeUndefined();
    expect([...org.listViews.keys()].some((name) => name.includes('RightTouch'))).toBe(false);
    expect(sandbox.stats.metadataWrites.some((w) => /ListView|Layout/.test(w))).toBe(false);
    // The object itself is written once, for field history only: no compact layout assigned.
    expect(org.objectSettings.get('Account')?.['compactLayoutAssignment']).toBe('SYSTEM');
  });
});

describe('Salesforce setup: layouts', () => {
  it('adds a RightTouch section to every layout of the three objects, keeping the other sections; a second setup writes nothing', async () => {
    const { org, sandbox, connector } = await start();
    const before = new Map([...org.layouts].map(([name, layout]) => [name, sections(layout).map((s) => s.label)]));
    const report = await connector.setup(TIERS);
    for (const name of [
      'Account-Account Layout',
      'Account-Account Key Account Layout',
      'Contact-Contact Layout',
      'Lead-Lead Layout',
    ]) {
      const labels = sections(org.layouts.get(name)).map((s) => s.label);
      const kept = before.get(name) ?? [];
      expect(labels, name).toEqual([kept[0], 'RightTouch', ...kept.slice(1)]);
      const ours = sections(org.layouts.get(name)).find((s) => s.label === 'RightTouch');
      expect(fieldsOf(ours).sort()).toEqual(
        [
          'Engagement_Model__c',
          'Engagement_Model_Next__c',
          'Engagement_Model_Override__c',
          'Engagement_Model_Reason__c',
          'Engagement_Model_Updated__c',
        ].sort(),
      );
      expect(report.changes).toContain(`put the RightTouch section on layout ${name}`);
    }
    expect(fieldsOf(sections(org.layouts.get('Account-Account Layout'))[0])).toContain('Support_Plan__c');

    // The highlights panel: our compact layout, assigned in place of the system default, history kept.
    expect(org.compactLayouts.get('Account.RightTouch')?.['fields']).toEqual([
      'Name',
      'Engagement_Model__c',
      'OwnerId',
      'Website',
    ]);
    expect(org.objectSettings.get('Lead')).toMatchObject({
      compactLayoutAssignment: 'RightTouch',
      enableHistory: 'true',
      enableFeeds: 'true',
    });

    sandbox.resetStats();
    expect((await connector.setup(TIERS)).changes).toEqual([]);
    expect(sandbox.stats.metadataWrites).toEqual([]);
  });

  it('adds only the missing fields where an admin placed some, and the tier to an admin’s own primary compact layout', async () => {
    const { org, connector } = await start();
    await connector.setup(TIERS, { layouts: false });
    const layout = org.layouts.get('Contact-Contact Layout');
    const first = sections(layout)[0] as MdObject;
    const columns = first['layoutColumns'] as MdObject[];
    (columns[1] as MdObject)['layoutItems'] = [
      ...((columns[1] as MdObject)['layoutItems'] as MdObject[]),
      { field: 'Engagement_Model__c', behavior: 'Readonly' },
    ];
    org.compactLayouts.set('Contact.Sales', { fullName: 'Contact.Sales', label: 'Sales', fields: ['Name', 'Email'] });
    const settings = org.objectSettings.get('Contact');
    if (settings !== undefined) settings['compactLayoutAssignment'] = 'Sales';

    await connector.setup(TIERS);
    const ours = sections(org.layouts.get('Contact-Contact Layout')).find((s) => s.label === 'RightTouch');
    expect(fieldsOf(ours)).not.toContain('Engagement_Model__c');
    expect(fieldsOf(ours)).toContain('Engagement_Model_Reason__c');
    expect(org.compactLayouts.get('Contact.Sales')?.['fields']).toEqual(['Name', 'Email', 'Engagement_Model__c']);
    expect(org.objectSettings.get('Contact')?.['compactLayoutAssignment']).toBe('Sales');
    expect(org.compactLayouts.has('Contact.RightTouch')).toBe(false);
  });

  it('reports a layout Salesforce refuses as a warning and goes on', async () => {
    const { org, connector } = await start();
    // A layout that is already invalid in the org (Salesforce would have refused it; an old one).
    org.layouts.set('Lead-Old Lead Layout', {
      fullName: 'Lead-Old Lead Layout',
      layoutSections: {
        label: 'Old',
        style: 'OneColumn',
        layoutColumns: { layoutItems: { field: 'Name', behavior: 'Required' } },
      },
    });
    const report = await connector.setup(TIERS);
    expect(report.warnings).toContainEqual(
      expect.stringMatching(
        /refused the RightTouch section on layout Lead-Old Lead Layout: FIELD_INTEGRITY_EXCEPTION: Layout must contain an item for required field Company/,
      ),
    );
    expect(report.changes).toContain('put the RightTouch section on layout Lead-Lead Layout');
  });
});

describe('Salesforce setup: a compact layout Salesforce refuses (nock)', () => {
  it('does not assign a compact layout that was not saved', async () => {
    nock.disableNetConnect();
    const base = 'https://example.my.salesforce.com';
    const xml = { 'Content-Type': 'text/xml' };
    const soap = (body: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
    const scope = nock(base)
      .post('/services/Soap/m/66.0', /<listMetadata>.*<type>Layout<\/type>/)
      .reply(200, soap('<listMetadataResponse></listMetadataResponse>'), xml)
      .post('/services/Soap/m/66.0', /<readMetadata><type>CustomObject<\/type>/)
      .reply(
        200,
        soap(
          ['Account', 'Contact', 'Lead']
            .map(
              (o) =>
                `<records xsi:type="CustomObject"><fullName>${o}</fullName><compactLayoutAssignment>SYSTEM</compactLayoutAssignment><enableHistory>true</enableHistory></records>`,
            )
            .join('')
            .replace(/^/, '<readMetadataResponse><result>')
            .concat('</result></readMetadataResponse>'),
        ),
        xml,
      )
      .post('/services/Soap/m/66.0', /<readMetadata><type>CompactLayout<\/type>/)
      .reply(
        200,
        soap('<readMetadataResponse><result><records xsi:type="CompactLayout"/></result></readMetadataResponse>'),
        xml,
      )
      .post('/services/Soap/m/66.0', /<upsertMetadata>.*Account\.RightTouch.*Contact\.RightTouch.*Lead\.RightTouch/)
      .reply(
        200,
        soap(
          '<upsertMetadataResponse>' +
            ['Account', 'Contact', 'Lead']
              .map(
                (o) =>
                  `<result><created>false</created><errors><message>Insufficient access</message><statusCode>INSUFFICIENT_ACCESS</statusCode></errors><fullName>${o}.RightTouch</fullName><success>false</success></result>`,
              )
              .join('') +
            '</upsertMetadataResponse>',
        ),
        xml,
      );
    const { ensureLayouts } = await import('../../connectors/salesforce/layouts.ts');
    const { createContext } = await import('../../connectors/salesforce/context.ts');
    const context = createContext({ instanceUrl: base, accessToken: '00Dxx!token', version: '66.0' });
    const outcome = await ensureLayouts(context);
    scope.done(); // no CustomObject update was attempted: it would have no interceptor
    expect(outcome.changes).toEqual([]);
    expect(outcome.warnings).toEqual([
      'Salesforce refused the compact layout Account.RightTouch: INSUFFICIENT_ACCESS: Insufficient access',
      'Salesforce refused the compact layout Contact.RightTouch: INSUFFICIENT_ACCESS: Insufficient access',
      'Salesforce refused the compact layout Lead.RightTouch: INSUFFICIENT_ACCESS: Insufficient access',
    ]);
  });
});

describe('Salesforce setup: list views when listing them fails (nock)', () => {
  it('keeps the views it saved and says it could not look for views of dropped tiers', async () => {
    nock.disableNetConnect();
    const base = 'https://example.my.salesforce.com';
    const xml = { 'Content-Type': 'text/xml' };
    const envelope = (body: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
    const names = ['Account', 'Contact', 'Lead'].map((o) => `${o}.RightTouch_high_touch`);
    const scope = nock(base)
      .post('/services/Soap/m/66.0', /<readMetadata><type>ListView<\/type>/)
      .reply(
        200,
        envelope('<readMetadataResponse><result><records xsi:type="ListView"/></result></readMetadataResponse>'),
        xml,
      )
      .post(
        '/services/Soap/m/66.0',
        (body: string) =>
          body.includes('<upsertMetadata>') &&
          names.every((n) => body.includes(`<fullName>${n}</fullName>`)) &&
          body.includes('<value>high_touch</value>') &&
          body.includes('<allInternalUsers></allInternalUsers>'),
      )
      .reply(
        200,
        envelope(
          `<upsertMetadataResponse>${names.map((n) => `<result><created>true</created><fullName>${n}</fullName><success>true</success></result>`).join('')}</upsertMetadataResponse>`,
        ),
        xml,
      )
      .post('/services/Soap/m/66.0', /<listMetadata>/)
      .reply(
        500,
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:UNKNOWN_EXCEPTION</faultcode><faultstring>UNKNOWN_EXCEPTION: An unexpected error occurred</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>',
        xml,
      );
    const { ensureListViews } = await import('../../connectors/salesforce/list-views.ts');
    const { createContext } = await import('../../connectors/salesforce/context.ts');
    const context = createContext({ instanceUrl: base, accessToken: '00Dxx!token', version: '66.0' });
    const outcome = await ensureListViews(context, [{ value: 'high_touch', label: 'High-touch' }]);
    scope.done();
    expect(outcome.changes).toEqual(names.map((n) => `created list view ${n}`));
    expect(outcome.lists.map((l) => l.id)).toEqual(names);
    expect(outcome.warnings).toEqual([
      expect.stringMatching(/^could not list the org's list views .*UNKNOWN_EXCEPTION/),
    ]);
  });
});
