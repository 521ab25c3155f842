/**
 * HubSpot Marketplace installs (connectors/hubspot/marketplace.ts): HubSpot calls the install URL
 * with `code` and `returnUrl` and no state of ours (or, with partner sign in, `step=authorize` then
 * `step=finalize` with our state); RightTouch exchanges the code server-side, sets the portal up
 * and sends the admin back to `returnUrl` — only ever to HubSpot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hubspotReturnUrl } from '../../connectors/hubspot/marketplace.ts';
import { hubspotWorld, startInstall } from './oauth-helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

const RETURN_URL = 'https://app.hubspot.com/marketplace-install/complete?portalId=123&appId=99';

async function marketplaceWorld() {
  let portalId = 0;
  const world = await hubspotWorld(
    () => ({
      status: 200,
      json: { access_token: 'AT-1', refresh_token: 'RT-1', expires_in: 1800, hub_id: portalId, scopes: ['oauth'] },
    }),
    open,
  );
  portalId = world.portal.portalId;
  return world;
}

const callback = (base: string, params: Record<string, string>): Promise<Response> =>
  fetch(`${base}/oauth/hubspot/callback?${new URLSearchParams(params).toString()}`, { redirect: 'manual' });

describe('HubSpot Marketplace install', () => {
  it('without partner sign in: exchanges the code, sets the portal up, queues a sync and redirects to returnUrl', async () => {
    const { portal, h, calls } = await marketplaceWorld();
    const response = await callback(h.url, { code: 'mkt-code', returnUrl: RETURN_URL });
    expect(response.status, await response.clone().text()).toBe(302);
    expect(response.headers.get('location')).toBe(RETURN_URL);
    expect(calls.map((c) => Object.fromEntries(c.body))).toEqual([
      {
        grant_type: 'authorization_code',
        code: 'mkt-code',
        redirect_uri: 'https://rt.example.com/oauth/hubspot/callback',
        client_id: 'cid',
        client_secret: 'csecret',
      },
    ]);
    const [installation] = await h.store.listInstallations();
    expect(installation).toMatchObject({ crm: 'hubspot', externalId: String(portal.portalId), status: 'active' });
    expect((await h.credentials.load(installation?.id ?? ''))?.refreshToken).toBe('RT-1');
    expect(portal.schema.companies.properties.has('engagement_model')).toBe(true);
    expect(h.syncRequests).toEqual([{ installationId: installation?.id, kind: 'full' }]);
    expect(h.logLines.join('')).toContain('installed from the HubSpot Marketplace');
    expect(h.logLines.join('')).not.toContain('mkt-code');
  });

  it('refuses a forged returnUrl before exchanging the code: nothing installed, no redirect anywhere', async () => {
    const { h, calls } = await marketplaceWorld();
    for (const forged of [
      'https://evil.example.com/phish',
      'https://app.hubspot.com.evil.example.com/x',
      'http://app.hubspot.com/insecure',
      'https://user:pw@app.hubspot.com/x',
      'javascript:alert(1)',
      '//evil.example.com',
      '',
    ]) {
      const response = await callback(h.url, { code: 'mkt-code', returnUrl: forged });
      expect(response.status, forged).toBe(400);
      expect(response.headers.get('location'), forged).toBeNull();
      expect(await response.text()).toContain('does not come from HubSpot');
    }
    expect(calls).toEqual([]);
    expect(await h.store.listInstallations()).toEqual([]);
    expect(h.syncRequests).toEqual([]);
  });

  it('a refused code shows the failure instead of looping back to HubSpot', async () => {
    const world = await hubspotWorld(
      () => ({ status: 400, json: { error: 'invalid_grant', error_description: 'code is invalid or expired' } }),
      open,
    );
    const response = await callback(world.h.url, { code: 'used', returnUrl: RETURN_URL });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('code is invalid or expired');
    expect(await world.h.store.listInstallations()).toEqual([]);
  });

  it('with partner sign in: step=authorize gets our state on returnUrl; step=finalize takes it once', async () => {
    const { h, calls } = await marketplaceWorld();
    const first = await callback(h.url, { step: 'authorize', returnUrl: RETURN_URL });
    expect(first.status).toBe(302);
    const back = new URL(first.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe('https://app.hubspot.com/marketplace-install/complete');
    expect(back.searchParams.get('portalId')).toBe('123');
    const state = back.searchParams.get('state') ?? '';
    expect(state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(calls).toEqual([]);

    const finalize = { step: 'finalize', code: 'mkt-code', state, returnUrl: RETURN_URL };
    const done = await callback(h.url, finalize);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe(RETURN_URL);
    expect(await h.store.listInstallations()).toHaveLength(1);

    const replay = await callback(h.url, finalize);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('unknown, used or expired');
    const forgedState = await callback(h.url, { ...finalize, state: 'x'.repeat(32) });
    expect(forgedState.status).toBe(400);
    expect(calls).toHaveLength(1);
  });

  it('our own flow still requires our single-use state', async () => {
    const { h } = await marketplaceWorld();
    const noState = await callback(h.url, { code: 'c' });
    expect(noState.status).toBe(400);
    const state = (await startInstall(h, 'hubspot')).searchParams.get('state') ?? '';
    const ok = await callback(h.url, { code: 'c', state });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('RightTouch is installed');
  });
});

describe('hubspotReturnUrl', () => {
  it('accepts https HubSpot hosts (and configured ones), nothing else', () => {
    const hosts = ['hubspot.com'];
    expect(hubspotReturnUrl('https://app.hubspot.com/a?b=c', hosts)?.hostname).toBe('app.hubspot.com');
    expect(hubspotReturnUrl('https://app-eu1.hubspot.com/a', hosts)?.hostname).toBe('app-eu1.hubspot.com');
    expect(hubspotReturnUrl('https://APP.HUBSPOT.COM/a', hosts)).toBeDefined();
    expect(hubspotReturnUrl('https://nothubspot.com/a', hosts)).toBeUndefined();
    expect(hubspotReturnUrl('https://hubspot.com.evil.io/a', hosts)).toBeUndefined();
    expect(hubspotReturnUrl('https://sandbox.test/a', ['sandbox.test'])).toBeDefined();
  });
});
