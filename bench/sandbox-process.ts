/**
 * The sandbox CRM in its own process, for benchmarks that measure RightTouch's memory: the
 * portal (hundreds of thousands of records) lives here, not in the benchmark's process. Started
 * by `startSandboxProcess` (sandbox-client.ts) through `fork`; it answers messages on the IPC
 * channel (see `Request` there) and exits when the channel closes.
 */
import { generatePortal, mutate } from '../src/sandbox/generate.ts';
import { createSandbox } from '../src/sandbox/server.ts';
import type { SandboxRequest, SandboxResponse } from './sandbox-client.ts';

const send = (message: SandboxResponse): void => {
  process.send?.(message);
};

const spec = JSON.parse(process.argv[2] ?? '{}') as {
  seed: number;
  companies: number;
  contacts: number;
  deals: number;
  token: string;
};
const portal = generatePortal(spec);
let offsetMs = 0;
const now = (): number => Date.now() + offsetMs;
const sandbox = createSandbox({ portal, token: spec.token, now });
const running = await sandbox.listen(0);

process.on('message', (raw) => {
  const request = raw as SandboxRequest;
  switch (request.kind) {
    case 'stats':
      send({ id: request.id, kind: 'stats', stats: structuredClone(sandbox.stats) });
      return;
    case 'advance':
      offsetMs += request.ms;
      send({ id: request.id, kind: 'advanced', now: now() });
      return;
    case 'mutate':
      send({
        id: request.id,
        kind: 'mutated',
        result: mutate(portal, { deals: request.deals, contacts: request.contacts, seed: request.seed, now: now() }),
      });
      return;
  }
});
process.on('disconnect', () => {
  void running.close().finally(() => process.exit(0));
});
send({ id: 0, kind: 'ready', url: running.url, rssBytes: process.memoryUsage().rss });
