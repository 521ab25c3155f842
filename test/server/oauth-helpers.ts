/** Shared by the install-flow tests: HubSpot's token endpoint faked through the injected fetch, a sandbox portal to set up. */
import { expect } from 'vitest';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { TOKEN_PATH } from '../../connectors/hubspot/oauth.ts';
import { startServer, type Harness } from './harness.ts';

export interface TokenCall {
  readonly url: string;
  readonly body: URLSearchParams;
}

export type TokenAnswer = (body: URLSearchParams) => { status: number; json: unknown };

/** A fetch that answers HubSpot's token endpoint with `answer` and records the calls. */
export function tokenFetch(answer: TokenAnswer, calls: TokenCall[]): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.endsWith(TOKEN_PATH)) return fetch(input, init);
    const body = new URLSearchParams(init?.body instanceof URLSearchParams ? init.body : '');
    calls.push({ url, body });
    const { status, json } = answer(body);
    return Promise.resolve(
      new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } }),
    );
  };
}

/** A sandbox portal and a RightTouch server whose HubSpot app talks to it; `open` collects what to close. */
export async function hubspotWorld(answer: TokenAnswer, open: { close(): Promise<void> }[]) {
  const portal = generatePortal({ seed: 3, companies: 5, contacts: 10, deals: 5 });
  const sandbox = createSandbox({ portal, token: 'AT-1' });
  const running: RunningSandbox = await sandbox.listen(0);
  open.push(running);
  const calls: TokenCall[] = [];
  const h: Harness = await startServer(
    {
      HUBSPOT_CLIENT_ID: 'cid',
      HUBSPOT_CLIENT_SECRET: 'csecret',
      HUBSPOT_API_URL: running.url,
      PUBLIC_BASE_URL: 'https://rt.example.com',
    },
    { fetch: tokenFetch(answer, calls) },
  );
  open.push(h);
  return { portal, h, calls };
}

export async function startInstall(h: Harness, crm: string): Promise<URL> {
  const response = await fetch(`${h.url}/oauth/${crm}/install`, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '');
}
