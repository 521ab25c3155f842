import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { parseDateTime } from '../../sandbox/salesforce/model.ts';
import { NOW, startOrg, type TestOrg } from './helpers.ts';

interface Row {
  Id: string;
  SystemModstamp?: string;
  IsDeleted?: boolean;
  MasterRecordId?: string | null;
}

describe('fake Salesforce: query and describe through jsforce', () => {
  let t: TestOrg;
  beforeAll(async () => {
    // 2,600 accounts → 10,400 contacts: enough to hit jsforce's default maxFetch of 10,000.
    t = await startOrg({ org: generateOrg({ seed: 3, accounts: 2600, now: NOW }) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('pages with nextRecordsUrl using the batchSize header (autoFetch + maxFetch)', async () => {
    const live = [...t.org.store('Account').values()].filter((r) => r.deletedAt === null).length;
    const before = t.sandbox.stats.byEndpoint['GET /services/data/vXX.X/query/:locator'] ?? 0;
    const result = await t.conn.query<Row>('SELECT Id, Name FROM Account', {
      autoFetch: true,
      maxFetch: 100_000,
      headers: { 'Sforce-Query-Options': 'batchSize=500' },
    });
    expect(result.totalSize).toBe(live);
    expect(result.records).toHaveLength(live);
    expect(result.done).toBe(true);
    expect(new Set(result.records.map((r) => r.Id)).size).toBe(live);
    const pages = (t.sandbox.stats.byEndpoint['GET /services/data/vXX.X/query/:locator'] ?? 0) - before;
    expect(pages).toBe(Math.ceil(live / 500) - 1);

    const first = await t.conn.query<Row>('SELECT Id FROM Account', {
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    expect(first.records).toHaveLength(200);
    expect(first.done).toBe(false);
    expect(first.nextRecordsUrl).toMatch(/\/services\/data\/v66\.0\/query\/01g[0-9A-Za-z]+-200$/);
  });

  it("stops at jsforce's default maxFetch of 10,000 with done:false (the gotcha)", async () => {
    const result = await t.conn.query<Row>('SELECT Id FROM Contact', { autoFetch: true });
    expect(result.totalSize).toBeGreaterThan(10_000);
    expect(result.records).toHaveLength(10_000);
    expect(result.done).toBe(false);
  });

  it('filters on SystemModstamp datetimes and IN lists, and orders', async () => {
    const since = '2026-11-01T00:00:00Z';
    const result = await t.conn.query<Row>(
      `SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp > ${since} ORDER BY SystemModstamp DESC`,
      { autoFetch: true, maxFetch: 100_000 },
    );
    expect(result.records.length).toBeGreaterThan(0);
    const stamps = result.records.map((r) => parseDateTime(r.SystemModstamp ?? ''));
    expect(stamps.every((s) => s > Date.parse(since))).toBe(true);
    expect([...stamps].sort((a, b) => b - a)).toEqual(stamps);
    const expected = [...t.org.store('Account').values()].filter(
      (r) => r.deletedAt === null && parseDateTime(String(r.values['SystemModstamp'])) > Date.parse(since),
    );
    expect(result.totalSize).toBe(expected.length);

    const ids = result.records.slice(0, 3).map((r) => r.Id);
    const byIn = await t.conn.query<Row>(
      `SELECT Id FROM Account WHERE Id IN ('${ids.join("','")}') AND (Name != null OR Name = 'x')`,
    );
    expect(byIn.records.map((r) => r.Id).sort()).toEqual([...ids].sort());
    const notIn = await t.conn.query(`SELECT COUNT() FROM Account WHERE Id NOT IN ('${ids.join("','")}')`);
    expect(notIn.totalSize).toBe(
      [...t.org.store('Account').values()].filter((r) => r.deletedAt === null).length - ids.length,
    );
    expect(notIn.records).toEqual([]);
  });

  it('queryAll (scanAll) sees deleted and merged rows; query does not', async () => {
    const soql = 'SELECT Id, IsDeleted, MasterRecordId FROM Account WHERE IsDeleted = true';
    const plain = await t.conn.query<Row>(soql);
    expect(plain.totalSize).toBe(0);
    const all = await t.conn.query<Row>(soql, { scanAll: true });
    expect(all.totalSize).toBeGreaterThan(0);
    expect(all.records.every((r) => r.IsDeleted === true)).toBe(true);
    expect(all.records.some((r) => typeof r.MasterRecordId === 'string')).toBe(true);
  });

  it('answers SOQL errors with Salesforce codes and row/column pointers', async () => {
    await expect(t.conn.query('SELECT Id, Nope__c FROM Account')).rejects.toMatchObject({
      errorCode: 'INVALID_FIELD',
      message: expect.stringContaining(
        "ERROR at Row:1:Column:12\nNo such column 'Nope__c' on entity 'Account'",
      ) as unknown,
    });
    await expect(t.conn.query('SELECT Id FROM Widget__c')).rejects.toMatchObject({ errorCode: 'INVALID_TYPE' });
    await expect(t.conn.query('SELECT Id FROM Account WHERE')).rejects.toMatchObject({ errorCode: 'MALFORMED_QUERY' });
    await expect(t.conn.query("SELECT Id FROM Account WHERE SystemModstamp > '2026-01-01'")).rejects.toMatchObject({
      errorCode: 'INVALID_FIELD',
      message: expect.stringContaining('must be of type dateTime and should not be enclosed in quotes') as unknown,
    });
  });

  it('describes objects with picklist metadata', async () => {
    const account = await t.conn.describe('Account');
    const plan = account.fields.find((f) => f.name === 'Support_Plan__c');
    expect(plan).toMatchObject({ type: 'picklist', restrictedPicklist: true, updateable: true, custom: true });
    expect((plan?.picklistValues ?? []).map((p: { value: string }) => p.value)).toEqual([
      'Basic',
      'Standard',
      'Premier',
    ]);
    expect(account.fields.find((f) => f.name === 'SystemModstamp')).toMatchObject({
      type: 'datetime',
      updateable: false,
    });
    await expect(t.conn.describe('Widget__c')).rejects.toMatchObject({ errorCode: 'NOT_FOUND' });
  });
});

describe('fake Salesforce: convertCurrency()', () => {
  it('converts to the running user’s currency in a multi-currency org; a single-currency org refuses it', async () => {
    const currencies = { corporate: 'USD', rates: { EUR: 0.5 } };
    const t = await startOrg({ org: generateOrg({ seed: 5, accounts: 30, now: NOW, currencies }) });
    try {
      const euro = [...t.org.store('Opportunity').values()].find(
        (r) => r.values['CurrencyIsoCode'] === 'EUR' && typeof r.values['Amount'] === 'number' && r.deletedAt === null,
      );
      if (euro === undefined) throw new Error('the generated org has no EUR opportunity with an amount');
      const id = String(euro.values['Id']);
      const read = async () =>
        (await t.conn.query<{ Amount: number }>(`SELECT convertCurrency(Amount) FROM Opportunity WHERE Id = '${id}'`))
          .records[0]?.Amount;
      expect(await read()).toBe(Number(euro.values['Amount']) * 2); // € → $ at 0.5 € per $
      const user = t.org.get('User', t.org.integrationUserId);
      if (user !== undefined) user.values['DefaultCurrencyIsoCode'] = 'EUR';
      expect(await read()).toBe(Number(euro.values['Amount'])); // the user's currency, not the corporate one
      const corporate = await t.conn.query<{ IsoCode: string }>(
        'SELECT IsoCode FROM CurrencyType WHERE IsCorporate = true',
      );
      expect(corporate.records.map((r) => r.IsoCode)).toEqual(['USD']);
      await expect(t.conn.query('SELECT Id FROM Opportunity WHERE convertCurrency(Amount) > 5')).rejects.toThrow(
        /MALFORMED_QUERY|unexpected token/,
      );
    } finally {
      await t.close();
    }
    const single = await startOrg({ accounts: 3 });
    try {
      await expect(single.conn.query('SELECT convertCurrency(Amount) FROM Opportunity')).rejects.toThrow(
        /multiple currencies/,
      );
      await expect(single.conn.query('SELECT IsoCode FROM CurrencyType')).rejects.toThrow(/INVALID_TYPE|not supported/);
    } finally {
      await single.close();
    }
  });
});
