/**
 * How the server serves the admin UI: the page with its security headers, content-hashed assets
 * compressed ahead of time, the plain fallback page when the UI is not built, which CRM apps can
 * be installed, and one saved policy version for the key's own installation only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildUi, type BuiltUi } from '../../scripts/build-ui.ts';
import type { Policy } from '../../src/core/index.ts';
import { issueApiKey } from '../../src/server/routes/oauth.ts';
import { bearer, startServer, type Harness } from '../server/harness.ts';
import { repoRoot } from '../helpers.ts';

let built: BuiltUi;
let server: Harness;

beforeAll(async () => {
  built = await buildUi(mkdtempSync(join(tmpdir(), 'righttouch-ui-dist-')));
  server = await startServer({ HUBSPOT_CLIENT_ID: 'cid' }, { uiDir: built.outdir });
}, 30_000);

afterAll(async () => {
  await server.close();
});

describe('the admin UI page and assets', () => {
  test('/ is the UI, with a strict content security policy', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).toContain(`<script type="module" src="/assets/${built.script}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/assets/${built.stylesheet}">`);
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
  });

  test('assets are immutable and sent compressed when the browser takes it', async () => {
    const plain = await fetch(`${server.url}/assets/${built.script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toMatch(/immutable/);
    expect(plain.headers.get('content-encoding')).toBeNull();
    const source = Buffer.from(await plain.arrayBuffer());
    expect(source.equals(readFileSync(join(built.outdir, 'assets', built.script)))).toBe(true);

    // fetch decompresses by itself: a raw node:http request shows what was sent.
    const compressed = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request(
        `${server.url}/assets/${built.script}`,
        { headers: { 'accept-encoding': 'br, gzip' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            resolve({ headers: res.headers, body: Buffer.concat(chunks) });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(compressed.headers['content-encoding']).toBe('br');
    expect(compressed.headers['content-type']).toMatch(/javascript/);
    expect(compressed.headers['vary']).toMatch(/Accept-Encoding/);
    expect(brotliDecompressSync(compressed.body).equals(source)).toBe(true);
    expect(compressed.body.length).toBeLessThan(source.length / 2);

    expect((await fetch(`${server.url}/assets/nope.js`)).status).toBe(404);
  });

  test('which CRM apps this server can install', async () => {
    const config = await (await fetch(`${server.url}/ui-config.json`)).json();
    expect(config).toEqual({
      hubspot: { configured: true, installUrl: '/oauth/hubspot/install' },
      salesforce: { configured: false, installUrl: '/oauth/salesforce/install' },
    });
  });

  test('without a built UI, / is a plain page that says how to build it', async () => {
    const bare = await startServer({ HUBSPOT_CLIENT_ID: 'cid' }, { uiDir: mkdtempSync(join(tmpdir(), 'no-ui-')) });
    try {
      const html = await (await fetch(`${bare.url}/`)).text();
      expect(html).toContain('<a href="/oauth/hubspot/install">Install on HubSpot</a>');
      expect(html).toContain('npm run build:ui');
    } finally {
      await bare.close();
    }
  });
});

describe('GET /api/installations/:id/policy/versions/:version', () => {
  test('answers a saved version to its own installation only', async () => {
    const policy = JSON.parse(readFileSync(join(repoRoot, 'policies', 'default.json'), 'utf8')) as Policy;
    const mine = await server.store.upsertInstallation('hubspot', '101');
    const other = await server.store.upsertInstallation('hubspot', '202');
    await server.store.savePolicy(mine.id, policy);
    await server.store.savePolicy(mine.id, { ...policy, company: { ...policy.company, default: 'low_touch' } });
    const key = await issueApiKey(server.store, mine.id, 'test', Date.now());
    const path = (id: string, version: number | string) =>
      `${server.url}/api/installations/${id}/policy/versions/${version}`;

    expect((await fetch(path(mine.id, 1))).status).toBe(401);
    const first = await fetch(path(mine.id, 1), { headers: bearer(key) });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { version: number; policy: Policy; createdAt: number };
    expect(body.version).toBe(1);
    expect(body.policy).toEqual(policy);
    const second = (await (await fetch(path(mine.id, 2), { headers: bearer('admin-secret') })).json()) as {
      policy: Policy;
    };
    expect(second.policy.company?.default).toBe('low_touch');
    expect((await fetch(path(mine.id, 3), { headers: bearer(key) })).status).toBe(404);
    expect((await fetch(path(mine.id, 'x'), { headers: bearer(key) })).status).toBe(404);
    expect((await fetch(path(other.id, 1), { headers: bearer(key) })).status).toBe(404);
  });
});
