/**
 * The store's leases as the runs and `righttouch sync` take them (src/jobs/lease.ts), on each
 * engine: a lease whose holder is a process of this host that no longer exists is taken over at
 * once; one whose process lives, or that was taken on another host, is not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  describeHolder,
  hostIdentity,
  parseHolder,
  processAlive,
  processHolder,
  takeLease,
  waitForLease,
  type Lease,
} from '../../src/jobs/lease.ts';
import type { Store } from '../../src/store/store.ts';
import { describeEachEngine } from '../store/engines.ts';

const NAME = 'sync:inst-1';
const TTL = 2 * 60_000;

/** The pid of a process that ran here and has exited (and was reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid ?? 0;
  await once(child, 'exit');
  expect(processAlive(pid)).toBe(false);
  return pid;
}

const living: ChildProcess[] = [];
/** The pid of a process of this host that is running (stopped after the suite). */
function livePid(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600_000)']);
  living.push(child);
  return child.pid ?? 0;
}
afterAll(() => {
  for (const child of living) child.kill('SIGKILL');
});

describe('lease holders', () => {
  test('name their process: host (with its pid namespace), pid, and cli: for a command', () => {
    const server = processHolder('server');
    expect(parseHolder(`${server}/run-1`)).toEqual({ role: 'server', host: hostIdentity(), pid: process.pid });
    expect(parseHolder(processHolder('cli'))).toEqual({ role: 'cli', host: hostIdentity(), pid: process.pid });
    // Written by releases before the namespace was added, and what other stores hold: still read.
    expect(parseHolder('box-1:4242:0a1b2c3d/6f0e')).toEqual({ role: 'server', host: 'box-1', pid: 4242 });
    for (const odd of ['someone else', 'worker-a', 'host:0:ab', 'host:-3:ab', 'host:12', 'a:b:c:d']) {
      expect(parseHolder(odd), odd).toBeUndefined();
    }
    expect(describeHolder('cli:box-1@4026531836:4242:ab/x')).toBe('righttouch sync on host box-1 (pid 4242)');
    expect(describeHolder('box-1:7:ab/x')).toBe('the server on host box-1 (pid 7)');
  });
});

describeEachEngine('taking over a lease', (engine) => {
  let a: Store;
  let b: Store;
  const taken: Lease[] = [];

  beforeEach(async () => {
    const spec = engine.create();
    a = engine.open(spec);
    b = engine.open(spec);
    await a.migrate();
    await b.migrate();
  });
  afterEach(async () => {
    for (const lease of taken.splice(0)) await lease.release();
    await a.close();
    await b.close();
  });

  const take = async (store: Store): Promise<Lease | undefined> => {
    const lease = await takeLease({ store, holder: processHolder('server') }, NAME);
    if (lease !== undefined) taken.push(lease);
    return lease;
  };

  test("a lease held by a dead process of this host is taken over at once, the server's or a command's", async () => {
    for (const dead of [
      `${hostIdentity()}:${await deadPid()}:ab12/run`,
      `cli:${hostIdentity()}:${await deadPid()}:cd34/x`,
    ]) {
      expect(await a.acquireLease(NAME, dead, TTL, Date.now())).toBe(true);
      const lease = await take(b);
      expect(lease, dead).toBeDefined();
      const holder = (await a.leaseHolder(NAME))?.holder ?? '';
      expect(parseHolder(holder)).toMatchObject({ role: 'server', host: hostIdentity(), pid: process.pid });
      expect(await a.acquireLease(NAME, 'someone else', TTL, Date.now())).toBe(false);
      await lease?.release();
      expect(await a.leaseHolder(NAME)).toBeUndefined();
    }
  });

  test('a lease held by a live process of this host, another host or an unknown holder is not taken over', async () => {
    const until = Date.now() + TTL;
    const pid = await deadPid();
    for (const holder of [
      `${hostIdentity()}:${livePid()}:ab12/run`, // alive
      `cli:${hostIdentity()}:${process.pid}:ab12/run`, // this very process
      `other-host:${pid}:ab12/run`, // dead here, but its pid is another host's
      `${hostIdentity().split('@')[0] ?? ''}@1:${pid}:ab12/run`, // another pid namespace (a container)
      'someone else',
    ]) {
      expect(await a.acquireLease(NAME, holder, TTL, Date.now())).toBe(true);
      expect(await take(b), holder).toBeUndefined();
      expect(await b.leaseHolder(NAME), holder).toEqual({ holder, expiresAt: expect.any(Number) as unknown });
      expect((await b.leaseHolder(NAME))?.expiresAt).toBeGreaterThanOrEqual(until);
      await a.releaseLease(NAME, holder);
    }
  });

  test('of processes taking over the same dead holder at once, over two connections, exactly one gets it', async () => {
    for (let round = 0; round < 3; round++) {
      const dead = `${hostIdentity()}:${await deadPid()}:ab12/run`;
      expect(await a.acquireLease(NAME, dead, TTL, Date.now())).toBe(true);
      const got = await Promise.all(Array.from({ length: 6 }, (_, i) => take(i % 2 === 0 ? a : b)));
      expect(got.filter((lease) => lease !== undefined)).toHaveLength(1);
      for (const lease of taken.splice(0)) await lease.release();
    }
  });

  test('the store hands a lease over only from the holder that has it (compare-and-set)', async () => {
    expect(await a.acquireLease(NAME, 'first', 1000, 0)).toBe(true);
    expect(await b.takeOverLease(NAME, 'not-the-holder', 'second', 1000, 10)).toBe(false);
    expect(await b.takeOverLease(NAME, 'first', 'second', 1000, 10)).toBe(true);
    expect(await a.leaseHolder(NAME)).toEqual({ holder: 'second', expiresAt: 1010 });
    expect(await a.takeOverLease(NAME, 'first', 'third', 1000, 20)).toBe(false);
    expect(await a.takeOverLease('sync:nobody', 'first', 'third', 1000, 20)).toBe(false);
    expect(await a.leaseHolder('sync:nobody')).toBeUndefined();
  });

  test('waitForLease waits while a live holder has it, takes it once released, and says who held it', async () => {
    const server = await take(a);
    expect(server).toBeDefined();
    const heard: unknown[] = [];
    const refused = await waitForLease({ store: b, holder: processHolder('cli') }, NAME, { waitMs: 0 });
    expect(refused).toEqual({
      heldBy: { holder: expect.stringMatching(/^[^:]+:\d+:/) as unknown, expiresAt: expect.any(Number) as unknown },
    });
    const waiting = waitForLease({ store: b, holder: processHolder('cli') }, NAME, {
      waitMs: 10_000,
      pollMs: 50,
      onWait: (held) => heard.push(held?.holder),
    });
    setTimeout(() => void server?.release(), 200);
    const got = await waiting;
    expect('lease' in got).toBe(true);
    if ('lease' in got) taken.push(got.lease);
    expect(heard).toHaveLength(1);
    expect(parseHolder((await a.leaseHolder(NAME))?.holder ?? '')?.role).toBe('cli');
  });
});
