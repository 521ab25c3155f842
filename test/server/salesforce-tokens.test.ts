/**
 * One owner of a Salesforce installation's tokens: many connections of one process (and two
 * processes' worth of Credentials over one store) meeting an expired session at the same moment
 * make one token exchange, against the fake org, which rotates refresh tokens and revokes the
 * whole family when an exchanged one is presented again (as Salesforce does).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import { serverConfigFromEnv } from '../../src/app/config.ts';
import { Credentials, NeedsReconnectError } from '../../src/app/connectors.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Installation } from '../../src/store/store.ts';
import { CLIENT_ID, CLIENT_SECRET, startOrg, type TestOrg } from '../sandbox-salesforce/helpers.ts';

const KEY = Buffer.alloc(32, 5);

interface Setup {
  readonly t: TestOrg;
  readonly store: SqliteStore;
  readonly installation: Installation;
  readonly issued: { accessToken: string; refreshToken: string };
  readonly credentials: () => Credentials;
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

async function setUp(): Promise<Setup> {
  const t = await startOrg({ accounts: 5 });
  opened.push(t);
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'righttouch-sf-tokens-')), 'r.db'));
  opened.push(store);
  await store.migrate();
  const config = serverConfigFromEnv({
    SF_CLIENT_ID: CLIENT_ID,
    SF_CLIENT_SECRET: CLIENT_SECRET,
    SF_LOGIN_URL: t.running.url,
  });
  const installation = await store.upsertInstallation('salesforce', t.org.organizationId);
  const issued = t.sandbox.tokens.issue();
  const credentials = (): Credentials => new Credentials({ store, key: KEY, config });
  await credentials().save(installation.id, {
    crm: 'salesforce',
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    instanceUrl: t.running.url,
  });
  return { t, store, installation, issued, credentials };
}

async function storedRefreshToken(credentials: Credentials, installationId: string): Promise<string | undefined> {
  const tokens = await credentials.load(installationId);
  return tokens?.crm === 'salesforce' ? tokens.refreshToken : undefined;
}

describe('Salesforce tokens: one owner per installation', () => {
  it('the fake org revokes the whole family when two connections refresh with their own copy (the old way)', async () => {
    const { t, issued } = await setUp();
    const ownCopy = () =>
      createSalesforceConnector({
        instanceUrl: t.running.url,
        accessToken: issued.accessToken,
        refreshToken: issued.refreshToken,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        loginUrl: t.running.url,
      });
    const [first, second] = [ownCopy(), ownCopy()];
    t.sandbox.tokens.expireAccessTokens();
    await expect(first.identify()).resolves.toMatchObject({ externalId: t.org.organizationId });
    // The second still holds the refresh token the first one exchanged: presenting it is reuse.
    await expect(second.identify()).rejects.toThrow('expired access/refresh token');
    // ...and the family is gone: the first connection's new session and rotated token too.
    await expect(first.identify()).rejects.toThrow(/expired access\/refresh token|Session expired/);
  });

  it('ten connectors and a long-lived stream connection meeting an expired session make one exchange', async () => {
    const { t, store, installation, issued, credentials } = await setUp();
    const owner = credentials();
    // Built before any refresh, like the Change Data Capture stream's connection, and kept.
    const longLived = await owner.connectorFor(installation);
    await longLived.identify();

    for (const round of [1, 2]) {
      t.sandbox.tokens.expireAccessTokens();
      t.sandbox.resetStats();
      const before = await storedRefreshToken(owner, installation.id);
      const connectors = await Promise.all(Array.from({ length: 10 }, () => owner.connectorFor(installation)));
      const results = await Promise.all([...connectors, longLived].map((connector) => connector.identify()));
      expect(results.map((r) => r.externalId)).toEqual(Array(11).fill(t.org.organizationId));
      expect(t.sandbox.stats.tokenGrants, `round ${round}`).toBe(1);
      expect(owner.salesforceTokens.counts.exchanges).toBe(round);
      // The rotated refresh token was saved (sealed) before the new access token was used.
      const after = await storedRefreshToken(owner, installation.id);
      expect(after).not.toBe(before);
      expect(after).not.toBe(issued.refreshToken);
    }
    expect((await store.getInstallation(installation.id))?.status).toBe('active');
  });

  it('a second owner over the same store uses the token the first one rotated instead of refreshing again', async () => {
    const { t, store, installation, credentials } = await setUp();
    const [here, there] = [credentials(), credentials()];
    // Both processes have connections holding the same (soon expired) session.
    const connectorsHere = await Promise.all(Array.from({ length: 4 }, () => here.connectorFor(installation)));
    const connectorsThere = await Promise.all(Array.from({ length: 4 }, () => there.connectorFor(installation)));
    t.sandbox.tokens.expireAccessTokens();
    t.sandbox.resetStats();
    const all = [...connectorsHere, ...connectorsThere];
    await Promise.all(all.map((connector) => connector.identify()));
    expect(t.sandbox.stats.tokenGrants).toBe(1);
    expect(here.salesforceTokens.counts.exchanges + there.salesforceTokens.counts.exchanges).toBe(1);
    expect((await store.getInstallation(installation.id))?.status).toBe('active');
    // And afterwards every connection of both still works (the family was never revoked).
    await Promise.all(all.map((connector) => connector.identify()));
  });

  it('setup with an expired session (userinfo answers 403, not 401) renews it through the owner', async () => {
    const { t, store, installation, credentials } = await setUp();
    const owner = credentials();
    const connector = await owner.connectorFor(installation);
    t.sandbox.tokens.expireAccessTokens();
    t.sandbox.resetStats();
    const report = await connector.setup([{ value: 'tech_touch', label: 'Tech-touch' }]);
    expect(report.changes).toContain('created field Account.Engagement_Model__c');
    expect(t.sandbox.stats.tokenGrants).toBe(1);
    expect(owner.salesforceTokens.counts.exchanges).toBe(1);
    expect((await store.getInstallation(installation.id))?.status).toBe('active');
  });

  it('a refused refresh (revoked in Salesforce) marks the installation "needs reconnect"', async () => {
    const { t, store, installation, issued, credentials } = await setUp();
    const owner = credentials();
    const connector = await owner.connectorFor(installation);
    t.sandbox.tokens.revoke(issued.refreshToken);
    await expect(connector.identify()).rejects.toThrow(/needs to be reconnected.*invalid_grant/);
    const after = await store.getInstallation(installation.id);
    expect(after?.status).toBe('needs_reconnect');
    expect(after?.statusDetail).toContain('invalid_grant');
    expect(after?.statusDetail).not.toContain(issued.refreshToken);
    if (after === undefined) throw new Error('installation gone');
    await expect(owner.connectorFor(after)).rejects.toThrow(NeedsReconnectError);
  });
});
