/**
 * The sandbox HubSpot hosting many portals on one API host (sandbox/hubspot/host.ts): two portals
 * installed into RightTouch through the OAuth flow (install URL → account chooser → consent →
 * callback → token exchange), each connection reading and writing only its own portal, the token
 * selecting it; and the refusals of the authorize step and of the API (unknown, missing, expired
 * tokens) in HubSpot's shapes.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { installThroughOAuth } from '../../bench/oauth-install.ts';
import { HUBSPOT_SCOPES } from '../../src/app/config.ts';
import { runInstallationSync } from '../../src/jobs/index.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandboxHost, type SandboxHost } from '../../sandbox/hubspot/host.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import type { RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { startServer, type Harness } from '../server/harness.ts';

const PUBLIC = 'https://rt.example.com';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

function portal(seed: number, portalId: number, companies: number): Portal {
  return { ...generatePortal({ seed, companies, contacts: companies * 2, deals: companies }), portalId };
}

async function world(now: () => number = Date.now): Promise<{
  host: SandboxHost;
  running: RunningSandbox;
  h: Harness;
  a: Portal;
  b: Portal;
}> {
  const a = portal(11, 31_000_001, 4);
  const b = portal(12, 31_000_002, 7);
  const host = createSandboxHost({
    portals: [a, b],
    now,
    oauth: {
      clientId: 'cid',
      clientSecret: 'csecret',
      redirectUris: [`${PUBLIC}/oauth/hubspot/callback`],
      requiredScopes: HUBSPOT_SCOPES,
    },
  });
  const running = await host.listen(0);
  open.push(running);
  const h = await startServer({
    HUBSPOT_CLIENT_ID: 'cid',
    HUBSPOT_CLIENT_SECRET: 'csecret',
    HUBSPOT_API_URL: running.url,
    HUBSPOT_AUTHORIZE_URL: `${running.url}/oauth/authorize`,
    PUBLIC_BASE_URL: PUBLIC,
  });
  open.push(h);
  return { host, running, h, a, b };
}

const tiered = (p: Portal): number =>
  [...p.objects.companies.records.values()].filter((r) => r.properties['engagement_model'] !== undefined).length;

async function mirroredIds(h: Harness, installationId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of h.store.records(installationId)) ids.push(...page.map((r) => `${r.type}:${r.id}`));
  return ids.sort();
}

const portalIds = (p: Portal): string[] =>
  [
    ...[...p.objects.companies.records.keys()].map((id) => `company:${id}`),
    ...[...p.objects.contacts.records.keys()].map((id) => `contact:${id}`),
  ].sort();

describe('a sandbox host of many portals', () => {
  test('two portals installed through OAuth: each connection reads and writes only its own portal', async () => {
    const { host, h, a, b } = await world();
    const installedA = await installThroughOAuth({ appUrl: h.url, portalId: a.portalId, publicBaseUrl: PUBLIC });
    const installedB = await installThroughOAuth({ appUrl: h.url, portalId: b.portalId, publicBaseUrl: PUBLIC });
    expect(installedA.apiKey).toMatch(/^rt_/);
    expect(installedB.apiKey).not.toBe(installedA.apiKey);
    const installations = await h.store.listInstallations();
    const byPortal = new Map(installations.map((i) => [i.externalId, i]));
    expect([...byPortal.keys()].sort()).toEqual([String(a.portalId), String(b.portalId)]);
    const instA = byPortal.get(String(a.portalId));
    const instB = byPortal.get(String(b.portalId));
    if (instA === undefined || instB === undefined) throw new Error('not installed');

    // Setup at install made each portal's properties, in that portal only (not an app-wide schema).
    expect(a.schema.companies.properties.has('engagement_model')).toBe(true);
    expect(b.schema.companies.properties.has('engagement_model')).toBe(true);
    expect(host.portals.get(a.portalId)?.stats.requests).toBeGreaterThan(0);
    expect(host.portals.get(b.portalId)?.stats.requests).toBeGreaterThan(0);

    const deps = { store: h.store, holder: 'test', connectorFor: h.credentials.connectorFor.bind(h.credentials) };
    const ranA = await runInstallationSync(deps, instA.id, 'full');
    expect(ranA.status).toBe('ran');
    expect(await mirroredIds(h, instA.id)).toEqual(portalIds(a));
    expect(tiered(a)).toBe(a.objects.companies.records.size);
    expect(tiered(b)).toBe(0); // A's token never reached B

    const ranB = await runInstallationSync(deps, instB.id, 'full');
    expect(ranB.status).toBe('ran');
    expect(await mirroredIds(h, instB.id)).toEqual(portalIds(b));
    expect(tiered(b)).toBe(b.objects.companies.records.size);
  });

  test("the token endpoint's hub_id and the token info name the chosen portal; other tokens get HubSpot's 401s", async () => {
    let clock = Date.now();
    const { host, running, b } = await world(() => clock);
    const redirect = `${PUBLIC}/oauth/hubspot/callback`;
    const code = host.oauth.issueCode(b.portalId, HUBSPOT_SCOPES, redirect);
    const exchange = (fields: Record<string, string>) =>
      fetch(`${running.url}/oauth/2026-03/token`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: 'cid', client_secret: 'csecret', ...fields }),
      });
    // The redirect URI must be the authorize step's (RFC 6749 §4.1.3); the code is then used up.
    const wrong = await exchange({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://evil.example.com/cb',
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
    const code2 = host.oauth.issueCode(b.portalId, HUBSPOT_SCOPES, redirect);
    const answer = await exchange({ grant_type: 'authorization_code', code: code2, redirect_uri: redirect });
    const tokens = (await answer.json()) as { access_token: string; hub_id: number; expires_in: number };
    expect(tokens).toMatchObject({ hub_id: b.portalId, expires_in: 1800 });

    const info = await fetch(`${running.url}/oauth/v1/access-tokens/${tokens.access_token}`);
    expect(await info.json()).toMatchObject({ hub_id: b.portalId });
    const details = await fetch(`${running.url}/account-info/v3/details`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await details.json()).toMatchObject({ portalId: b.portalId });

    const unknown = await fetch(`${running.url}/crm/v3/objects/companies`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    const missing = await fetch(`${running.url}/crm/v3/objects/companies`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ category: 'INVALID_AUTHENTICATION' });

    clock += 1800_000 + 5 * 60_000;
    const expired = await fetch(`${running.url}/crm/v3/objects/companies`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({
      category: 'EXPIRED_AUTHENTICATION',
      message: 'The OAuth token used to make this call expired 5 minute(s) ago.',
    });
  });

  test('the authorize step refuses another client, redirect URL or scope set, and a cancel sends nothing back', async () => {
    const { running, a } = await world();
    const query = (overrides: Record<string, string>) =>
      new URLSearchParams({
        client_id: 'cid',
        redirect_uri: `${PUBLIC}/oauth/hubspot/callback`,
        scope: HUBSPOT_SCOPES.join(' '),
        state: 's1',
        ...overrides,
      }).toString();
    const get = (path: string) => fetch(`${running.url}${path}`, { redirect: 'manual' });
    expect((await get(`/oauth/authorize?${query({})}`)).status).toBe(200);
    expect((await get(`/oauth/authorize?${query({ client_id: 'other' })}`)).status).toBe(400);
    expect((await get(`/oauth/authorize?${query({ redirect_uri: 'https://evil.example.com/cb' })}`)).status).toBe(400);
    const fewer = await get(`/oauth/authorize?${query({ scope: 'oauth crm.objects.companies.read' })}`);
    expect(fewer.status).toBe(400);
    expect(await fewer.text()).toContain('missing: crm.objects.companies.write');
    expect((await get(`/oauth/99/authorize?${query({})}`)).status).toBe(404);

    const post = (decision: string) =>
      fetch(`${running.url}/oauth/${a.portalId}/authorize?${query({})}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `decision=${decision}`,
      });
    const denied = await post('deny');
    expect(denied.status).toBe(200);
    expect(denied.headers.get('location')).toBeNull();
    const allowed = await post('allow');
    expect(allowed.status).toBe(302);
    const back = new URL(allowed.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(`${PUBLIC}/oauth/hubspot/callback`);
    expect(back.searchParams.get('state')).toBe('s1');
    expect(back.searchParams.get('code')).toMatch(/^[0-9a-f]{24}$/);
  });
});
