/**
 * Field history in the fake org (sandbox/salesforce/field-history.ts), through jsforce: the
 * Metadata API keeps `enableHistory` (CustomObject, written whole) and `trackHistory` (CustomField,
 * refused on an object without history and past 20 tracked fields); AccountHistory rows, queryable
 * with `CreatedBy.Name`, exist only for tracked fields, by the API user for its writes and by the
 * person for a hand edit; OldValue/NewValue cannot be filtered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { editByHand } from '../../sandbox/salesforce/field-history.ts';
import { NOW, startOrg, type TestOrg } from './helpers.ts';

interface SaveResultLike {
  success: boolean;
  fullName: string;
  errors?: { statusCode: string; message: string } | { statusCode: string; message: string }[];
}

const TIER = 'Account.Engagement_Model__c';

function tierField(trackHistory: boolean): Record<string, unknown> {
  return {
    fullName: TIER,
    label: 'Engagement Model',
    type: 'Picklist',
    trackHistory,
    valueSet: {
      restricted: true,
      valueSetDefinition: {
        sorted: false,
        value: ['tech_touch', 'high_touch'].map((v) => ({ fullName: v, label: v, default: false })),
      },
    },
  };
}

interface HistoryRow {
  AccountId: string;
  Field: string;
  OldValue: string | null;
  NewValue: string | null;
  CreatedById: string;
  CreatedBy: { Name: string } | null;
  CreatedDate: string;
}

describe('fake Salesforce: field history tracking', () => {
  let t: TestOrg;
  afterEach(async () => {
    await t.close();
  });

  const upsert = async (type: string, md: unknown): Promise<SaveResultLike> =>
    (await t.conn.metadata.upsert(type, md as never)) as unknown as SaveResultLike;
  const history = async (accountId: string): Promise<HistoryRow[]> =>
    (
      await t.conn.query<HistoryRow>(
        `SELECT AccountId, Field, OldValue, NewValue, CreatedById, CreatedBy.Name, CreatedDate FROM AccountHistory WHERE AccountId = '${accountId}' AND Field = 'Engagement_Model__c' ORDER BY CreatedDate DESC`,
      )
    ).records;

  it('tracks a field only on an object with history on; rows name the API user or the person', async () => {
    t = await startOrg();
    // Tracking on an object without history is refused, as a component error.
    const refused = await upsert('CustomField', tierField(true));
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.errors)).toContain('The entity: Account does not have history tracking enabled');
    // Untracked: writes make no history.
    expect((await upsert('CustomField', tierField(false))).success).toBe(true);
    t.org.profileGrants.add(TIER);
    const account = [...t.org.store('Account').keys()][0] ?? '';
    await t.conn.sobject('Account').update([{ Id: account, Engagement_Model__c: 'tech_touch' }], { allOrNone: false });
    expect(await history(account)).toEqual([]);

    // Read-modify-write of the object: history on; then the field tracked.
    const object = (await t.conn.metadata.read('CustomObject', 'Account')) as unknown as Record<string, unknown>;
    expect(String(object['enableHistory'])).toBe('false'); // jsforce reads booleans by the metadata schema
    expect((await upsert('CustomObject', { ...object, enableHistory: true })).success).toBe(true);
    expect((await upsert('CustomField', tierField(true))).success).toBe(true);
    const field = (await t.conn.metadata.read('CustomField', TIER)) as unknown as { trackHistory?: unknown };
    expect(String(field.trackHistory)).toBe('true');

    await t.conn.sobject('Account').update([{ Id: account, Engagement_Model__c: 'high_touch' }], { allOrNone: false });
    const sam = [...t.org.store('User').values()].find((u) => u.values['Name'] === 'Sam Sales');
    const samId = String(sam?.values['Id']);
    editByHand(t.org, 'Account', account, {
      field: 'Engagement_Model__c',
      value: 'tech_touch',
      userId: samId,
      at: NOW + 60_000,
    });
    const rows = await history(account);
    expect(rows.map((r) => [r.OldValue, r.NewValue, r.CreatedById, r.CreatedBy?.Name])).toEqual([
      ['high_touch', 'tech_touch', samId, 'Sam Sales'],
      ['tech_touch', 'high_touch', t.org.integrationUserId, 'Integration User'],
    ]);
    expect(rows[0]?.CreatedDate).toBe('2026-11-20T10:01:00.000+0000');
    expect(t.org.get('Account', account)?.values['LastModifiedById']).toBe(samId);

    // Written back without enableHistory, the object's history is off: no more rows.
    expect((await upsert('CustomObject', { fullName: 'Account' })).success).toBe(true);
    await t.conn.sobject('Account').update([{ Id: account, Engagement_Model__c: 'high_touch' }], { allOrNone: false });
    expect((await history(account)).length).toBe(2);
  });

  it('refuses a 21st tracked field, and filtering on NewValue', async () => {
    t = await startOrg();
    expect((await upsert('CustomObject', { fullName: 'Account', enableHistory: true })).success).toBe(true);
    for (let i = 0; i < 20; i++) {
      const result = await upsert('CustomField', {
        fullName: `Account.Tracked_${i}__c`,
        label: `T${i}`,
        type: 'Text',
        length: 20,
        trackHistory: true,
      });
      expect(result.success).toBe(true);
    }
    const full = await upsert('CustomField', tierField(true));
    expect(full.success).toBe(false);
    expect(JSON.stringify(full.errors)).toContain('exceeded the allowed number of fields to track on a given entity');
    await expect(t.conn.query("SELECT Id FROM AccountHistory WHERE NewValue = 'x'")).rejects.toThrow(
      "field 'NewValue' can not be filtered in a query call",
    );
  });
});
