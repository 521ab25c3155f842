/**
 * A sandbox CRM in its own process, for benchmarks that measure RightTouch's memory: the portal
 * or org (hundreds of thousands of records) lives here, not in the benchmark's process. Started
 * by `startSandboxProcess` (sandbox-client.ts) through `fork`, with the spec as its argument; it
 * answers messages on the IPC channel and exits when the channel closes.
 */
import { removeRecord } from '../sandbox/hubspot/crm-actions.ts';
import { generatePortal, mutate } from '../sandbox/hubspot/generate.ts';
import { objectTypeOf } from '../sandbox/hubspot/model.ts';
import { generateOrg, mutateOrg } from '../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox } from '../sandbox/salesforce/server.ts';
import { createSandbox } from '../sandbox/hubspot/server.ts';
import type { SandboxRequest, SandboxResponse, SandboxSpec } from './sandbox-client.ts';

const send = (message: SandboxResponse): void => {
  process.send?.(message);
};

const spec = JSON.parse(process.argv[2] ?? '{}') as SandboxSpec;
let offsetMs = 0;
const now = (): number => Date.now() + offsetMs;
const counts = (named: Readonly<Record<string, number>>, name: string): number => named[name] ?? 0;

interface Served {
  readonly url: string;
  readonly accessToken: string;
  stats(): unknown;
  mutate(changes: Readonly<Record<string, number>>, seed: number): Record<string, string[]>;
  /** Deletes a record (no webhook is sent); false when there is none (or the CRM is not HubSpot). */
  remove(type: string, id: string): boolean;
  close(): Promise<void>;
}

async function serve(): Promise<Served> {
  if (spec.crm === 'hubspot') {
    const portal = generatePortal({ seed: spec.seed, ...spec.size });
    const sandbox = createSandbox({
      portal,
      token: spec.token,
      now,
      ...(spec.limits === false ? { limits: false } : {}),
    });
    const running = await sandbox.listen(0);
    return {
      url: running.url,
      accessToken: spec.token,
      stats: () => sandbox.stats,
      mutate: (changes, seed) => ({
        ...mutate(portal, {
          deals: counts(changes, 'deals'),
          contacts: counts(changes, 'contacts'),
          companies: counts(changes, 'companies'),
          seed,
          now: now(),
        }),
      }),
      remove: (type, id) => {
        const objectType = objectTypeOf(type);
        return objectType !== undefined && removeRecord(portal, objectType, id) !== undefined;
      },
      close: () => running.close(),
    };
  }
  const org = generateOrg({ seed: spec.seed, ...spec.size, now: now() });
  const sandbox = createSalesforceSandbox({ org, dailyApiLimit: 10_000_000, now });
  const running = await sandbox.listen();
  return {
    url: running.url,
    accessToken: sandbox.tokens.issue().accessToken,
    stats: () => sandbox.stats,
    mutate: (changes, seed) => ({
      ...mutateOrg(org, {
        opportunities: counts(changes, 'opportunities'),
        contacts: counts(changes, 'contacts'),
        leads: counts(changes, 'leads'),
        seed,
        now: now(),
      }),
    }),
    remove: () => false,
    close: () => running.close(),
  };
}

const served = await serve();
process.on('message', (raw) => {
  const request = raw as SandboxRequest;
  switch (request.kind) {
    case 'stats':
      send({ id: request.id, kind: 'stats', stats: structuredClone(served.stats()) });
      return;
    case 'advance':
      offsetMs += request.ms;
      send({ id: request.id, kind: 'advanced', now: now() });
      return;
    case 'mutate':
      send({ id: request.id, kind: 'mutated', result: served.mutate(request.changes, request.seed) });
      return;
    case 'remove':
      send({ id: request.id, kind: 'removed', found: served.remove(request.type, request.recordId) });
      return;
  }
});
process.on('disconnect', () => {
  void served.close().finally(() => process.exit(0));
});
send({
  id: 0,
  kind: 'ready',
  url: served.url,
  accessToken: served.accessToken,
  rssBytes: process.memoryUsage().rss,
});
