/** The sandbox portal on disk: what a snapshot keeps, and how saving and loading fail. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePortal, mutate } from '../../sandbox/hubspot/generate.ts';
import { OBJECT_TYPES, type Portal, type PropertyDefinition } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { fromSnapshot, loadSnapshot, saveSnapshot, toSnapshot } from '../../sandbox/hubspot/snapshot.ts';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const TOKEN = 'snapshot-token';

/** A portal as `npm start` leaves it: setup's group and property, tiers written, deals changed. */
function usedPortal(seed = 3): Portal {
  const portal = generatePortal({ seed, companies: 40, contacts: 160, deals: 60, now: NOW });
  for (const type of ['companies', 'contacts'] as const) {
    const schema = portal.schema[type];
    schema.groups.set('engagement_model', {
      name: 'engagement_model',
      label: 'Engagement model',
      displayOrder: 5,
      archived: false,
    });
    const template = [...schema.properties.values()][0];
    if (template === undefined) throw new Error(`no ${type} properties to copy`);
    const property: PropertyDefinition = {
      ...template,
      name: 'engagement_model',
      label: 'Engagement model',
      type: 'enumeration',
      fieldType: 'select',
      groupName: 'engagement_model',
      options: [{ label: 'Tech-touch', value: 'tech_touch', displayOrder: 0, hidden: false }],
      hubspotDefined: false,
      readOnlyValue: false,
      createdAt: NOW - 1000,
      updatedAt: NOW - 500,
    };
    schema.properties.set(property.name, property);
    for (const record of [...portal.objects[type].records.values()].slice(0, 10)) {
      record.properties['engagement_model'] = 'tech_touch';
      record.updatedAt = NOW - 100;
    }
  }
  mutate(portal, { deals: 10, contacts: 10, seed: 9, now: NOW });
  return portal;
}

/** Everything a portal holds, in order, as plain data (Maps as entry lists). */
function contents(portal: Portal) {
  const { objects, schema, ...rest } = portal;
  return {
    ...rest,
    objects: OBJECT_TYPES.map((type) => ({
      type,
      records: [...objects[type].records.entries()],
      order: objects[type].order,
    })),
    schema: OBJECT_TYPES.map((type) => ({
      properties: [...schema[type].properties.entries()],
      groups: [...schema[type].groups.entries()],
    })),
  };
}

describe('toSnapshot / fromSnapshot', () => {
  it('round-trips the records, their order, the schema and the portal details', () => {
    const portal = usedPortal();
    const restored = fromSnapshot(toSnapshot(portal));
    expect(contents(restored)).toEqual(contents(portal));
    // The comparison sees differences: another portal is not equal.
    expect(contents(restored)).not.toEqual(contents(usedPortal(4)));
    expect(restored.portalId).toBe(portal.portalId);
    expect(restored.objects.companies.records.size).toBe(40);
    expect(restored.objects.contacts.records.size).toBe(160);
    expect(restored.objects.deals.records.size).toBe(60);
    expect(restored.schema.companies.properties.get('engagement_model')?.options).toEqual([
      { label: 'Tech-touch', value: 'tech_touch', displayOrder: 0, hidden: false },
    ]);
    expect(restored.schema.contacts.groups.has('engagement_model')).toBe(true);
    // What `npm start` wrote and changed survives.
    const written = [...restored.objects.companies.records.values()].filter(
      (record) => record.properties['engagement_model'] === 'tech_touch',
    );
    expect(written).toHaveLength(10);
    expect(Math.max(...[...restored.objects.deals.records.values()].map((deal) => deal.updatedAt))).toBe(NOW);
  });

  it('restores the list order by numeric id whatever order the records were saved in', () => {
    const portal = usedPortal();
    const parsed = JSON.parse(toSnapshot(portal)) as { objects: { contacts: unknown[] } };
    parsed.objects.contacts.reverse();
    const restored = fromSnapshot(JSON.stringify(parsed));
    expect(restored.objects.contacts.order).toEqual(portal.objects.contacts.order);
    expect(restored.objects.contacts.order).toEqual([...restored.objects.contacts.order].sort((a, b) => a - b));
  });

  it('refuses what is not a snapshot', () => {
    expect(() => fromSnapshot(JSON.stringify({ format: 2 }))).toThrow(/not a sandbox snapshot/);
    const parsed = JSON.parse(toSnapshot(usedPortal())) as { objects: { deals: { id: unknown }[] } };
    const first = parsed.objects.deals[0];
    if (first !== undefined) first.id = 42;
    expect(() => fromSnapshot(JSON.stringify(parsed))).toThrow(/not a sandbox snapshot/);
  });

  describe('a sandbox serving the restored portal', () => {
    const open: RunningSandbox[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((running) => running.close()));
    });

    async function serve(portal: Portal): Promise<string> {
      const running = await createSandbox({ portal, token: TOKEN, limits: false, now: () => NOW }).listen(0);
      open.push(running);
      return running.url;
    }

    async function get(url: string, path: string): Promise<unknown> {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(200);
      // Paging links name the sandbox's own address, which differs between the two.
      return JSON.parse((await response.text()).replaceAll(url, 'http://sandbox')) as unknown;
    }

    it('answers the same list pages as the original', async () => {
      const portal = usedPortal();
      const original = await serve(portal);
      const restored = await serve(fromSnapshot(toSnapshot(portal)));
      const firstPage = '/crm/v3/objects/contacts?limit=50&properties=email,hubspotscore,engagement_model';
      const page = (await get(original, firstPage)) as { results: unknown[]; paging?: { next?: { after?: string } } };
      expect(page.results).toHaveLength(50);
      expect(await get(restored, firstPage)).toEqual(page);

      const after = page.paging?.next?.after;
      expect(after).toBeDefined();
      const secondPage = `/crm/v3/objects/contacts?limit=50&after=${after ?? ''}&properties=email,engagement_model`;
      expect(await get(restored, secondPage)).toEqual(await get(original, secondPage));
      const companies = '/crm/v3/objects/companies?limit=100&properties=name,annualrevenue,engagement_model';
      expect(await get(restored, companies)).toEqual(await get(original, companies));
      expect(await get(restored, '/account-info/v3/details')).toEqual(await get(original, '/account-info/v3/details'));
    });
  });
});

describe('saveSnapshot / loadSnapshot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'righttouch-snapshot-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves a portal and loads it back', async () => {
    const portal = usedPortal();
    const path = join(dir, 'sandbox-portal.json');
    await saveSnapshot(portal, path);
    const loaded = await loadSnapshot(path);
    if (loaded === undefined) throw new Error('the saved snapshot was not found');
    expect(contents(loaded)).toEqual(contents(portal));
    expect(await readFile(path, 'utf8')).toBe(toSnapshot(portal));
  });

  it('writes through a temporary file and leaves none behind', async () => {
    const path = join(dir, 'sandbox-portal.json');
    await saveSnapshot(usedPortal(3), path);
    const newer = usedPortal(4);
    await saveSnapshot(newer, path);
    expect(await readdir(dir)).toEqual(['sandbox-portal.json']);
    const loaded = await loadSnapshot(path);
    expect(loaded?.portalId).toBe(newer.portalId);
  });

  it('keeps the previous snapshot whole when a save fails before the rename', async () => {
    const path = join(dir, 'sandbox-portal.json');
    const saved = usedPortal(3);
    await saveSnapshot(saved, path);
    // A directory where the temporary file goes: the write fails, as a crash mid-write would stop it.
    await mkdir(`${path}.tmp`);
    await expect(saveSnapshot(usedPortal(4), path)).rejects.toThrow();
    expect(await readFile(path, 'utf8')).toBe(toSnapshot(saved));
  });

  it('loads nothing (undefined) when there is no snapshot', async () => {
    await expect(loadSnapshot(join(dir, 'missing.json'))).resolves.toBeUndefined();
    await expect(loadSnapshot(join(dir, 'no-such-folder', 'sandbox-portal.json'))).resolves.toBeUndefined();
  });

  it('names the file when it is not JSON', async () => {
    const path = join(dir, 'garbage.json');
    await writeFile(path, 'this is {not json');
    await expect(loadSnapshot(path)).rejects.toThrow(path);
    await expect(loadSnapshot(path)).rejects.toThrow(/delete it to start afresh/);
  });

  it('names the file when it is JSON but not a snapshot', async () => {
    const path = join(dir, 'other.json');
    await writeFile(path, JSON.stringify({ format: 1, portal: {} }));
    const error: unknown = await loadSnapshot(path).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('not a sandbox snapshot');
  });

  it('passes on read errors other than a missing file', async () => {
    await expect(loadSnapshot(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
