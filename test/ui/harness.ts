/**
 * The admin UI end to end: the built UI served by `serve()` (server, scheduler, run-now), an
 * installation on the HubSpot sandbox seeded by a real sync, and headless Chromium (Debian's
 * `chromium`) driven by playwright-core with a fresh profile.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.ts';
import type { Policy } from '../../src/core/index.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { createLogger } from '../../src/server/logger.ts';
import { serve, type RunningServer } from '../../src/server/serve.ts';
import { secretKey } from '../../src/store/secrets.ts';
import type { Installation } from '../../src/store/store.ts';
import { repoRoot } from '../helpers.ts';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const ADMIN_TOKEN = 'ui-admin-token';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go: RIGHTTOUCH_SCREENSHOTS (e.g. docs/screenshots), else .cache/screenshots. */
export const SCREENSHOTS = join(repoRoot, process.env['RIGHTTOUCH_SCREENSHOTS'] ?? '.cache/screenshots');

export interface UiEnv {
  readonly portal: Portal;
  readonly server: RunningServer;
  readonly installation: Installation;
  readonly context: BrowserContext;
  readonly page: Page;
  /** GET/POST/PUT the admin API as the admin. */
  api<T>(path: string, method?: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** The default policy with a tight High-touch capacity, so that a lower threshold fills it. */
export function startingPolicy(): Policy {
  const policy = JSON.parse(readFileSync(join(repoRoot, 'policies', 'default.json'), 'utf8')) as Policy;
  return {
    ...policy,
    company: {
      ...policy.company,
      capacity: {
        high_touch: { max: { csms: 3, accountsPerCsm: 2 }, rankBy: [{ field: 'dealSize', order: 'desc' }] },
      },
    },
  };
}

export async function startUiEnv(): Promise<UiEnv> {
  await buildUi();
  const portal = generatePortal({ seed: 31, companies: 60, contacts: 150, deals: 300 });
  const sandbox = createSandbox({ portal, token: 'AT-sandbox' });
  const crm: RunningSandbox = await sandbox.listen(0);
  const dir = mkdtempSync(join(tmpdir(), 'righttouch-ui-'));
  const env = {
    HUBSPOT_CLIENT_ID: 'ui-test-client',
    HUBSPOT_API_URL: crm.url,
    RIGHTTOUCH_ADMIN_TOKEN: ADMIN_TOKEN,
    RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  const server = await serve(
    { data: join(dir, 'righttouch.db'), port: 0, logger: createLogger({ level: 'silent' }) },
    env,
  );
  // As the install flow leaves it: the installation and its sealed tokens.
  const installation = await server.store.upsertInstallation('hubspot', String(portal.portalId), 'Northwind (sandbox)');
  const credentials = new Credentials({ store: server.store, key: secretKey(env, dir), config: server.config });
  await credentials.save(installation.id, {
    crm: 'hubspot',
    accessToken: 'AT-sandbox',
    refreshToken: 'RT-sandbox',
    expiresAt: Date.now() + 3_600_000,
    scopes: [],
  });
  const api = async <T>(path: string, method = 'GET', body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}/api/installations/${installation.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  // The first policy version; saving it queues the first sync, which mirrors and tiers the portal.
  await api('/policy', 'PUT', startingPolicy());
  await server.idle();

  mkdirSync(SCREENSHOTS, { recursive: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'righttouch-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
      reducedMotion: 'reduce',
    });
  } catch (error) {
    await server.close();
    await crm.close();
    throw error;
  }
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    portal,
    server,
    installation,
    context,
    page,
    api,
    close: async () => {
      await context.close();
      await server.close();
      await crm.close();
    },
  };
}
