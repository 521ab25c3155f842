/**
 * HubSpot's token endpoint answers, against the sandbox's `/oauth/2026-03/token`: only a refused
 * grant uninstalls a portal; 429s (with their Retry-After), 5xx, dropped connections
 * and timeouts are retried and then leave the installation active; a refused client (our own
 * misconfiguration) is reported without blaming the portal.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox, type RunningSandbox, type Sandbox } from '../../sandbox/hubspot/server.ts';
import type { ServerConfig } from '../../src/app/config.ts';
import { Credentials, NeedsReconnectError } from '../../src/app/connectors.ts';
import {
  exchangeHubSpotCode,
  OAuthGrantError,
  TOKEN_PATH,
  TokenEndpointUnavailableError,
  TokenRequestError,
} from '../../connectors/hubspot/oauth.ts';
import type { Installation } from '../../src/store/store.ts';
import { SECRET_KEY, startServer, type Harness } from './harness.ts';

let sandbox: Sandbox;
let running: RunningSandbox;
let h: Harness;
let installation: Installation;
let waits: number[];
const NOW = 1_000_000;

beforeEach(async () => {
  sandbox = createSandbox({
    portal: generatePortal({ seed: 3, companies: 2, contacts: 2, deals: 1 }),
    token: 'AT-SANDBOX',
    oauth: { clientId: 'cid', clientSecret: 'csecret', refreshTokens: ['RT-1'] },
  });
  running = await sandbox.listen(0);
  h = await startServer();
  installation = await h.store.upsertInstallation('hubspot', String(sandbox.portal.portalId));
  waits = [];
});
afterEach(async () => {
  await h.close();
  await running.close();
});

function config(secret = 'csecret'): ServerConfig {
  return { ...h.config, hubspot: { ...h.config.hubspot, clientId: 'cid', clientSecret: secret, apiUrl: running.url } };
}

/** Credentials whose stored HubSpot token is about to expire, so the next use refreshes it. */
async function expiring(options: { secret?: string; fetch?: typeof fetch; timeoutMs?: number } = {}) {
  const credentials = new Credentials({
    store: h.store,
    key: SECRET_KEY,
    config: config(options.secret),
    now: () => NOW,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    tokenRetry: {
      baseDelayMs: 10,
      timeoutMs: options.timeoutMs ?? 5_000,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    },
  });
  await credentials.save(installation.id, {
    crm: 'hubspot',
    accessToken: 'AT-OLD',
    refreshToken: 'RT-1',
    expiresAt: NOW + 60_000,
    scopes: [],
  });
  return credentials;
}

const status = async (): Promise<string | undefined> => (await h.store.getInstallation(installation.id))?.status;

describe('HubSpot token endpoint failures', () => {
  it('answers a revoked refresh token in RFC 6749 shape, and that alone uninstalls the portal', async () => {
    sandbox.oauth?.revoke('RT-1');
    const raw = await fetch(`${running.url}${TOKEN_PATH}`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'RT-1',
        client_id: 'cid',
        client_secret: 'csecret',
      }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: 'invalid_grant', status: 'BAD_REFRESH_TOKEN' });

    const credentials = await expiring();
    await expect(credentials.hubspotAccessToken(installation)).rejects.toThrow(NeedsReconnectError);
    expect(await status()).toBe('uninstalled');
  });

  it('retries a 429 after its Retry-After, a 503 and a dropped connection, then refreshes', async () => {
    sandbox.oauth?.failNext({ status: 429, retryAfter: '2' }, { status: 503 }, { status: 'drop' });
    const credentials = await expiring();
    expect(await credentials.hubspotAccessToken(installation)).toBe('AT-SANDBOX');
    expect(sandbox.oauth?.requests).toEqual(['refresh_token', 'refresh_token', 'refresh_token', 'refresh_token']);
    expect(waits[0]).toBe(2000);
    expect(waits).toHaveLength(3);
    expect(await status()).toBe('active');
    expect((await credentials.load(installation.id))?.accessToken).toBe('AT-SANDBOX');
  });

  it('retries a timed-out request', async () => {
    let first = true;
    const hanging: typeof fetch = (input, init) => {
      if (!first) return fetch(input, init);
      first = false;
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          reject(init.signal?.reason as Error);
        });
      });
    };
    const credentials = await expiring({ fetch: hanging, timeoutMs: 50 });
    expect(await credentials.hubspotAccessToken(installation)).toBe('AT-SANDBOX');
    expect(waits).toHaveLength(1);
  });

  it('still failing after the retries: a transient error, the portal stays active, the next run tries again', async () => {
    sandbox.oauth?.failNext({ status: 503 }, { status: 502 }, { status: 500 }, { status: 503 });
    const credentials = await expiring();
    const failure = credentials.hubspotAccessToken(installation);
    await expect(failure).rejects.toThrow(TokenEndpointUnavailableError);
    await expect(failure).rejects.toThrow(/next run tries again/);
    expect(sandbox.oauth?.requests).toHaveLength(4);
    expect(await status()).toBe('active');
    expect(await credentials.hubspotAccessToken(installation)).toBe('AT-SANDBOX');
  });

  it('gives up at once, still transient, when Retry-After is longer than it waits', async () => {
    sandbox.oauth?.failNext({ status: 429, retryAfter: '120' });
    const credentials = await expiring();
    await expect(credentials.hubspotAccessToken(installation)).rejects.toThrow(TokenEndpointUnavailableError);
    expect(sandbox.oauth?.requests).toHaveLength(1);
    expect(await status()).toBe('active');
  });

  it('reports a refused client (our misconfigured secret) without marking the portal needs reconnect', async () => {
    const credentials = await expiring({ secret: 'wrong' });
    const failure = credentials.hubspotAccessToken(installation);
    await expect(failure).rejects.toThrow(TokenRequestError);
    await expect(failure).rejects.toThrow(/invalid_client/);
    expect(sandbox.oauth?.requests).toHaveLength(1);
    expect(await status()).toBe('active');
  });

  it('refuses an unknown or already used install code as a refused grant', async () => {
    const code = sandbox.oauth?.issueCode() ?? '';
    const tokens = await exchangeHubSpotCode(config(), code);
    expect(tokens.portalId).toBe(String(sandbox.portal.portalId));
    await expect(exchangeHubSpotCode(config(), code)).rejects.toThrow(OAuthGrantError);
    await expect(exchangeHubSpotCode(config(), 'never-issued')).rejects.toThrow(OAuthGrantError);
  });
});
