/**
 * Settings changed at once by several writers, on each engine: two admin API PUTs of different
 * fields, and a sync picking the lead score while an admin PUTs the cadence. The server's store is
 * its own connection, as another process's would be, and its reads are held back so that each
 * writer has read the settings before the other one writes: with a read-then-write of the whole
 * settings, one writer's field was lost.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { validateMapping } from '../../src/mapping/mapping.ts';
import type { Installation, Store } from '../../src/store/store.ts';
import type { ScoreProperty } from '../../src/sync/connector.ts';
import { resolveMapping } from '../../src/sync/lead-score.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { describeEachEngine } from '../store/engines.ts';
import { FakeCrm } from '../sync/fake-connector.ts';
import { START } from '../sync/phases/fixture.ts';
import { bearer, startServer, type Harness } from './harness.ts';

/** `store`, whose `getInstallation` answers only once `release()` resolves (the read itself is done at once). */
function heldReads(store: Store, release: () => Promise<void>): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'getInstallation') {
        return async (id: string) => {
          const read = await target.getInstallation(id);
          await release();
          return read;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Resolves each waiter once `count` of them wait (or after 2 s, so a wrong test does not hang). */
function barrier(count: number): () => Promise<void> {
  const waiting: (() => void)[] = [];
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length >= count) for (const go of waiting.splice(0)) go();
      else setTimeout(resolve, 2000);
    });
}

describeEachEngine('settings changed at once', (engine) => {
  let store: Store;
  let served: Store;
  let server: Harness | undefined;
  let installation: Installation;

  beforeEach(async () => {
    const spec = engine.create();
    store = engine.open(spec);
    served = engine.open(spec);
    await store.migrate();
    await served.migrate();
    installation = await store.upsertInstallation('hubspot', 'portal-1', 'Acme');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await store.close();
    await served.close();
  });

  const put = async (body: unknown): Promise<number> => {
    const response = await fetch(`${server?.url ?? ''}/api/installations/${installation.id}/settings`, {
      method: 'PUT',
      headers: { ...bearer('admin-secret'), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.status;
  };

  test('two PUTs of different fields, each read before the other wrote: both fields stay', async () => {
    server = await startServer({}, { store: heldReads(served, barrier(2)) });
    // Fields a PUT keeps unless it names them (the schedule's are the PUT's whole: see the README).
    expect(await Promise.all([put({ leadScoreProperty: 'mql_fit' }), put({ crmLists: false })])).toEqual([200, 200]);
    expect((await store.getInstallation(installation.id))?.settings).toEqual({
      leadScoreProperty: 'mql_fit',
      crmLists: false,
    });
    // The crmLists change queued a run (decided against the settings as they were when written).
    expect(server.syncRequests).toEqual([{ installationId: installation.id, kind: 'incremental' }]);
  });

  test('a sync picking the lead score while a PUT of the cadence read the settings before it: both stay', async () => {
    let picked: () => void = () => undefined;
    const pickedNow = new Promise<void>((resolve) => {
      picked = resolve;
    });
    // The PUT's read is answered once the pick has written.
    server = await startServer({}, { store: heldReads(served, () => pickedNow) });
    const cadence = put({ syncEveryMinutes: 1 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const checked = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
    if (!checked.ok) throw new Error('invalid default mapping');
    const legacy: ScoreProperty = { name: 'hubspotscore', label: 'HubSpot Score', kind: 'legacy' };
    const crm = Object.assign(new FakeCrm(() => START), { scoreProperties: () => Promise.resolve([legacy]) });
    const resolved = await resolveMapping(store, crm, installation.id, checked.mapping);
    expect(resolved.leadScore).toMatchObject({ property: 'hubspotscore', source: 'picked' });
    picked();
    expect(await cadence).toBe(200);
    expect((await store.getInstallation(installation.id))?.settings).toEqual({
      syncEveryMinutes: 1,
      leadScoreProperty: 'hubspotscore',
    });
  });

  test('many updates of different fields at once, over two connections, all stay', async () => {
    const writers = Array.from({ length: 12 }, (_, i) =>
      (i % 2 === 0 ? store : served).updateSettings(installation.id, (current) => ({
        ...current,
        ...(i % 3 === 0 ? { syncEveryMinutes: i + 1 } : i % 3 === 1 ? { notifyUrl: `https://hooks.example/${i}` } : {}),
        ...(i === 11 ? { crmLists: false } : {}),
        ...(i === 10 ? { leadScoreProperty: 'mql_fit' } : {}),
      })),
    );
    const results = await Promise.all(writers);
    expect(results.every((result) => result !== undefined)).toBe(true);
    const settings = (await store.getInstallation(installation.id))?.settings;
    expect(settings).toMatchObject({ crmLists: false, leadScoreProperty: 'mql_fit' });
    expect(settings?.syncEveryMinutes).toBeDefined();
    expect(settings?.notifyUrl).toMatch(/^https:\/\/hooks\.example\/\d+$/);
    expect(await store.updateSettings('no-such-installation', (current) => current)).toBeUndefined();
  });

  test('a pick finds the lead score an admin chose while the CRM was asked: the admin’s choice stays and is used', async () => {
    const legacy: ScoreProperty = { name: 'hubspotscore', label: 'HubSpot Score', kind: 'legacy' };
    const crm = Object.assign(new FakeCrm(() => START), {
      scoreProperties: async () => {
        await store.updateSettings(installation.id, (current) => ({ ...current, leadScoreProperty: 'mql_fit' }));
        return [legacy];
      },
    });
    const checked = validateMapping(readJson(join(repoRoot, 'mappings', 'hubspot.json')));
    if (!checked.ok) throw new Error('invalid default mapping');
    const resolved = await resolveMapping(store, crm, installation.id, checked.mapping);
    expect(resolved.leadScore).toMatchObject({ property: 'mql_fit', source: 'stored' });
    expect((await store.getInstallation(installation.id))?.settings).toEqual({ leadScoreProperty: 'mql_fit' });
  });
});
