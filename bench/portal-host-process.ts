/**
 * The sandbox HubSpot hosting many small portals (sandbox/hubspot/host.ts) in its own process, for
 * `npm run bench:installations`: its CPU stays out of the benchmark's process, which times
 * `/healthz`. Started by `startPortalHost` (fork, the spec as argument); it answers `stats` on the
 * IPC channel and exits when the channel closes.
 *
 * Portal i (0-based) has the id 40,000,001 + i and 5–20 companies (seeded), twice as many contacts
 * and as many deals as companies; HubSpot's public-app rate limits apply per portal.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generatePortal } from '../sandbox/hubspot/generate.ts';
import { createSandboxHost } from '../sandbox/hubspot/host.ts';
import { createRng } from '../sandbox/shared/prng.ts';

export interface PortalHostSpec {
  readonly portals: number;
  readonly seed: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
}

export interface PortalHostStats {
  readonly requests: number;
  readonly rateLimited: number;
  readonly rssBytes: number;
  /** Requests by route over every portal (sandbox/hubspot/stats.ts), e.g. `POST /crm/v3/objects/:objectType/search`. */
  readonly byEndpoint: Readonly<Record<string, number>>;
}

type Message =
  | { readonly kind: 'ready'; readonly url: string; readonly portalIds: readonly number[] }
  | ({ readonly kind: 'stats' } & PortalHostStats);

export const FIRST_PORTAL_ID = 40_000_001;

export interface PortalHost {
  readonly url: string;
  /** The host process (its CPU time is the sandbox's part of the machine). */
  readonly pid: number | undefined;
  readonly portalIds: readonly number[];
  stats(): Promise<PortalHostStats>;
  close(): Promise<void>;
}

export async function startPortalHost(spec: PortalHostSpec): Promise<PortalHost> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (): Promise<Message> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => {
        reject(new Error(`the portal host exited (code ${String(code)})`));
      };
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as Message);
      });
    });
  const ready = await next();
  if (ready.kind !== 'ready') throw new Error('the portal host did not start');
  return {
    url: ready.url,
    pid: child.pid,
    portalIds: ready.portalIds,
    async stats() {
      const answer = next();
      child.send({ kind: 'stats' });
      const message = await answer;
      if (message.kind !== 'stats') throw new Error('unexpected answer from the portal host');
      return message;
    },
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await gone;
    },
  };
}

async function main(spec: PortalHostSpec): Promise<void> {
  const rng = createRng(spec.seed);
  const portals = Array.from({ length: spec.portals }, (_, i) => {
    const companies = rng.int(5, 20);
    const portal = generatePortal({ seed: spec.seed + i, companies, contacts: companies * 2, deals: companies });
    return { ...portal, portalId: FIRST_PORTAL_ID + i };
  });
  const host = createSandboxHost({
    portals,
    oauth: {
      clientId: spec.clientId,
      clientSecret: spec.clientSecret,
      redirectUris: [spec.redirectUri],
      requiredScopes: spec.scopes,
    },
  });
  const running = await host.listen(0);
  process.on('message', () => {
    let requests = 0;
    let rateLimited = 0;
    const byEndpoint: Record<string, number> = {};
    for (const sandbox of host.portals.values()) {
      requests += sandbox.stats.requests;
      for (const [endpoint, n] of Object.entries(sandbox.stats.byEndpoint))
        byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + n;
      rateLimited += Object.values(sandbox.stats.rateLimited).reduce((sum, n) => sum + n, 0);
    }
    process.send?.({
      kind: 'stats',
      requests,
      rateLimited,
      rssBytes: process.memoryUsage().rss,
      byEndpoint,
    } satisfies Message);
  });
  process.on('disconnect', () => {
    void running.close().finally(() => process.exit(0));
  });
  process.send?.({ kind: 'ready', url: running.url, portalIds: portals.map((p) => p.portalId) } satisfies Message);
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await main(JSON.parse(process.argv[2] ?? '{}') as PortalHostSpec);
