import { afterEach, describe, expect, it } from 'vitest';
import { generateOrg, mutateOrg } from '../../sandbox/salesforce/generate.ts';
import { NOW, startOrg, type TestOrg } from './helpers.ts';

const TIERS = ['Tech-touch', 'Low-touch', 'Mid-touch', 'High-touch'];

function picklistField(fullName: string): Record<string, unknown> {
  return {
    fullName,
    label: 'Engagement Model',
    type: 'Picklist',
    description: 'Managed by RightTouch',
    inlineHelpText: 'Set automatically',
    valueSet: {
      restricted: true,
      valueSetDefinition: { sorted: false, value: TIERS.map((v) => ({ fullName: v, label: v, default: false })) },
    },
  };
}

interface UpsertResultLike {
  created: boolean;
  success: boolean;
  fullName: string;
  errors: { statusCode: string; message: string }[];
}

describe('fake Salesforce: Metadata API, field-level security and permission sets', () => {
  let t: TestOrg;
  afterEach(async () => {
    await t.close();
  });

  it('upserts picklist fields (created, then updated), returns component errors without throwing', async () => {
    t = await startOrg();
    const upsert = async (md: unknown): Promise<UpsertResultLike> =>
      (await t.conn.metadata.upsert('CustomField', md as never)) as unknown as UpsertResultLike;
    expect(await upsert(picklistField('Account.Engagement_Model__c'))).toMatchObject({
      created: true,
      success: true,
      fullName: 'Account.Engagement_Model__c',
    });
    expect(await upsert(picklistField('Account.Engagement_Model__c'))).toMatchObject({ created: false, success: true });
    const many = (await t.conn.metadata.upsert('CustomField', [
      picklistField('Contact.Engagement_Model__c'),
      { fullName: 'Contact.Engagement_Notes__c', label: 'Notes', type: 'LongTextArea', length: 32768, visibleLines: 5 },
    ] as never)) as unknown as UpsertResultLike[];
    expect(many.map((r) => [r.created, r.success])).toEqual([
      [true, true],
      [true, true],
    ]);

    const noValues = await upsert({ fullName: 'Account.Broken__c', label: 'Broken', type: 'Picklist' });
    expect(noValues).toMatchObject({ success: false, errors: [{ statusCode: 'FIELD_INTEGRITY_EXCEPTION' }] });
    const noObject = await upsert(picklistField('Widget.Engagement_Model__c'));
    expect(noObject.success).toBe(false);

    const read = (await t.conn.metadata.read('CustomField', 'Account.Engagement_Model__c')) as unknown as {
      fullName: string;
      valueSet: { restricted: boolean; valueSetDefinition: { value: { fullName: string }[] } };
    };
    expect(read.fullName).toBe('Account.Engagement_Model__c');
    expect(read.valueSet.restricted).toBe(true);
    expect(read.valueSet.valueSetDefinition.value.map((v) => v.fullName)).toEqual(TIERS);
    const missing = (await t.conn.metadata.read('CustomField', 'Account.Nope__c')) as unknown as { fullName?: string };
    expect(missing.fullName).toBeUndefined();
  });

  it('keeps a new field invisible until a permission set granting it is assigned', async () => {
    t = await startOrg();
    await t.conn.metadata.upsert('CustomField', picklistField('Account.Engagement_Model__c') as never);
    const describeNames = async (): Promise<string[]> => (await t.conn.describe('Account')).fields.map((f) => f.name);
    expect(await describeNames()).not.toContain('Engagement_Model__c');
    await expect(t.conn.query('SELECT Id, Engagement_Model__c FROM Account')).rejects.toMatchObject({
      errorCode: 'INVALID_FIELD',
    });
    const [account] = [...t.org.store('Account').values()].filter((r) => r.deletedAt === null);
    const accountId = account?.values['Id'] as string;
    await expect(
      t.conn.sobject('Account').update([{ Id: accountId, Engagement_Model__c: 'High-touch' }]),
    ).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });

    const ps = (await t.conn.metadata.upsert('PermissionSet', {
      fullName: 'RightTouch_Engagement_Model',
      label: 'RightTouch Engagement Model',
      description: 'Read/edit Engagement Model',
      fieldPermissions: [{ field: 'Account.Engagement_Model__c', readable: true, editable: true }],
    } as never)) as unknown as UpsertResultLike;
    expect(ps).toMatchObject({ created: true, success: true });
    expect(await describeNames()).not.toContain('Engagement_Model__c');

    const identity = await t.conn.identity();
    expect(identity.user_id).toBe(t.org.integrationUserId);
    const found = await t.conn.query<{ Id: string; Name: string }>(
      "SELECT Id, Name FROM PermissionSet WHERE Name = 'RightTouch_Engagement_Model'",
    );
    const psId = found.records[0]?.Id ?? '';
    expect(psId).toMatch(/^0PS/);
    const assigned = await t.conn
      .sobject('PermissionSetAssignment')
      .create({ AssigneeId: identity.user_id, PermissionSetId: psId });
    expect(assigned).toMatchObject({ success: true, id: expect.stringMatching(/^0Pa/) as unknown });
    await expect(
      t.conn.sobject('PermissionSetAssignment').create({ AssigneeId: identity.user_id, PermissionSetId: psId }),
    ).rejects.toMatchObject({ errorCode: 'DUPLICATE_VALUE' });
    const assignments = await t.conn.query(
      `SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '${identity.user_id}' AND PermissionSetId = '${psId}'`,
    );
    expect(assignments.totalSize).toBe(1);

    const field = (await t.conn.describe('Account')).fields.find((f) => f.name === 'Engagement_Model__c');
    expect(field).toMatchObject({ type: 'picklist', restrictedPicklist: true, updateable: true });
    const results = (await t.conn.sobject('Account').update([
      { Id: accountId, Engagement_Model__c: 'High-touch' },
      { Id: accountId, Engagement_Model__c: 'Ultra-touch' },
    ])) as unknown as { success: boolean; errors: { statusCode: string }[] }[];
    expect(results.map((r) => r.success)).toEqual([true, false]);
    expect(results[1]?.errors[0]?.statusCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    const after = await t.conn.query<{ Engagement_Model__c: string }>(
      `SELECT Engagement_Model__c FROM Account WHERE Id = '${accountId}'`,
    );
    expect(after.records[0]?.Engagement_Model__c).toBe('High-touch');
  });

  it('answers an expired SOAP session with an INVALID_SESSION_ID fault that jsforce refreshes past', async () => {
    t = await startOrg();
    t.sandbox.tokens.expireAccessTokens();
    const result = (await t.conn.metadata.upsert(
      'CustomField',
      picklistField('Lead.Engagement_Model__c') as never,
    )) as unknown as UpsertResultLike;
    expect(result).toMatchObject({ created: true, success: true });
    expect(t.sandbox.stats.byStatus['500']).toBe(1);
  });
});

describe('fake Salesforce: Bulk API 2.0 and deletes', () => {
  let t: TestOrg;
  afterEach(async () => {
    await t.close();
  });

  it('runs loadAndWaitForResults for an update with a failed row', async () => {
    t = await startOrg();
    t.conn.bulk2.pollInterval = 20;
    const live = [...t.org.store('Account').values()].filter((r) => r.deletedAt === null);
    const [a = '', b = ''] = live.map((r) => r.values['Id'] as string);
    const gone = [...t.org.store('Account').values()].find((r) => r.deletedAt !== null)?.values['Id'] as string;
    const results = await t.conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'update',
      input: [
        // jsforce takes the CSV columns from the first record: give it every column.
        { Id: a, Support_Plan__c: 'Premier', NumberOfEmployees: null, Prefers_Digital__c: false },
        { Id: b, Support_Plan__c: 'Standard', Prefers_Digital__c: true },
        { Id: gone, Support_Plan__c: 'Basic' },
      ],
    });
    expect(results.successfulResults.map((r) => r['sf__Id']).sort()).toEqual([a, b].sort());
    expect(results.successfulResults[0]?.['sf__Created']).toBe('false');
    expect(results.failedResults).toHaveLength(1);
    expect(results.failedResults[0]).toMatchObject({
      sf__Id: gone,
      sf__Error: 'ENTITY_IS_DELETED:entity is deleted:--',
    });
    expect(results.unprocessedRecords).toEqual([]);
    expect(t.org.get('Account', a)?.values).toMatchObject({
      Support_Plan__c: 'Premier',
      NumberOfEmployees: null,
    });
    expect(t.org.get('Account', b)?.values).toMatchObject({ Prefers_Digital__c: true });
    expect(t.sandbox.stats.bulkJobs).toBe(1);

    const job = t.conn.bulk2.createJob({ object: 'Account', operation: 'update' });
    await job.open();
    await job.uploadData(`Id,Support_Plan__c\n${a},Basic\n`);
    await job.close();
    const firstPoll = await job.check();
    expect(firstPoll.state).toBe('InProgress');
    expect((await job.check()).state).toBe('JobComplete');
    expect(await job.getFailedResults()).toEqual([]);
    await job.delete();
  });

  it('takes a job’s data once, closes only an Open job, lists jobs, counts every poll', async () => {
    t = await startOrg({ bulkProcessingPolls: 2 });
    const id = [...t.org.store('Account').values()].find((r) => r.deletedAt === null)?.values['Id'] as string;
    const base = '/services/data/v66.0/jobs/ingest';
    // A new object each time: jsforce writes content-length into the headers it is given.
    const json = () => ({ 'Content-Type': 'application/json' });
    const job = await t.conn.request<{ id: string; state: string }>({
      method: 'POST',
      url: base,
      body: JSON.stringify({ object: 'Account', operation: 'update' }),
      headers: json(),
    });
    const put = () =>
      t.conn.request({
        method: 'PUT',
        url: `${base}/${job.id}/batches`,
        body: `Id,Support_Plan__c\n${id},Premier\n`,
        headers: { 'Content-Type': 'text/csv' },
      });
    await put();
    await expect(put()).rejects.toMatchObject({
      errorCode: 'BULK_API_ERROR',
      message: expect.stringMatching(
        /^Found multipe contents for job: <\w{15}>, .* only do 'PUT' once on a given Job\.$/,
      ) as unknown,
    });
    const close = () =>
      t.conn.request<{ state: string }>({
        method: 'PATCH',
        url: `${base}/${job.id}`,
        body: JSON.stringify({ state: 'UploadComplete' }),
        headers: json(),
      });
    expect((await close()).state).toBe('UploadComplete');
    await expect(close()).rejects.toMatchObject({ errorCode: 'INVALIDJOBSTATE' });

    const list = await t.conn.request<{ done: boolean; records: { id: string; state: string; object: string }[] }>(
      `${base}?jobType=V2Ingest`,
    );
    expect(list).toMatchObject({ done: true, records: [{ id: job.id, state: 'UploadComplete', object: 'Account' }] });

    const remaining = async () => (await t.conn.limits()).DailyApiRequests?.Remaining ?? Number.NaN;
    const before = await remaining();
    const states: string[] = [];
    for (let poll = 0; poll < 3; poll++) {
      states.push((await t.conn.request<{ state: string }>(`${base}/${job.id}`)).state);
    }
    expect(states).toEqual(['InProgress', 'InProgress', 'JobComplete']);
    // Three polls and the /limits call itself: each one a call against the daily allocation.
    expect(before - (await remaining())).toBe(4);
    expect(t.org.get('Account', id)?.values['Support_Plan__c']).toBe('Premier');
  });

  it('lists deleted records in a window and reports merges through queryAll', async () => {
    t = await startOrg();
    const id = [...t.org.store('Contact').values()].find((r) => r.deletedAt === null)?.values['Id'] as string;
    t.org.deleteRecord('Contact', id, NOW - 60_000 * 5);
    const res = await t.conn.sobject('Contact').deleted(new Date(NOW - 86_400_000 * 14), new Date(NOW));
    expect(res.deletedRecords.map((r) => r.id)).toContain(id);
    expect(res.earliestDateAvailable).toBe('2026-11-05T10:00:00.000+0000');
    expect(res.latestDateCovered).toBe('2026-11-20T10:00:00.000+0000');
    const merged = await t.conn.query<{ Id: string; MasterRecordId: string }>(
      'SELECT Id, MasterRecordId FROM Contact WHERE IsDeleted = true AND MasterRecordId != null',
      { scanAll: true },
    );
    expect(merged.totalSize).toBe(1);
  });
});

describe('fake Salesforce: generation', () => {
  it('generates the same org for the same seed, and mutates it deterministically', () => {
    const snapshot = (seed: number): unknown => {
      const org = generateOrg({ seed, accounts: 30, now: NOW });
      const changed = mutateOrg(org, { seed: 2, now: NOW + 1000 });
      return { records: [...org.records.entries()].map(([k, v]) => [k, [...v.values()]]), changed };
    };
    expect(snapshot(5)).toEqual(snapshot(5));
    expect(snapshot(5)).not.toEqual(snapshot(6));
    const org = generateOrg({ seed: 1, now: NOW });
    expect(org.store('Account').size).toBe(500);
    expect(org.store('Contact').size).toBe(2000);
    expect(org.store('Lead').size).toBe(500);
    expect(org.store('Opportunity').size).toBe(750);
    const changed = mutateOrg(org, { seed: 9, opportunities: 10, contacts: 5, leads: 5, now: NOW + 60_000 });
    expect(changed.opportunities).toHaveLength(10);
    expect(org.get('Contact', changed.contacts[0] ?? '')?.values['SystemModstamp']).toBe(
      '2026-11-20T10:01:00.000+0000',
    );
  });
});

describe('fake Salesforce: JWT-based access tokens on the Metadata (SOAP) API', () => {
  it('refuses them below API 68.0 with INVALID_SESSION_ID, takes them from 68.0', async () => {
    const t = await startOrg({ accounts: 2 });
    try {
      t.sandbox.tokens.jwtAccessTokens = true;
      const { accessToken } = t.sandbox.tokens.issue();
      const read = (version: string) =>
        fetch(`${t.running.url}/services/Soap/m/${version}`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml', soapaction: '""' },
          body:
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata">' +
            `<soapenv:Header><SessionHeader><sessionId>${accessToken}</sessionId></SessionHeader></soapenv:Header>` +
            '<soapenv:Body><readMetadata><type>CustomField</type><fullNames>Account.Support_Plan__c</fullNames></readMetadata></soapenv:Body></soapenv:Envelope>',
        });
      const refused = await read('66.0');
      expect(refused.status).toBe(500);
      expect(await refused.text()).toContain('INVALID_SESSION_ID');
      const taken = await read('68.0');
      expect(taken.status).toBe(200);
      expect(await taken.text()).toContain('Support_Plan__c');
    } finally {
      await t.close();
    }
  });
});
