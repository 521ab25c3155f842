/**
 * The per-CRM platform registry (connectors/platforms.ts) as the server uses it: each CRM's
 * install link answers 503 naming that CRM's settings until both its client id and secret are set
 * (with the id alone, /ui-config.json already offers it, as before the registry), then redirects
 * to that CRM's authorize page with its client id; the write batch previews use is the connector's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WRITE_BATCH } from '../../connectors/hubspot/write.ts';
import { PLATFORMS, platformFor } from '../../connectors/platforms.ts';
import { COLLECTION_SIZE } from '../../connectors/salesforce/write.ts';
import { startServer } from './harness.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

const ENV = {
  hubspot: { HUBSPOT_CLIENT_ID: 'cid', HUBSPOT_CLIENT_SECRET: 'cs' },
  salesforce: { SF_CLIENT_ID: 'sf-cid', SF_CLIENT_SECRET: 'sf-cs' },
} as const;

describe('platforms', () => {
  it('names each CRM once, keyed by its crm', () => {
    expect(PLATFORMS.map((p) => p.crm)).toEqual(['hubspot', 'salesforce']);
    for (const platform of PLATFORMS) expect(platformFor(platform.crm)).toBe(platform);
    expect(platformFor('hubspot').writeLimits.recordsPerWriteCall).toBe(WRITE_BATCH);
    expect(platformFor('salesforce').writeLimits.recordsPerWriteCall).toBe(COLLECTION_SIZE);
  });

  for (const platform of PLATFORMS) {
    it(`${platform.name}: the install link answers 503 naming its settings until both are set, then redirects`, async () => {
      const none = await startServer();
      open.push(none);
      const refused = await fetch(`${none.url}${platform.oauth.installPath}`, { redirect: 'manual' });
      expect(refused.status).toBe(503);
      const text = await refused.text();
      expect(text).toContain(`no ${platform.name} app configured`);
      expect(text).toContain(platform.oauth.settings);

      const env = ENV[platform.crm];
      const [idName] = Object.keys(env);
      const idOnly = await startServer({ [idName ?? '']: 'id-only' });
      open.push(idOnly);
      expect((await fetch(`${idOnly.url}${platform.oauth.installPath}`, { redirect: 'manual' })).status).toBe(503);
      const uiConfig = (await (await fetch(`${idOnly.url}/ui-config.json`)).json()) as Record<string, unknown>;
      expect(uiConfig[platform.crm]).toEqual({ configured: true, installUrl: platform.oauth.installPath });

      const both = await startServer(env);
      open.push(both);
      const started = await fetch(`${both.url}${platform.oauth.installPath}`, { redirect: 'manual' });
      expect(started.status).toBe(302);
      const location = new URL(started.headers.get('location') ?? '');
      expect(location.searchParams.get('client_id')).toBe(Object.values(env)[0]);
      expect(location.searchParams.get('state')).toMatch(/.{16,}/);
    });
  }
});
