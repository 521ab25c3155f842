/** The scheduler: node-cron tasks per installation, kept in step with the store, wired to runInstallationSync. */
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { everyMinutesExpression, LEASE_HELD, runInstallationSync, startScheduler } from '../../src/jobs/index.ts';
import type { JobDeps, RunOutcome, Scheduler } from '../../src/jobs/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Installation } from '../../src/store/store.ts';
import { gate, mapping, policy, tempDb, TestCrm } from './fixtures.ts';

let path: string;
let store: SqliteStore;
let crm: TestCrm;
let deps: JobDeps;
let first: Installation;
let second: Installation;
let scheduler: Scheduler | undefined;
const info: string[] = [];

/** The live node-cron task of that name (node-cron keeps every task in its registry). */
function task(name: string): ScheduledTask {
  const found = [...cron.getTasks().values()].find((t) => t.name === name);
  if (found === undefined) throw new Error(`no task ${name}`);
  return found;
}

const ourTasks = (): string[] =>
  [...cron.getTasks().values()]
    .map((t) => t.name ?? '')
    .filter((name) => name.endsWith(first.id) || name.endsWith(second.id))
    .sort();

async function execute(name: string): Promise<RunOutcome> {
  return (await task(name).execute()) as RunOutcome;
}

function kindOf(outcome: RunOutcome): string {
  if (outcome.status !== 'ran') throw new Error(`expected a run, got ${JSON.stringify(outcome)}`);
  return outcome.report.kind;
}

beforeEach(async () => {
  path = tempDb();
  store = new SqliteStore(path);
  await store.migrate();
  first = await store.upsertInstallation('hubspot', 'portal-1');
  second = await store.upsertInstallation('hubspot', 'portal-2');
  await store.saveSettings(second.id, { syncEveryMinutes: 5 });
  for (const installation of [first, second]) await store.savePolicy(installation.id, policy);
  crm = new TestCrm(() => Date.now());
  info.length = 0;
  deps = {
    store,
    connectorFor: () => Promise.resolve(crm),
    holder: 'scheduler-test',
    mappingFor: () => Promise.resolve(mapping),
    logger: { info: (message) => info.push(message), warn: (message) => info.push(`warn: ${message}`) },
  };
});

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  vi.useRealTimers();
  await store.close();
});

describe('everyMinutesExpression', () => {
  test('minutes, whole hours that divide a day, a day; nothing else', () => {
    expect(everyMinutesExpression(15)).toBe('*/15 * * * *');
    expect(everyMinutesExpression(1)).toBe('*/1 * * * *');
    expect(everyMinutesExpression(120)).toBe('0 */2 * * *');
    expect(everyMinutesExpression(1440)).toBe('0 0 * * *');
    for (const bad of [0, -5, 7.5, 90, 300, 2880]) expect(everyMinutesExpression(bad)).toBeUndefined();
  });
});

describe('startScheduler', () => {
  test('two tasks per installation: incremental every N minutes (default 15) and the nightly full', async () => {
    scheduler = startScheduler(deps);
    await scheduler.refresh();
    expect(scheduler.tasks()).toEqual([
      { name: `incremental:${first.id}`, expression: '*/15 * * * *' },
      { name: `full:${first.id}`, expression: '0 3 * * *' },
      { name: `incremental:${second.id}`, expression: '*/5 * * * *' },
      { name: `full:${second.id}`, expression: '0 3 * * *' },
    ]);
    expect(ourTasks()).toEqual(
      scheduler
        .tasks()
        .map((t) => t.name)
        .sort(),
    );
    expect(task(`incremental:${second.id}`).getPattern()).toBe('*/5 * * * *');
    expect(task(`full:${first.id}`).getStatus()).toBe('idle');
  });

  test('refresh() follows changed intervals and removed installations; stop() destroys every task', async () => {
    scheduler = startScheduler({ ...deps, nightlyFullAt: '30 2 * * *', defaultEveryMinutes: 20 });
    await scheduler.refresh();
    const kept = task(`full:${first.id}`);
    const replaced = task(`incremental:${first.id}`);
    await store.saveSettings(first.id, { syncEveryMinutes: 10 });
    // The second is uninstalled (its schedules stop), then purged after the retention period.
    await store.forgetInstallation(second.id, 1000);
    await scheduler.refresh();
    expect(scheduler.tasks().map((t) => t.name)).not.toContain(`full:${second.id}`);
    expect(await store.purgeUninstalled(2000)).toEqual([second.id]);
    await scheduler.refresh();
    expect(scheduler.tasks()).toEqual([
      { name: `incremental:${first.id}`, expression: '*/10 * * * *' },
      { name: `full:${first.id}`, expression: '30 2 * * *' },
    ]);
    expect(replaced.getStatus()).toBe('destroyed');
    expect(task(`full:${first.id}`)).toBe(kept);
    expect(ourTasks()).toEqual([`full:${first.id}`, `incremental:${first.id}`]);

    await scheduler.stop();
    expect(scheduler.tasks()).toEqual([]);
    expect(ourTasks()).toEqual([]);
    expect(kept.getStatus()).toBe('destroyed');
    await scheduler.refresh(); // stopped: nothing comes back
    expect(ourTasks()).toEqual([]);
  });

  test('an interval cron cannot express falls back to the default, with a warning', async () => {
    await store.saveSettings(second.id, { syncEveryMinutes: 90 });
    scheduler = startScheduler(deps);
    await scheduler.refresh();
    expect(scheduler.tasks().find((t) => t.name === `incremental:${second.id}`)?.expression).toBe('*/15 * * * *');
    expect(info.join('\n')).toMatch(/syncEveryMinutes 90 cannot be scheduled/);
  });

  test('bad settings of the scheduler itself are refused at once', () => {
    expect(() => startScheduler({ ...deps, nightlyFullAt: 'at three' })).toThrow(/nightlyFullAt/);
    expect(() => startScheduler({ ...deps, defaultEveryMinutes: 0 })).toThrow(/defaultEveryMinutes/);
  });

  test('the tasks run the installation sync: incremental (full the first time) and full', async () => {
    scheduler = startScheduler(deps);
    await scheduler.refresh();
    expect(kindOf(await execute(`incremental:${first.id}`))).toBe('full');
    expect(kindOf(await execute(`incremental:${first.id}`))).toBe('incremental');
    expect(kindOf(await execute(`full:${first.id}`))).toBe('full');
    expect((await store.listRuns(first.id)).map((run) => run.kind).sort()).toEqual(['full', 'full', 'incremental']);
    expect(await store.listRuns(second.id)).toEqual([]);
  });

  test('a full run skipped because the installation was busy is made up by the next incremental tick', async () => {
    scheduler = startScheduler(deps);
    await scheduler.refresh();
    const lease = `sync:${first.id}`;
    expect(kindOf(await execute(`incremental:${first.id}`))).toBe('full');

    await store.acquireLease(lease, 'another-process', 60_000, Date.now());
    expect(await execute(`full:${first.id}`)).toEqual({ status: 'skipped', reason: LEASE_HELD });
    await store.releaseLease(lease, 'another-process');
    expect(kindOf(await execute(`incremental:${first.id}`))).toBe('full');
    expect(kindOf(await execute(`incremental:${first.id}`))).toBe('incremental');

    // Unless another worker did a full run meanwhile.
    await store.acquireLease(lease, 'another-process', 60_000, Date.now());
    expect(await execute(`full:${first.id}`)).toEqual({ status: 'skipped', reason: LEASE_HELD });
    await store.releaseLease(lease, 'another-process');
    expect(kindOf(await runInstallationSync({ ...deps, holder: 'another-process' }, first.id, 'full'))).toBe('full');
    expect(kindOf(await execute(`incremental:${first.id}`))).toBe('incremental');
  });

  test('at 03:00 the incremental tick gives way to the nightly full run', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-20T02:59:58Z') });
    const reports: string[] = [];
    scheduler = startScheduler({
      ...deps,
      onReport: (installation, report) => {
        reports.push(`${installation.id}:${report.kind}`);
      },
    });
    await scheduler.refresh();
    await vi.advanceTimersByTimeAsync(3000);
    await vi.waitFor(() => {
      expect(reports.sort()).toEqual([`${first.id}:full`, `${second.id}:full`].sort());
    });
    for (const installation of [first, second]) {
      expect((await store.listRuns(installation.id)).map((run) => run.kind)).toEqual(['full']);
    }
    expect(info.filter((line) => line.includes('the full reconcile runs now'))).toHaveLength(2);
  });

  test('stop() stops a run under way at its next page and waits for it', async () => {
    scheduler = startScheduler(deps);
    await scheduler.refresh();
    const held = gate();
    crm.beforePage = held.wait;
    const running = execute(`incremental:${first.id}`);
    await held.reached;
    const stopping = scheduler.stop();
    held.open();
    await stopping;
    expect(await running).toEqual({
      status: 'failed',
      error: 'stopped: the worker is shutting down; the next run picks up',
      code: 'stopped',
    });
    expect(await store.acquireLease(`sync:${first.id}`, 'next-process', 60_000, Date.now())).toBe(true);
  });
});
