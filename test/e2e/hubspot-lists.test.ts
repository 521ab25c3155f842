/**
 * The lists per tier end to end, as `npm start` runs them (src/cli/start-command.ts with `--once`):
 * the sandbox portal gets an active companies and contacts list per tier during setup, and after
 * the first sync each holds exactly the records the sync put in its tier. A second start, on the
 * saved portal and store, finds the same lists by id and changes nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { membersOf } from '../../sandbox/hubspot/lists.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { fromSnapshot } from '../../sandbox/hubspot/snapshot.ts';
import { runStart } from '../../src/cli/start-command.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from './helpers.ts';

async function start(data: string): Promise<string> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  await runStart({ size: '40', data, once: true, mutateEvery: '0' }, { stdout });
  return Buffer.concat(chunks).toString('utf8');
}

function savedPortal(data: string): Portal {
  return fromSnapshot(readFileSync(join(data, '..', 'sandbox-portal.json'), 'utf8'));
}

describe('npm start: lists per tier in the sandbox portal', () => {
  test('setup creates them, the first sync fills them, a restart finds them by id', async () => {
    const data = join(tempDir(), 'righttouch.db');
    const out = await start(data);
    expect(out).toContain('created list "Engagement model: High-touch companies"');
    const portal = savedPortal(data);
    const lists = [...portal.lists.lists.values()];
    expect(lists).toHaveLength(8);
    const tierOf = (type: 'companies' | 'contacts', id: string): string =>
      portal.objects[type].records.get(id)?.properties['engagement_model'] ?? '';
    let members = 0;
    for (const list of lists) {
      const type = list.objectTypeId === '0-2' ? 'companies' : 'contacts';
      const ids = membersOf(portal, list);
      const tier = list.filterBranch?.filterBranches[0]?.filters[0]?.operation.values?.[0] ?? '';
      const expected = [...portal.objects[type].records.keys()].filter((id) => tierOf(type, id) === tier);
      expect(ids.sort(), list.name).toEqual(expected.sort());
      members += ids.length;
    }
    // Every company and contact is in exactly one list.
    expect(members).toBe(portal.objects.companies.records.size + portal.objects.contacts.records.size);

    const store = new SqliteStore(data);
    try {
      const [installation] = await store.listInstallations();
      const kept = await store.crmLists(installation?.id ?? '');
      expect(kept.map((list) => list.id).sort()).toEqual(lists.map((list) => list.listId).sort());
    } finally {
      await store.close();
    }

    const again = await start(data);
    expect(again).toContain('Properties already set up: nothing to change.');
    expect(again).not.toContain('created list');
    expect([...savedPortal(data).lists.lists.keys()]).toEqual(lists.map((list) => list.listId));
  }, 120_000);
});
