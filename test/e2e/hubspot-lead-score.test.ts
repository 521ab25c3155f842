/**
 * The lead score end to end against the sandbox, whose portals score the way portals do since
 * 2025-08-31: `hubspotscore` frozen, a lead-scoring tool score with a portal-specific name. The
 * default mapping discovers it: setup says which property is read and how to change it, the
 * choice is kept, and a recalculated score (which no webhook can carry) reaches the mirror with
 * the next scheduled incremental run.
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { runSetup, runSync, type CrmIo } from '../../src/cli/sync-commands.ts';
import { generatePortal, mutate, type GenerateOptions } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from './helpers.ts';

const TOKEN = 'pat-lead-score';
const FAST = { perWindow: 1100, windowMs: 10_000, searchPerSecond: 50 };
const FAST_CONNECTOR = { requestsPerWindow: 1000, windowMs: 10_000, searchPerSecond: 45 };

const open: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((running) => running.close()));
});

interface World {
  readonly portal: Portal;
  readonly data: string;
  readonly io: CrmIo;
  /** What the commands printed so far. */
  readonly printed: () => string;
}

async function world(options: Omit<GenerateOptions, 'seed'> = {}): Promise<World> {
  const portal = generatePortal({ seed: 41, companies: 60, contacts: 240, deals: 90, ...options });
  const running = await createSandbox({ portal, token: TOKEN, limits: FAST }).listen(0);
  open.push(running);
  const connector = createHubSpotConnector({ accessToken: TOKEN, baseUrl: running.url, limits: FAST_CONNECTOR });
  const chunks: string[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    portal,
    data: join(tempDir(), 'righttouch.db'),
    io: { stdout, env: {}, connectorFor: () => connector },
    printed: () => chunks.join(''),
  };
}

/** The lead score of every mirrored contact, and the installation's stored choice. */
async function mirrored(w: World): Promise<{ scores: Map<string, unknown>; chosen: string | undefined }> {
  const store = new SqliteStore(w.data);
  try {
    const [installation] = await store.listInstallations();
    const scores = new Map<string, unknown>();
    for await (const page of store.records(installation?.id ?? '')) {
      for (const record of page) if (record.type === 'contact') scores.set(record.id, record.fields['leadScore']);
    }
    return { scores, chosen: installation?.settings.leadScoreProperty };
  } finally {
    await store.close();
  }
}

function crmScores(portal: Portal, property: string): Map<string, unknown> {
  const scores = new Map<string, unknown>();
  for (const contact of portal.objects.contacts.records.values()) {
    const value = contact.properties[property];
    scores.set(contact.id, value === undefined || value === '' ? null : Number(value));
  }
  return scores;
}

describe('the lead score against the sandbox', () => {
  test('setup finds the score properties, names the one read and how to change it; the choice is kept', async () => {
    const w = await world();
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    const said = w.printed();
    expect(said).toContain(
      'Lead score: read from contacts.inbound_lead_score (Inbound lead score, combined score); picked now',
    );
    expect(said).toContain('hubspotscore (HubSpot Score, legacy)');
    expect(said).toContain('inbound_lead_score_fit (Inbound lead score: fit, fit)');
    expect(said).toContain('righttouch setup --crm hubspot --lead-score <property>');
    expect(said).not.toContain('Warning');

    await runSync({ crm: 'hubspot', data: w.data }, w.io);
    const first = await mirrored(w);
    expect(first.chosen).toBe('inbound_lead_score');
    expect(first.scores).toEqual(crmScores(w.portal, 'inbound_lead_score'));
    // The frozen legacy score differs: the tiers are not decided on it.
    expect(first.scores).not.toEqual(crmScores(w.portal, 'hubspotscore'));

    // The portal gains a score the rule would prefer: nothing is re-picked by itself.
    const fit = w.portal.schema.contacts.properties.get('inbound_lead_score_fit');
    if (fit === undefined) throw new Error('no fit score');
    w.portal.schema.contacts.properties.set('account_total_score', {
      ...fit,
      name: 'account_total_score',
      label: 'Account total score',
    });
    await runSync({ crm: 'hubspot', data: w.data, full: true }, w.io);
    expect((await mirrored(w)).chosen).toBe('inbound_lead_score');

    // The admin chooses another: stored, and the next run reads it.
    await runSetup({ crm: 'hubspot', data: w.data, leadScore: 'inbound_lead_score_fit' }, w.io);
    expect(w.printed()).toContain('Lead score: read from contacts.inbound_lead_score_fit');
    expect(w.printed()).toContain('the stored choice');
    await runSync({ crm: 'hubspot', data: w.data, full: true }, w.io);
    const chosen = await mirrored(w);
    expect(chosen.chosen).toBe('inbound_lead_score_fit');
    expect(chosen.scores).toEqual(crmScores(w.portal, 'inbound_lead_score_fit'));
  });

  test('a portal without the lead-scoring tool falls back to the frozen hubspotscore, with a warning', async () => {
    const w = await world({ leadScoring: 'none' });
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    expect(w.printed()).toContain('Lead score: read from contacts.hubspotscore (HubSpot Score, legacy score)');
    expect(w.printed()).toContain('Warning: hubspotscore stopped updating on 2025-08-31');
    // Every sync repeats the warning.
    const report = await runSync({ crm: 'hubspot', data: w.data }, w.io);
    expect(report.leadScore).toEqual({
      property: 'hubspotscore',
      source: 'stored',
      warnings: ['hubspotscore stopped updating on 2025-08-31: lead scores read from it are frozen'],
    });
  });

  test('a first sync without setup picks the score itself, says so, and keeps it', async () => {
    const w = await world();
    const first = await runSync({ crm: 'hubspot', data: w.data }, w.io);
    expect(first.leadScore).toEqual({ property: 'inbound_lead_score', source: 'picked', warnings: [] });
    expect(w.printed()).toContain('Lead score: read from contacts.inbound_lead_score (picked now, kept from now on');
    const second = await runSync({ crm: 'hubspot', data: w.data }, w.io);
    expect(second.leadScore).toMatchObject({ property: 'inbound_lead_score', source: 'stored' });
    expect((await mirrored(w)).scores).toEqual(crmScores(w.portal, 'inbound_lead_score'));
  });

  test('a recalculated score, which no webhook carries, reaches the mirror with the next incremental run', async () => {
    const w = await world();
    await runSetup({ crm: 'hubspot', data: w.data }, w.io);
    await runSync({ crm: 'hubspot', data: w.data }, w.io);

    const changedAt = Date.now();
    const changed = mutate(w.portal, { contacts: 25, seed: 8, now: changedAt });
    expect(changed.contacts).toHaveLength(25);
    const stale = await mirrored(w);
    const fresh = crmScores(w.portal, 'inbound_lead_score');
    for (const id of changed.contacts) expect(stale.scores.get(id), id).not.toBe(fresh.get(id));

    // The scheduled run: an incremental search on lastmodifieddate finds every recalculated contact.
    const report = await runSync({ crm: 'hubspot', data: w.data }, w.io);
    expect(report.kind).toBe('incremental');
    // (It re-reads more than those 25: our own writes of the first run fall in its 5-minute overlap.)
    expect(report.pulled.contacts).toBeGreaterThanOrEqual(25);
    const after = await mirrored(w);
    expect(after.scores).toEqual(fresh);
  });
});
