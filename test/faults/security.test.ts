/**
 * Secrets at rest and in logs: after an install's tokens are saved and a full sync has run through
 * the server, neither the store's files nor the server's log lines hold a token, a client secret
 * or an API key in clear.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox } from '../../sandbox/hubspot/server.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { createLogger } from '../../src/server/logger.ts';
import { issueApiKey } from '../../src/server/routes/oauth.ts';
import { serve } from '../../src/server/serve.ts';
import { secretKey } from '../../src/store/secrets.ts';
import { tempDir } from '../e2e/helpers.ts';

describe('secrets', () => {
  test('a scan of the store and the logs of a full run find no token, secret or key', async () => {
    const ACCESS = 'pat-na1-ACCESS-4f1c9e';
    const REFRESH = 'REFRESH-77b2d0-secret';
    const CLIENT_SECRET = 'client-secret-9a8b7c';
    const portal = generatePortal({ seed: 4, companies: 40, contacts: 120, deals: 60 });
    const sandbox = createSandbox({ portal, token: ACCESS });
    const crm = await sandbox.listen(0);
    const dir = tempDir();
    const env = {
      HUBSPOT_CLIENT_ID: 'cid',
      HUBSPOT_CLIENT_SECRET: CLIENT_SECRET,
      HUBSPOT_API_URL: crm.url,
      RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 8).toString('base64'),
    };
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const server = await serve({ data: join(dir, 'righttouch.db'), port: 0, logger }, env);
    try {
      const installation = await server.store.upsertInstallation('hubspot', String(portal.portalId));
      await new Credentials({ store: server.store, key: secretKey(env, dir), config: server.config }).save(
        installation.id,
        {
          crm: 'hubspot',
          accessToken: ACCESS,
          refreshToken: REFRESH,
          expiresAt: Date.now() + 3_600_000,
          scopes: [],
        },
      );
      const apiKey = await issueApiKey(server.store, installation.id, 'scan', Date.now());
      const run = await fetch(`${server.url}/api/installations/${installation.id}/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ full: true }),
      });
      expect(run.status).toBe(202);
      await server.idle();
      expect((await server.store.listRuns(installation.id))[0]?.status).toBe('succeeded');
      expect(portal.objects.companies.records.size).toBeGreaterThan(0);

      const secrets = [ACCESS, REFRESH, CLIENT_SECRET, apiKey];
      const files = readdirSync(dir).filter((name) => name.startsWith('righttouch.db'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const bytes = readFileSync(join(dir, file));
        for (const secret of secrets) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
      }
      const log = lines.join('');
      expect(log).toContain('request');
      for (const secret of secrets) expect(log.includes(secret), `${secret} in the logs`).toBe(false);
    } finally {
      await server.close();
      await crm.close();
    }
  }, 60_000);
});
