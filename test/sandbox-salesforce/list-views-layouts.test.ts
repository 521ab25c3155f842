/**
 * The fake org's list views (Metadata API `ListView` and the REST list view resources) and page /
 * compact layouts, through jsforce: what a careless client sends is refused or has the effect it
 * has in Salesforce (a layout saved without its other sections loses them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startOrg, type TestOrg } from './helpers.ts';

const TIERS = [
  ['tech_touch', 'Tech-touch'],
  ['high_touch', 'High-touch'],
] as const;

interface SaveResultLike {
  success: boolean;
  fullName: string;
  created?: boolean;
  errors?: { statusCode: string; message: string } | { statusCode: string; message: string }[];
}

function errorsOf(result: SaveResultLike): { statusCode: string; message: string }[] {
  const errors = result.errors;
  return errors === undefined ? [] : Array.isArray(errors) ? errors : [errors];
}

async function withTierField(t: TestOrg): Promise<void> {
  await t.conn.metadata.upsert('CustomField', {
    fullName: 'Account.Engagement_Model__c',
    label: 'Engagement Model',
    type: 'Picklist',
    valueSet: {
      restricted: true,
      valueSetDefinition: { sorted: false, value: TIERS.map(([value, label]) => ({ fullName: value, label })) },
    },
  } as never);
  await t.conn.metadata.upsert('CustomField', {
    fullName: 'Account.Engagement_Model_Reason__c',
    label: 'Engagement Model Reason',
    type: 'LongTextArea',
    length: 32768,
    visibleLines: 3,
  } as never);
}

async function upsert(t: TestOrg, type: string, md: unknown): Promise<SaveResultLike> {
  return (await t.conn.metadata.upsert(type, md as never)) as unknown as SaveResultLike;
}

function view(fullName: string, value: string, columns = ['ACCOUNT.NAME', 'Engagement_Model__c']): unknown {
  return {
    fullName,
    label: 'Engagement model: High-touch',
    filterScope: 'Everything',
    filters: [{ field: 'Engagement_Model__c', operation: 'equals', value }],
    columns,
    sharedTo: { allInternalUsers: '' },
  };
}

interface Results {
  size: number;
  done: boolean;
  records: { columns: { fieldNameOrPath: string; value: string | null }[] }[];
}

describe('fake Salesforce: list views', () => {
  let t: TestOrg;
  afterEach(async () => {
    await t.close();
  });

  it('saves a ListView, lists it over REST and evaluates its filter over the records', async () => {
    t = await startOrg();
    await withTierField(t);
    const accounts = [...t.org.store('Account').values()].filter((r) => r.deletedAt === null);
    accounts.forEach((record, i) => (record.values['Engagement_Model__c'] = i % 3 === 0 ? 'high_touch' : 'tech_touch'));
    const high = accounts.filter((r) => r.values['Engagement_Model__c'] === 'high_touch');

    expect(await upsert(t, 'ListView', view('Account.RightTouch_high_touch', 'high_touch'))).toMatchObject({
      success: true,
      created: true,
    });
    const listed = (await t.conn.sobject('Account').listviews()) as {
      listviews: { id: string; developerName: string; label: string }[];
    };
    const mine = listed.listviews.find((v) => v.developerName === 'RightTouch_high_touch');
    expect(mine?.label).toBe('Engagement model: High-touch');
    expect(listed.listviews.map((v) => v.developerName)).toContain('AllAccounts');

    const results = await t.conn.request<Results>(
      `/services/data/v66.0/sobjects/Account/listviews/${mine?.id ?? ''}/results?limit=2000`,
    );
    expect(results.size).toBe(high.length);
    const ids = results.records.map((r) => r.columns.find((c) => c.fieldNameOrPath === 'Id')?.value);
    expect(new Set(ids)).toEqual(new Set(high.map((r) => r.values['Id'])));
    expect(results.records[0]?.columns.map((c) => c.fieldNameOrPath).slice(0, 2)).toEqual([
      'Name',
      'Engagement_Model__c',
    ]);
    // jsforce's own helper: the first page (25 by default).
    const firstPage = (await t.conn
      .sobject('Account')
      .listview(mine?.id ?? '')
      .results()) as Results;
    expect(firstPage.records).toHaveLength(Math.min(25, high.length));
    expect(firstPage.done).toBe(high.length <= 25);

    // Comma-separated values match either; the whole view is replaced by a second save.
    await upsert(t, 'ListView', view('Account.RightTouch_high_touch', 'high_touch,tech_touch', ['ACCOUNT.NAME']));
    const both = await t.conn.request<Results>(
      `/services/data/v66.0/sobjects/Account/listviews/${mine?.id ?? ''}/results?limit=2000`,
    );
    expect(both.size).toBe(accounts.length);
    expect(
      both.records[0]?.columns.filter(
        (c) => !['Id', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'].includes(c.fieldNameOrPath),
      ),
    ).toHaveLength(1);

    const deleted = (await t.conn.metadata.delete(
      'ListView',
      'Account.RightTouch_high_touch',
    )) as unknown as SaveResultLike;
    expect(deleted.success).toBe(true);
    const after = (await t.conn.sobject('Account').listviews()) as {
      listviews: { developerName: string }[];
    };
    expect(after.listviews.map((v) => v.developerName)).not.toContain('RightTouch_high_touch');
  });

  it('refuses a label for a picklist value, a standard API name as a column, a bad name, and a permission set in sharedTo', async () => {
    t = await startOrg();
    await withTierField(t);
    const byLabel = await upsert(t, 'ListView', view('Account.RightTouch_high_touch', 'High-touch'));
    expect(byLabel.success).toBe(false);
    expect(errorsOf(byLabel)[0]?.message).toContain('High-touch');
    const apiName = await upsert(t, 'ListView', view('Account.RightTouch_high_touch', 'high_touch', ['Name']));
    expect(apiName.success).toBe(false);
    const unknownField = await upsert(t, 'ListView', {
      ...(view('Account.X', 'high_touch') as object),
      filters: [{ field: 'Engagement__c', operation: 'equals', value: 'x' }],
    });
    expect(unknownField.success).toBe(false);
    for (const name of [
      'Account.RightTouch__high',
      'Account.RightTouch_',
      `Account.${'A'.repeat(41)}`,
      'Account.1st',
    ]) {
      expect((await upsert(t, 'ListView', view(name, 'high_touch'))).success, name).toBe(false);
    }
    await expect(
      upsert(t, 'ListView', {
        ...(view('Account.RightTouch_x', 'high_touch') as object),
        sharedTo: { permissionSet: 'X' },
      }),
    ).rejects.toThrow(/permissionSet invalid/);
    expect(t.org.listViews.has('Account.RightTouch_x')).toBe(false);
    const longLabel = await upsert(t, 'ListView', {
      ...(view('Account.RightTouch_y', 'high_touch') as object),
      label: `Engagement model: ${'x'.repeat(30)}`,
    });
    expect(longLabel.success).toBe(false);
  });
});

interface LayoutLike {
  fullName: string;
  layoutSections: { label: string; layoutColumns: { layoutItems: { field: string; behavior: string }[] }[] }[];
}

describe('fake Salesforce: page layouts, compact layouts, object settings', () => {
  let t: TestOrg;
  afterEach(async () => {
    await t.close();
  });

  it('lists and reads the standard layouts; a save replaces the whole layout; required and unknown fields are checked', async () => {
    t = await startOrg();
    await withTierField(t);
    const listed = (await t.conn.metadata.list({ type: 'Layout' })) as unknown as { fullName: string }[];
    expect(listed.map((l) => l.fullName)).toEqual(
      expect.arrayContaining(['Account-Account Layout', 'Contact-Contact Layout', 'Lead-Lead Layout']),
    );
    const layout = (await t.conn.metadata.read('Layout', 'Account-Account Layout')) as unknown as LayoutLike;
    expect(layout.layoutSections.map((s) => s.label)).toEqual(['Account Information', 'System Information']);

    const section = {
      customLabel: true,
      detailHeading: true,
      editHeading: true,
      label: 'RightTouch',
      style: 'OneColumn',
      layoutColumns: [{ layoutItems: [{ field: 'Engagement_Model__c', behavior: 'Readonly' }] }],
    };
    // Without the required field.
    const noName = await upsert(t, 'Layout', { fullName: 'Account-Account Layout', layoutSections: [section] });
    expect(noName.success).toBe(false);
    expect(errorsOf(noName)[0]).toMatchObject({
      statusCode: 'FIELD_INTEGRITY_EXCEPTION',
      message: 'Layout must contain an item for required field Name',
    });
    const unknown = await upsert(t, 'Layout', {
      ...layout,
      layoutSections: [
        ...layout.layoutSections,
        { ...section, layoutColumns: [{ layoutItems: [{ field: 'Nope__c', behavior: 'Edit' }] }] },
      ],
    });
    expect(unknown.success).toBe(false);
    const twice = await upsert(t, 'Layout', {
      ...layout,
      layoutSections: [...layout.layoutSections, section, section],
    });
    expect(twice.success).toBe(false);
    // Only a section with Name: accepted, and every other section is gone.
    const sloppy = await upsert(t, 'Layout', {
      fullName: 'Account-Account Layout',
      layoutSections: [
        {
          ...section,
          layoutColumns: [
            {
              layoutItems: [
                { field: 'Name', behavior: 'Required' },
                { field: 'Engagement_Model__c', behavior: 'Readonly' },
              ],
            },
          ],
        },
      ],
    });
    expect(sloppy.success).toBe(true);
    const now = (await t.conn.metadata.read('Layout', 'Account-Account Layout')) as unknown as LayoutLike;
    expect(now.layoutSections.map((s) => s.label)).toEqual(['RightTouch']);
    // Lead needs Company too.
    const lead = (await t.conn.metadata.read('Layout', 'Lead-Lead Layout')) as unknown as LayoutLike;
    const withoutCompany = lead.layoutSections.map((s) => ({
      ...s,
      layoutColumns: s.layoutColumns.map((c) => ({
        ...c,
        layoutItems: c.layoutItems.filter((i) => i.field !== 'Company'),
      })),
    }));
    const noCompany = await upsert(t, 'Layout', { ...lead, layoutSections: withoutCompany });
    expect(errorsOf(noCompany)[0]?.message).toBe('Layout must contain an item for required field Company');
  });

  it('refuses to edit the system default compact layout; assigns a created one; a CustomObject save replaces its settings', async () => {
    t = await startOrg();
    await withTierField(t);
    const system = await upsert(t, 'CompactLayout', { fullName: 'Account.SYSTEM', label: 'System', fields: ['Name'] });
    expect(system.success).toBe(false);
    const longText = await upsert(t, 'CompactLayout', {
      fullName: 'Account.RightTouch',
      label: 'RightTouch',
      fields: ['Name', 'Engagement_Model__c', 'Engagement_Model_Reason__c'],
    });
    expect(longText.success).toBe(false);
    expect(errorsOf(longText)[0]?.message).toContain('text area');
    expect(
      await upsert(t, 'CompactLayout', {
        fullName: 'Account.RightTouch',
        label: 'RightTouch',
        fields: ['Name', 'Engagement_Model__c'],
      }),
    ).toMatchObject({ success: true, created: true });

    const account = (await t.conn.metadata.read('CustomObject', 'Account')) as unknown as Record<string, unknown>;
    expect(account).toMatchObject({ fullName: 'Account', compactLayoutAssignment: 'SYSTEM', enableHistory: false });
    const missing = await upsert(t, 'CustomObject', { ...account, compactLayoutAssignment: 'Nope' });
    expect(missing.success).toBe(false);
    expect(await upsert(t, 'CustomObject', { ...account, compactLayoutAssignment: 'RightTouch' })).toMatchObject({
      success: true,
    });
    expect(t.org.objectSettings.get('Account')).toMatchObject({
      compactLayoutAssignment: 'RightTouch',
      enableHistory: 'false',
    });
    // Written back without enableHistory: history is off.
    await upsert(t, 'CustomObject', { fullName: 'Account', compactLayoutAssignment: 'RightTouch' });
    expect(t.org.objectSettings.get('Account')?.['enableHistory']).toBeUndefined();
  });
});
