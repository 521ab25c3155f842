/**
 * Install flows: HubSpot (token endpoint faked through the injected fetch; setup runs against the
 * HubSpot sandbox) and Salesforce (web-server flow with PKCE against the fake org), with the
 * failure paths an admin can meet: denied consent, unknown/used/expired state, refused exchange.
 * Also the per-installation token refresh.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import { Credentials, NeedsReconnectError } from '../../src/app/connectors.ts';
import { SECRET_KEY, startServer } from './harness.ts';
import { hubspotWorld, startInstall, tokenFetch, type TokenCall } from './oauth-helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('HubSpot install', () => {
  it('redirects to HubSpot with the app, scopes, redirect URL and a state; the callback installs and runs setup', async () => {
    const { portal, h, calls } = await hubspotWorld(
      () => ({
        status: 200,
        json: {
          access_token: 'AT-1',
          refresh_token: 'RT-1',
          expires_in: 1800,
          hub_id: portal.portalId,
          scopes: ['oauth'],
        },
      }),
      open,
    );
    const authorize = await startInstall(h, 'hubspot');
    expect(authorize.origin + authorize.pathname).toBe('https://app.hubspot.com/oauth/authorize');
    expect(authorize.searchParams.get('client_id')).toBe('cid');
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://rt.example.com/oauth/hubspot/callback');
    expect(authorize.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['crm.schemas.companies.write', 'crm.lists.read', 'crm.lists.write']),
    );
    const state = authorize.searchParams.get('state') ?? '';

    const page = await fetch(`${h.url}/oauth/hubspot/callback?code=the-code&state=${state}`);
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(html).toContain('RightTouch is installed');
    expect(html).toContain('created property engagement_model on companies');
    expect(html).toMatch(/rt_[A-Za-z0-9_-]{20,}/);
    expect(calls).toHaveLength(1);
    expect(Object.fromEntries(calls[0]?.body ?? [])).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://rt.example.com/oauth/hubspot/callback',
      client_id: 'cid',
      client_secret: 'csecret',
    });
    const [installation] = await h.store.listInstallations();
    expect(installation).toMatchObject({ crm: 'hubspot', externalId: String(portal.portalId), status: 'active' });
    expect(h.syncRequests).toEqual([{ installationId: installation?.id, kind: 'full' }]);
    // Setup kept a list per tier and object in the portal, and the store has their ids.
    expect(html).toContain('created list &#34;Engagement model: High-touch companies&#34;');
    const lists = await h.store.crmLists(installation?.id ?? '');
    expect(lists.map((list) => list.name)).toContain('Engagement model: High-touch contacts');
    expect(lists.map((list) => list.id).sort()).toEqual([...portal.lists.lists.keys()].sort());
    expect(readFileSync(h.dbPath).includes('RT-1')).toBe(false);
    expect((await h.credentials.load(installation?.id ?? ''))?.refreshToken).toBe('RT-1');
    expect(h.logLines.join('')).not.toContain('the-code');

    // The state was single use.
    const again = await fetch(`${h.url}/oauth/hubspot/callback?code=the-code&state=${state}`);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('unknown, used or expired');
  });

  it('denied consent, an unknown state, or a refused exchange install nothing and say what happened', async () => {
    const { h } = await hubspotWorld(
      () => ({
        status: 400,
        json: { error: 'invalid_grant', error_description: 'code is invalid or expired', status: 'BAD_AUTH_CODE' },
      }),
      open,
    );
    const denied = await fetch(`${h.url}/oauth/hubspot/callback?error=access_denied&error_description=User+said+no`);
    expect(denied.status).toBe(400);
    expect(await denied.text()).toContain('HubSpot did not grant access (access_denied: User said no)');
    const forged = await fetch(`${h.url}/oauth/hubspot/callback?code=x&state=forged-state-value-123456`);
    expect(forged.status).toBe(400);
    const state = (await startInstall(h, 'hubspot')).searchParams.get('state') ?? '';
    const refused = await fetch(`${h.url}/oauth/hubspot/callback?code=bad&state=${state}`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('invalid_grant: code is invalid or expired');
    expect(await h.store.listInstallations()).toEqual([]);
    expect(h.syncRequests).toEqual([]);
  });

  it('HubSpot’s token endpoint still failing after the retries: 503, try again, nothing installed', async () => {
    const { h, calls } = await hubspotWorld(() => ({ status: 503, json: { status: 'error', message: 'down' } }), open);
    const state = (await startInstall(h, 'hubspot')).searchParams.get('state') ?? '';
    const response = await fetch(`${h.url}/oauth/hubspot/callback?code=the-code&state=${state}`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('Start the installation again in a few minutes');
    expect(calls).toHaveLength(4);
    expect(await h.store.listInstallations()).toEqual([]);
  });

  it('an install link without a configured app answers 503', async () => {
    const h = await startServer();
    open.push(h);
    const response = await fetch(`${h.url}/oauth/hubspot/install`, { redirect: 'manual' });
    expect(response.status).toBe(503);
  });
});

describe('Salesforce install', () => {
  it('runs the web-server flow with PKCE, stores the org and its tokens, and sets the org up', async () => {
    const org = generateOrg({ seed: 2, accounts: 5 });
    const sandbox = createSalesforceSandbox({ org, clientId: 'sf-cid', clientSecret: 'sf-secret' });
    const running: RunningSalesforceSandbox = await sandbox.listen();
    open.push(running);
    const h = await startServer({
      SF_CLIENT_ID: 'sf-cid',
      SF_CLIENT_SECRET: 'sf-secret',
      SF_LOGIN_URL: running.url,
      PUBLIC_BASE_URL: 'https://rt.example.com',
    });
    open.push(h);
    const authorize = await startInstall(h, 'salesforce');
    expect(authorize.pathname).toBe('/services/oauth2/authorize');
    // PKCE: Salesforce takes the SHA-256 challenge (jsforce sends no method: S256 is the only one).
    const challenge = authorize.searchParams.get('code_challenge') ?? '';
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const redirectUri = authorize.searchParams.get('redirect_uri') ?? '';
    expect(redirectUri).toBe('https://rt.example.com/oauth/salesforce/callback');
    const code = sandbox.tokens.issueCode({ codeChallenge: challenge, redirectUri });
    const state = authorize.searchParams.get('state') ?? '';

    const page = await fetch(`${h.url}/oauth/salesforce/callback?code=${encodeURIComponent(code)}&state=${state}`);
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(html).toContain('created field Account.Engagement_Model__c');
    const [installation] = await h.store.listInstallations();
    expect(installation).toMatchObject({ crm: 'salesforce', externalId: org.organizationId });
    expect((await h.credentials.load(installation?.id ?? ''))?.crm).toBe('salesforce');
    expect(org.customFields.has('Contact.Engagement_Model_Reason__c')).toBe(true);
    // The install's setup keeps the list views per tier and the record page's section too.
    expect(org.listViews.has('Lead.RightTouch_high_touch')).toBe(true);
    expect(JSON.stringify(org.layouts.get('Account-Account Layout'))).toContain('"label":"RightTouch"');
    // …and keeps them for the Connections page's links, with their Lightning URL.
    const lists = await h.store.crmLists(installation?.id ?? '');
    expect(lists.find((list) => list.id === 'Lead.RightTouch_high_touch')).toMatchObject({
      object: 'Lead',
      tier: 'high_touch',
    });
    expect(lists.find((list) => list.object === 'Account')?.url).toMatch(/\/lightning\/o\/Account\/list\?filterName=/);
  });
});

describe('HubSpot token refresh', () => {
  it('refreshes before expiry, once for concurrent callers; a refused refresh uninstalls only that portal: tokens dropped, data forgotten', async () => {
    const calls: TokenCall[] = [];
    let revoked = false;
    const h = await startServer();
    open.push(h);
    const config = { ...h.config, hubspot: { ...h.config.hubspot, clientId: 'cid', clientSecret: 'cs' } };
    let now = 1_000_000;
    const credentials = new Credentials({
      store: h.store,
      key: SECRET_KEY,
      config,
      now: () => now,
      fetch: tokenFetch(
        (body) =>
          revoked
            ? {
                status: 400,
                json: { error: 'invalid_grant', error_description: 'refresh token is invalid, expired or revoked' },
              }
            : {
                status: 200,
                json: {
                  access_token: `AT-${body.get('refresh_token') ?? ''}`,
                  refresh_token: 'RT-2',
                  expires_in: 1800,
                },
              },
        calls,
      ),
    });
    const a = await h.store.upsertInstallation('hubspot', '1');
    const b = await h.store.upsertInstallation('hubspot', '2');
    for (const installation of [a, b]) {
      await credentials.save(installation.id, {
        crm: 'hubspot',
        accessToken: 'AT-0',
        refreshToken: 'RT-1',
        expiresAt: now + 30 * 60_000,
        scopes: [],
      });
    }
    expect(await credentials.hubspotAccessToken(a)).toBe('AT-0');
    expect(calls).toHaveLength(0);
    // One connector per access token, kept between runs; another installation has its own.
    const kept = await credentials.connectorFor(a);
    expect(await credentials.connectorFor(a)).toBe(kept);
    expect(await credentials.connectorFor(b)).not.toBe(kept);
    now += 20 * 60_000; // 10 minutes left: less than the margin
    const [one, two] = await Promise.all([credentials.hubspotAccessToken(a), credentials.hubspotAccessToken(a)]);
    expect([one, two]).toEqual(['AT-RT-1', 'AT-RT-1']);
    expect(calls).toHaveLength(1);
    expect(await credentials.connectorFor(a)).not.toBe(kept); // the refreshed token: a new connector
    expect((await credentials.load(a.id))?.refreshToken).toBe('RT-2');

    // HubSpot refuses the refresh token: the app was uninstalled from portal 2.
    await h.store.upsertRecords(b.id, [{ type: 'company', id: 'c1', fields: { dealSize: 1 } }], 1);
    await h.store.applyTierChanges(
      b.id,
      'run-1',
      [{ type: 'company', id: 'c1', tier: 'low_touch', reasons: ['r'] }],
      1,
    );
    revoked = true;
    await expect(credentials.hubspotAccessToken(b)).rejects.toThrow(/uninstalled RightTouch/);
    expect((await h.store.getInstallation(b.id))?.status).toBe('uninstalled');
    expect(await credentials.load(b.id)).toBeUndefined();
    expect(await h.store.history(b.id, 'company', 'c1')).toEqual([]);
    expect(await h.store.storedTier(b.id, 'company', 'c1')).toBeUndefined();
    expect((await h.store.getInstallation(a.id))?.status).toBe('active');
    expect((await credentials.load(a.id))?.refreshToken).toBe('RT-2');
    await expect(credentials.connectorFor({ ...b, status: 'uninstalled' })).rejects.toThrow(NeedsReconnectError);
    await expect(credentials.connectorFor({ ...b, status: 'needs_reconnect' })).rejects.toThrow(
      /needs to be reconnected/,
    );
  });
});
