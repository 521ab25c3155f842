/**
 * `serve` marks an installation "needs reconnect" from the failed run's error code (from the
 * error's type: src/app/errors.ts), not from words in its message: an installation without tokens
 * is marked, whatever its message says; a CRM error that merely mentions `invalid_grant` is not.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { Credentials } from '../../src/app/connectors.ts';
import { createLogger } from '../../src/server/logger.ts';
import { serve, type RunningServer } from '../../src/server/serve.ts';
import { secretKey } from '../../src/store/secrets.ts';
import { tempDir } from '../e2e/helpers.ts';

const ADMIN = 'admin-token-for-reconnect';
let server: RunningServer | undefined;
let crm: Server | undefined;
const logger = createLogger({
  destination: new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  }),
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (crm !== undefined) await new Promise((resolve) => crm?.close(resolve));
  crm = undefined;
});

async function runNow(running: RunningServer, installationId: string): Promise<void> {
  const answer = await fetch(`${running.url}/api/installations/${installationId}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(answer.status).toBe(202);
  await running.idle();
}

describe('serve: needs reconnect', () => {
  test('an installation whose tokens are gone is marked needs_reconnect, with the error as its detail', async () => {
    const dir = tempDir();
    const env = { RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'), RIGHTTOUCH_ADMIN_TOKEN: ADMIN };
    server = await serve({ data: join(dir, 'righttouch.db'), port: 0, logger }, env);
    const installation = await server.store.upsertInstallation('hubspot', '9001');
    await runNow(server, installation.id);
    const after = await server.store.getInstallation(installation.id);
    expect(after).toMatchObject({
      status: 'needs_reconnect',
      statusDetail: `no HubSpot tokens for installation ${installation.id}`,
    });
  });

  test('a CRM error that mentions invalid_grant in its message leaves the installation active', async () => {
    // HubSpot refuses a property value with a 400 VALIDATION_ERROR whose message quotes the value.
    crm = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: 'Property values were not valid: "invalid_grant" is not a valid option',
          correlationId: '5b7e1c2a-0000-4000-8000-000000000000',
        }),
      );
    });
    await new Promise<void>((resolve) => crm?.listen(0, resolve));
    const dir = tempDir();
    const env = {
      RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 4).toString('base64'),
      RIGHTTOUCH_ADMIN_TOKEN: ADMIN,
      HUBSPOT_API_URL: `http://127.0.0.1:${(crm.address() as AddressInfo).port}`,
    };
    server = await serve({ data: join(dir, 'righttouch.db'), port: 0, logger }, env);
    const installation = await server.store.upsertInstallation('hubspot', '9002');
    await new Credentials({ store: server.store, key: secretKey(env, dir), config: server.config }).save(
      installation.id,
      { crm: 'hubspot', accessToken: 'at', refreshToken: 'rt', expiresAt: Date.now() + 3_600_000, scopes: [] },
    );
    await runNow(server, installation.id);
    const [run] = await server.store.listRuns(installation.id);
    expect(run?.status).toBe('failed');
    expect((run?.errors ?? []).join('\n')).toMatch(/invalid_grant/);
    expect((await server.store.getInstallation(installation.id))?.status).toBe('active');
  });
});
