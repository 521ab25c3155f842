/**
 * The Express bootstrap both sandbox CRMs share (sandbox/shared/http.ts): each still answers bad
 * JSON and unknown routes in its own platform's shape, sends no Express headers, logs one line per
 * request, and closes even while a client holds a keep-alive connection.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox } from '../../sandbox/hubspot/server.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import type { RunningServer } from '../../sandbox/shared/http.ts';

const running: RunningServer[] = [];

afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

async function hubspot(log?: (line: string) => void): Promise<RunningServer> {
  const sandbox = createSandbox({
    portal: generatePortal({ seed: 3, companies: 5 }),
    token: 't',
    ...(log ? { log } : {}),
  });
  const server = await sandbox.listen(0);
  running.push(server);
  return server;
}

async function salesforce(): Promise<{ server: RunningServer; token: string }> {
  const sandbox = createSalesforceSandbox({ org: generateOrg({ seed: 3, accounts: 5 }) });
  const server = await sandbox.listen();
  running.push(server);
  return { server, token: sandbox.tokens.issue().accessToken };
}

describe('the shared sandbox bootstrap', () => {
  test('HubSpot: bad JSON is a VALIDATION_ERROR, an unknown path OBJECT_NOT_FOUND, no Express headers', async () => {
    const lines: string[] = [];
    const { url } = await hubspot((line) => lines.push(line));
    const bad = await fetch(`${url}/crm/v3/objects/companies/batch/update`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{"inputs": [',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    const unknown = await fetch(`${url}/crm/v3/nothing`, { headers: { authorization: 'Bearer t' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ category: 'OBJECT_NOT_FOUND' });
    expect(unknown.headers.get('x-powered-by')).toBeNull();
    expect(unknown.headers.get('etag')).toBeNull();
    expect(lines).toEqual([
      expect.stringMatching(/^POST \/crm\/v3\/objects\/companies\/batch\/update 400 \d+ms$/),
      expect.stringMatching(/^GET \/crm\/v3\/nothing 404 \d+ms$/),
    ]);
  });

  test('Salesforce: bad JSON is a JSON_PARSER_ERROR list, an unknown path NOT_FOUND', async () => {
    const { server, token } = await salesforce();
    const bad = await fetch(`${server.url}/services/data/v66.0/composite/sobjects`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"records": [',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual([expect.objectContaining({ errorCode: 'JSON_PARSER_ERROR' })]);
    const unknown = await fetch(`${server.url}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual([expect.objectContaining({ errorCode: 'NOT_FOUND' })]);
    expect(unknown.headers.get('x-powered-by')).toBeNull();
  });

  test('close() ends a connection still sending its request instead of waiting for it', async () => {
    const server = await hubspot();
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('GET /crm/v3/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers not finished
    const ended = new Promise<void>((resolve) =>
      socket.once('close', () => {
        resolve();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.close();
    running.splice(running.indexOf(server), 1);
    await ended;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
