/**
 * Several processes over one store (a SQLite file; a PostgreSQL database): the per-installation
 * lease lets exactly one of them sync an installation at a time, and a worker that dies mid-run
 * gives its installations up after the lease's time to live.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { LEASE_HELD, runInstallationSync } from '../../src/jobs/index.ts';
import type { JobDeps, RunOutcome } from '../../src/jobs/index.ts';
import type { RunRecord } from '../../src/store/store.ts';
import { describeEachEngine } from '../store/engines.ts';
import type { StoreEngine } from '../store/engines.ts';
import type { StoreSpec } from '../store/store-spec.ts';
import { mapping, policy, sleep, TestCrm } from './fixtures.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

interface Line {
  readonly holder: string;
  readonly installationId: string;
  readonly status: RunOutcome['status'];
  readonly runId?: string;
  readonly reason?: string;
  readonly error?: string;
}

/** A worker process, its output line by line. */
class Worker {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: Record<string, unknown>) {
    this.child = spawn(process.execPath, ['--no-warnings', WORKER, JSON.stringify(args)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      this.lines.push(...parts);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((done) => {
      this.child.on('exit', (code) => {
        done(code);
      });
    });
    void this.exited.then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves when the worker printed `line`; rejects if it exits first. */
  async waitFor(line: string): Promise<void> {
    while (!this.lines.includes(line)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `worker exited (${this.child.exitCode ?? this.child.signalCode}) before "${line}":\n${this.stderr}`,
        );
      }
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  outcomes(): Line[] {
    return this.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Line);
  }
}

const workers: Worker[] = [];
afterEach(() => {
  for (const worker of workers.splice(0)) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
});

async function prepareStore(engine: StoreEngine, count: number): Promise<{ spec: StoreSpec; ids: string[] }> {
  const spec = engine.create();
  const store = engine.open(spec);
  await store.migrate();
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const installation = await store.upsertInstallation('hubspot', `portal-${i}`);
    await store.savePolicy(installation.id, policy);
    ids.push(installation.id);
  }
  await store.close();
  return { spec, ids };
}

describeEachEngine('workers in several processes', (engine) => {
  test('three processes syncing the same installations never run one installation twice at a time', async () => {
    const { spec, ids } = await prepareStore(engine, 3);
    for (const name of ['a', 'b', 'c']) {
      const worker = new Worker({
        store: spec,
        // Each worker goes through the installations in its own order.
        installations: name === 'b' ? [...ids].reverse() : ids,
        holder: `worker-${name}`,
        iterations: 6,
        readDelayMs: 8,
        leaseTtlMs: 5000,
      });
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => worker.waitFor('ready')));
    for (const worker of workers) worker.child.stdin?.write('go\n');
    await Promise.all(workers.map((worker) => worker.waitFor('done')));
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0, 0]);

    const outcomes = workers.flatMap((worker) => worker.outcomes());
    expect(outcomes).toHaveLength(3 * 6 * ids.length);
    // Every attempt either ran or was skipped because another worker had the installation.
    for (const outcome of outcomes) {
      expect(outcome.status === 'ran' || (outcome.status === 'skipped' && outcome.reason === LEASE_HELD)).toBe(true);
    }
    // The workers did contend (otherwise this test would prove nothing).
    expect(outcomes.filter((o) => o.status === 'skipped').length).toBeGreaterThan(0);

    const store = engine.open(spec);
    try {
      for (const id of ids) {
        const ranHere = outcomes.filter((o) => o.installationId === id && o.status === 'ran');
        expect(ranHere.length).toBeGreaterThan(0);
        const runs: RunRecord[] = (await store.listRuns(id, 1000)).sort((a, b) => a.startedAt - b.startedAt);
        // One recorded run per run reported, every one of them succeeded (none cut short by another).
        expect(runs.map((run) => run.id).sort()).toEqual(ranHere.map((o) => o.runId).sort());
        expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
        // Their intervals are disjoint: each starts when (or after) the one before ended.
        for (let i = 1; i < runs.length; i++) {
          const before = runs[i - 1];
          const run = runs[i];
          expect(before?.endedAt).not.toBeNull();
          expect(run?.startedAt).toBeGreaterThanOrEqual(before?.endedAt ?? Infinity);
        }
      }
    } finally {
      await store.close();
    }
  });

  test('a worker killed mid-run keeps its installation until the lease expires; then another takes over', async () => {
    const { spec, ids } = await prepareStore(engine, 1);
    const [id = ''] = ids;
    const leaseTtlMs = 3000;
    const doomed = new Worker({
      store: spec,
      installations: [id],
      holder: 'doomed',
      iterations: 1,
      readDelayMs: 0,
      leaseTtlMs,
      hang: true,
    });
    workers.push(doomed);
    await doomed.waitFor('ready');
    doomed.child.stdin?.write('go\n');
    await doomed.waitFor('reading');

    const store = engine.open(spec);
    try {
      const crm = new TestCrm(() => Date.now());
      const deps: JobDeps = {
        store,
        connectorFor: () => Promise.resolve(crm),
        holder: 'survivor',
        leaseTtlMs,
        mappingFor: () => Promise.resolve(mapping),
      };
      expect(await runInstallationSync(deps, id, 'incremental')).toEqual({ status: 'skipped', reason: LEASE_HELD });
      doomed.child.kill('SIGKILL');
      expect(await doomed.exited).toBeNull();
      // Dead, but its lease has not expired yet.
      expect(await runInstallationSync(deps, id, 'incremental')).toEqual({ status: 'skipped', reason: LEASE_HELD });

      // Once it expires (within the time to live), the survivor takes the installation over.
      const killedAt = Date.now();
      let outcome: RunOutcome;
      for (;;) {
        outcome = await runInstallationSync(deps, id, 'incremental');
        if (outcome.status !== 'skipped' || Date.now() - killedAt > 4 * leaseTtlMs) break;
        await sleep(100);
      }
      expect(outcome.status).toBe('ran');
      const runs = await store.listRuns(id);
      expect(runs.map((run) => [run.kind, run.status])).toEqual([
        ['full', 'succeeded'],
        ['full', 'failed'],
      ]);
      // The dead worker's run, still marked running, ended as interrupted when the next one began.
      expect(runs[1]?.errors?.[0]).toMatch(/^interrupted/);
    } finally {
      await store.close();
    }
  });
});
