import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Connection, OAuth2 } from 'jsforce';
import { CLIENT_ID, CLIENT_SECRET, startOrg, type TestOrg } from './helpers.ts';

interface SaveResultLike {
  id?: string;
  success: boolean;
  errors: { statusCode?: string; message: string; fields?: string[] }[];
}

function liveIds(t: TestOrg, type: string, n: number): string[] {
  return [...t.org.store(type).values()]
    .filter((r) => r.deletedAt === null)
    .slice(0, n)
    .map((r) => r.values['Id'] as string);
}

function deletedId(t: TestOrg, type: string): string {
  const record = [...t.org.store(type).values()].find((r) => r.deletedAt !== null);
  if (record === undefined) throw new Error('no deleted record');
  return record.values['Id'] as string;
}

async function update(
  conn: Connection,
  records: Record<string, unknown>[],
  allOrNone = false,
): Promise<SaveResultLike[]> {
  return (await conn
    .sobject('Account')
    .update(records as { Id: string }[], { allOrNone })) as unknown as SaveResultLike[];
}

describe('fake Salesforce: sObject Collections update', () => {
  let t: TestOrg;
  afterEach(async () => {
    await t.close();
  });

  it('returns per-record results in order: success, deleted, bad picklist, lock failure once', async () => {
    t = await startOrg();
    const [a, b, c] = liveIds(t, 'Account', 3) as [string, string, string];
    const gone = deletedId(t, 'Account');
    t.sandbox.lockFailures.add(c);
    const before = t.org.get('Account', a)?.values['SystemModstamp'];
    const conn = t.connect(undefined, { client: 'EngagementSync' });
    const results = await update(conn, [
      { Id: a, Support_Plan__c: 'Premier', Prefers_Digital__c: true },
      { Id: gone, Support_Plan__c: 'Basic' },
      { Id: b, Support_Plan__c: 'Gold' },
      { Id: c, Support_Plan__c: 'Basic' },
      { Id: 'not-an-id', Support_Plan__c: 'Basic' },
    ]);
    expect(results.map((r) => [r.success, r.errors[0]?.statusCode])).toEqual([
      [true, undefined],
      [false, 'ENTITY_IS_DELETED'],
      [false, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST'],
      [false, 'UNABLE_TO_LOCK_ROW'],
      [false, 'MALFORMED_ID'],
    ]);
    expect(results[0]?.id).toBe(a);
    expect(results[2]?.errors[0]).toMatchObject({ fields: ['Support_Plan__c'] });
    expect(results[3]?.errors[0]?.message).toBe('unable to obtain exclusive access to this record');
    const stored = t.org.get('Account', a)?.values;
    expect(stored?.['Support_Plan__c']).toBe('Premier');
    expect(stored?.['SystemModstamp']).not.toBe(before);
    expect(stored?.['SystemModstamp']).toBe('2026-11-20T10:00:00.000+0000');
    expect(t.sandbox.stats.callOptions).toContain('client=EngagementSync');

    // The lock failure happens once: the retry succeeds.
    const retry = await update(conn, [{ Id: c, Support_Plan__c: 'Basic' }]);
    expect(retry[0]?.success).toBe(true);
  });

  it('allOrNone rolls everything back and marks the others ALL_OR_NONE_OPERATION_ROLLED_BACK', async () => {
    t = await startOrg();
    const [a, b] = liveIds(t, 'Account', 2) as [string, string];
    const before = t.org.get('Account', a)?.values['Support_Plan__c'];
    const results = await update(
      t.conn,
      [
        { Id: a, Support_Plan__c: before === 'Basic' ? 'Standard' : 'Basic' },
        { Id: b, Support_Plan__c: 'Gold' },
      ],
      true,
    );
    expect(results.map((r) => r.errors[0]?.statusCode)).toEqual([
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
    ]);
    expect(t.org.get('Account', a)?.values['Support_Plan__c']).toBe(before);
  });

  it('refuses more than 200 records with EXCEEDED_ID_LIMIT and unknown fields with INVALID_FIELD', async () => {
    t = await startOrg();
    const ids = liveIds(t, 'Account', 30);
    const many = Array.from({ length: 201 }, (_, i) => ({ Id: ids[i % ids.length] ?? '', Prefers_Digital__c: true }));
    await expect(update(t.conn, many)).rejects.toMatchObject({
      errorCode: 'EXCEEDED_ID_LIMIT',
      message: 'record limit reached. cannot submit more than 200 records into this call',
    });
    await expect(update(t.conn, [{ Id: ids[0], Nope__c: 'x' }])).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
    const readOnly = await update(t.conn, [{ Id: ids[0], SystemModstamp: '2026-01-01T00:00:00Z' }]);
    expect(readOnly[0]?.errors[0]?.statusCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
  });
});

describe('fake Salesforce: OAuth refresh, rotation and API limits', () => {
  let t: TestOrg;
  afterEach(async () => {
    await t.close();
  });

  it('answers 401 for an expired token; jsforce refreshes, replays, and gets a rotated refresh token', async () => {
    t = await startOrg();
    const tokens = t.sandbox.tokens.issue();
    const conn = t.connect(tokens);
    const refreshes: { accessToken: string; refreshToken: string | undefined }[] = [];
    conn.on('refresh', (accessToken: string, res: { refresh_token?: string }) => {
      refreshes.push({ accessToken, refreshToken: res.refresh_token });
    });
    t.sandbox.tokens.expireAccessTokens();
    const result = await conn.query('SELECT COUNT() FROM Account');
    expect(result.totalSize).toBeGreaterThan(0);
    expect(refreshes).toHaveLength(1);
    const rotated = refreshes[0]?.refreshToken;
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(tokens.refreshToken);
    expect(conn.accessToken).toBe(refreshes[0]?.accessToken);
    // jsforce keeps the old refresh token (the rotation gotcha).
    expect(conn.refreshToken).toBe(tokens.refreshToken);

    // Reusing the consumed refresh token fails and revokes the family: the rotated one dies too.
    const reuse = await conn.oauth2.refreshToken(tokens.refreshToken).catch((err: unknown) => err);
    expect(reuse).toMatchObject({ name: 'invalid_grant', message: 'expired access/refresh token' });
    await expect(conn.oauth2.refreshToken(rotated ?? '')).rejects.toMatchObject({ name: 'invalid_grant' });
    await expect(conn.query('SELECT Id FROM Account LIMIT 1')).rejects.toThrow(
      'Unable to refresh session due to: expired access/refresh token',
    );
  });

  it('ends sessions at the timeout: 401 INVALID_SESSION_ID on REST, 403 on userinfo (which jsforce does not refresh on)', async () => {
    let clock = Date.UTC(2026, 11, 7, 9, 0, 0);
    t = await startOrg({ now: () => clock, sessionTimeoutMs: 2 * 3600_000 });
    const tokens = t.sandbox.tokens.issue();
    const bearer = { Authorization: `Bearer ${tokens.accessToken}` };
    const userinfo = `${t.running.url}/services/oauth2/userinfo`;
    const rest = `${t.running.url}/services/data/v66.0/query?q=${encodeURIComponent('SELECT Id FROM Account LIMIT 1')}`;
    expect((await fetch(rest, { headers: bearer })).status).toBe(200);
    expect((await fetch(userinfo, { headers: bearer })).status).toBe(200);

    clock += 2 * 3600_000;
    const expired = await fetch(rest, { headers: bearer });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    const who = await fetch(userinfo, { headers: bearer });
    expect(who.status).toBe(403);
    expect(await who.text()).toBe('Bad_OAuth_Token');

    // jsforce replays a REST call after refreshing, but passes userinfo's 403 on as an error.
    const conn = t.connect(tokens);
    await expect(conn.request({ method: 'GET', url: '/services/oauth2/userinfo' })).rejects.toThrow('Bad_OAuth_Token');
    expect(t.sandbox.stats.tokenGrants).toBe(0);
    expect((await conn.query('SELECT COUNT() FROM Account')).totalSize).toBeGreaterThan(0);
    expect(t.sandbox.stats.tokenGrants).toBe(1);
    // The new session lives its own two hours.
    clock += 3600_000;
    expect((await conn.query('SELECT COUNT() FROM Account')).totalSize).toBeGreaterThan(0);
    expect(t.sandbox.stats.tokenGrants).toBe(1);
  });

  it('exchanges an authorization code with PKCE (conn.authorize)', async () => {
    t = await startOrg();
    const verifier = 'v'.repeat(64);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const code = t.sandbox.tokens.issueCode({ codeChallenge: challenge, redirectUri: 'http://localhost/cb' });
    const oauth2 = new OAuth2({
      loginUrl: t.running.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: 'http://localhost/cb',
    });
    oauth2.codeVerifier = verifier;
    const conn = new Connection({ oauth2, version: '66.0' });
    const userInfo = await conn.authorize(code);
    expect(userInfo).toMatchObject({ id: t.org.integrationUserId, organizationId: t.org.organizationId });
    expect(conn.instanceUrl).toBe(t.running.url);
    expect((await conn.query('SELECT COUNT() FROM Account')).totalSize).toBeGreaterThan(0);
    // A code works once.
    await expect(conn.authorize(code)).rejects.toMatchObject({ name: 'invalid_grant' });
  });

  it('rejects a bad client secret with invalid_client', async () => {
    t = await startOrg();
    const conn = t.connect();
    conn.oauth2.clientSecret = 'wrong';
    await expect(conn.oauth2.refreshToken(t.sandbox.tokens.issue().refreshToken)).rejects.toMatchObject({
      name: 'invalid_client',
    });
  });

  it('serves userinfo for the integration user', async () => {
    t = await startOrg();
    const { accessToken } = t.sandbox.tokens.issue();
    const res = await fetch(`${t.running.url}/services/oauth2/userinfo`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(await res.json()).toMatchObject({ user_id: t.org.integrationUserId, organization_id: t.org.organizationId });
  });

  it('counts API usage in Sforce-Limit-Info and refuses calls at the limit', async () => {
    t = await startOrg({ dailyApiLimit: 100 });
    t.org.apiUsage = 97;
    await t.conn.query('SELECT Id FROM Account LIMIT 1');
    expect(t.conn.limitInfo.apiUsage).toEqual({ used: 98, limit: 100 });
    const limits = (await t.conn.limits()) as unknown as Record<string, { Max: number; Remaining: number }>;
    expect(limits['DailyApiRequests']).toEqual({ Max: 100, Remaining: 1 });
    await t.conn.query('SELECT Id FROM Account LIMIT 1');
    await expect(t.conn.query('SELECT Id FROM Account LIMIT 1')).rejects.toMatchObject({
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      message: 'TotalRequests Limit exceeded.',
    });
    expect(t.org.apiUsage).toBe(100);
    expect(t.sandbox.stats.limitRefusals).toBe(1);
  });
});
