/**
 * Change Data Capture recovery against the fake org, through the real connector and jsforce's
 * CometD client: a replay id past the 72-hour retention is refused on subscribe; the stream
 * resubscribes from new events, queues a sync for the gap, counts it, and `/healthz` shows the
 * failure until a subscribe succeeds. Subscribe failures reach the metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import { RETENTION_MS } from '../../sandbox/salesforce/change-events.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox, type RunningSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { REPLAY_CURSOR, SalesforceStreams } from '../../connectors/salesforce/streams.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { startServer, type Harness } from './harness.ts';

const NOW = Date.UTC(2026, 10, 20, 10, 0, 0);

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Salesforce change streams against the fake org', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0).reverse()) await done();
  });

  async function start(now: () => number) {
    const org = generateOrg({ seed: 4, accounts: 5, now: NOW });
    org.changeEvents.select('Account', 'Contact', 'Lead', 'Opportunity');
    const sandbox = createSalesforceSandbox({ org, now, cometdHoldMs: 200 });
    const running: RunningSalesforceSandbox = await sandbox.listen();
    cleanup.push(() => running.close());
    const store = new SqliteStore(':memory:');
    await store.migrate();
    cleanup.push(() => store.close());
    const installation = await store.upsertInstallation('salesforce', org.organizationId);
    const metrics = createMetrics();
    // Every state the streams publish, as /healthz would have shown it at that moment.
    const states: ReturnType<SalesforceStreams['health']>[] = [];
    const watched = {
      recordStreamFailure: metrics.recordStreamFailure.bind(metrics),
      recordReplayReset: metrics.recordReplayReset.bind(metrics),
      setStreams: (subscribed: number, failing: number) => {
        metrics.setStreams(subscribed, failing);
        states.push(streams.health());
      },
    };
    const gaps: string[] = [];
    const changes: string[] = [];
    const warnings: string[] = [];
    const streams = new SalesforceStreams({
      store,
      connectorFor: () =>
        Promise.resolve(
          createSalesforceConnector({ instanceUrl: running.url, accessToken: sandbox.tokens.issue().accessToken }),
        ),
      onChange: (id) => changes.push(id),
      onGap: (id) => gaps.push(id),
      metrics: watched,
      logger: { info: () => undefined, warn: (m) => warnings.push(m) },
      retryMs: 50,
      now,
    });
    cleanup.push(() => {
      streams.stop();
      return Promise.resolve();
    });
    return { org, sandbox, running, store, installation, metrics, states, gaps, changes, warnings, streams };
  }

  it('a replay id past retention: resubscribes from new events, syncs the gap, counts it, shows it until subscribed', async () => {
    let now = NOW;
    const t = await start(() => now);
    // RightTouch's channel (setup creates it; see the first-sync test): the only one that replays.
    t.org.changeEvents.members.clear();
    t.org.changeEvents.channels.add('RightTouch__chn');
    for (const object of ['Account', 'Contact', 'Lead', 'Opportunity']) {
      t.org.changeEvents.addMember('RightTouch__chn', `${object}ChangeEvent`);
    }
    // A stream that handled one change, then the server was down for more than 72 hours.
    const account = [...t.org.store('Account').values()][0];
    if (account === undefined) throw new Error('no account');
    t.org.changeEvents.publish([account], 'UPDATE', { userId: '005000000000077AAA' }, NOW);
    const stale = t.org.changeEvents.latestReplayId();
    await t.store.setCursor(t.installation.id, REPLAY_CURSOR, String(stale));
    now += RETENTION_MS + 3_600_000;

    await t.streams.refresh();
    await until(() => t.streams.health()[0]?.subscribed === true);
    // Failing from the refused subscribe until the one from -1 succeeded; then healthy.
    const failing = t.states.findIndex((state) => state[0]?.failure?.kind === 'invalid-replay');
    const healthy = t.states.findIndex((state) => state[0]?.subscribed === true);
    expect(failing).toBeGreaterThanOrEqual(0);
    expect(healthy).toBeGreaterThan(failing);
    expect(t.states.slice(failing, healthy).every((state) => state[0]?.failure !== undefined)).toBe(true);
    expect(t.states[failing]?.[0]?.failure?.error).toBe(
      `400::The replayId {${String(stale)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
    );
    expect(t.streams.health()[0]?.failure).toBeUndefined();
    expect(t.gaps).toEqual([t.installation.id]);
    expect(await t.store.getCursor(t.installation.id, REPLAY_CURSOR)).toBe('-1');
    expect(t.warnings.join('\n')).toMatch(/past Salesforce's 72-hour retention/);
    const text = await t.metrics.registry.metrics();
    expect(text).toContain('righttouch_salesforce_cdc_replay_resets_total 1');
    expect(text).toContain('righttouch_salesforce_cdc_failures_total{kind="invalid-replay"} 1');
    expect(text).toContain('righttouch_salesforce_cdc_streams{state="subscribed"} 1');

    // The new stream delivers: someone else's change queues a sync and moves the cursor on.
    t.org.changeEvents.publish([account], 'UPDATE', { userId: '005000000000077AAA' }, now);
    await until(() => t.changes.length === 1);
    await until(async () => (await t.store.getCursor(t.installation.id, REPLAY_CURSOR)) !== '-1');
    expect(Number(await t.store.getCursor(t.installation.id, REPLAY_CURSOR))).toBe(t.org.changeEvents.latestReplayId());
  });

  it('a stream that goes unknown to Salesforce and resubscribes with an expired replay id recovers (jsforce #1709)', async () => {
    let now = NOW;
    const t = await start(() => now);
    t.org.changeEvents.members.clear();
    t.org.changeEvents.channels.add('RightTouch__chn');
    t.org.changeEvents.addMember('RightTouch__chn', 'AccountChangeEvent');
    await t.streams.refresh();
    await until(() => t.streams.health()[0]?.subscribed === true);
    const account = [...t.org.store('Account').values()][0];
    if (account === undefined) throw new Error('no account');
    t.org.changeEvents.publish([account], 'UPDATE', { userId: '005000000000077AAA' }, now);
    await until(() => t.changes.length === 1);
    // Quiet for more than 72 hours, then Salesforce forgets the client: faye handshakes again and
    // resubscribes from the last replay id it saw, which is no longer retained.
    now += RETENTION_MS + 60_000;
    t.sandbox.dropStreamingClients();
    await until(() => t.gaps.length === 1);
    await until(() => t.streams.health()[0]?.subscribed === true);
    expect(await t.metrics.registry.metrics()).toContain('righttouch_salesforce_cdc_replay_resets_total 1');
    t.org.changeEvents.publish([account], 'UPDATE', { userId: '005000000000077AAA' }, now);
    await until(() => t.changes.length === 2);
  });

  it('a refused subscribe (no object selected for CDC) is counted and retried, and stays visible', async () => {
    const t = await start(() => NOW);
    t.org.changeEvents.members.clear();
    await t.streams.refresh();
    await until(() => t.streams.health()[0]?.failure?.kind === 'subscribe');
    expect(t.streams.health()[0]?.failure?.error).toMatch(/no object is selected for Change Data Capture/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/righttouch_salesforce_cdc_failures_total\{kind="subscribe"\} [2-9]/);
    expect(text).toContain('righttouch_salesforce_cdc_streams{state="failing"} 1');
    // Once the admin selects the objects, the retry subscribes.
    t.org.changeEvents.select('Account');
    await until(() => t.streams.health()[0]?.subscribed === true);
  });

  it('without View Setup (selection unknown): listens on the channels Salesforce accepts, skips the refused ones', async () => {
    const t = await start(() => NOW);
    t.org.changeEvents.members.clear();
    t.org.changeEvents.select('Account', 'Contact');
    t.sandbox.viewSetup = false;
    await t.streams.refresh();
    await until(() => t.streams.health()[0]?.subscribed === true);
    expect(t.warnings).toEqual([]);
    const account = [...t.org.store('Account').values()][0];
    if (account === undefined) throw new Error('no account');
    t.org.changeEvents.publish([account], 'UPDATE', { userId: '005000000000077AAA' }, NOW);
    await until(() => t.changes.length === 1);
    expect(t.org.changeEvents.deliveredByChannel['/data/AccountChangeEvent']).toBe(1);
  });

  it("the org's daily event allocation used up: counted, shown until deliveries resume", async () => {
    let now = NOW;
    const t = await start(() => now);
    await t.streams.refresh();
    await until(() => t.streams.health()[0]?.subscribed === true);
    const account = [...t.org.store('Account').values()][0];
    if (account === undefined) throw new Error('no account');
    t.org.changeEvents.dailyDeliveryLimit = 0;
    t.org.changeEvents.publish([account], 'UPDATE', { userId: '005000000000077AAA' }, now);
    await until(() => t.streams.health()[0]?.failure?.kind === 'connect');
    expect(t.streams.health()[0]?.failure?.error).toBe('403::Organization total events daily limit exceeded');
    expect(await t.metrics.registry.metrics()).toContain('righttouch_salesforce_cdc_failures_total{kind="connect"} 1');
    expect(t.changes).toEqual([]);
    // The next day the allocation is renewed: the waiting event arrives and the failure clears.
    t.org.changeEvents.dailyDeliveryLimit = 10_000;
    now += 86_400_000;
    await until(() => t.changes.length === 1);
    await until(() => t.streams.health()[0]?.failure === undefined);
  });
});

describe('/healthz with change streams', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
  });

  it('lists failing streams (still 200: syncs go on) and nothing once subscribed', async () => {
    let streams = [
      {
        installationId: 'i1',
        externalId: '00DA',
        subscribed: false,
        failure: { kind: 'invalid-replay' as const, error: '400::The replayId {9} you provided was invalid.', at: 'x' },
      },
    ];
    harness = await startServer({}, { changeStreams: () => streams });
    const failing = await fetch(`${harness.url}/healthz`);
    expect(failing.status).toBe(200);
    expect(await failing.json()).toMatchObject({
      ok: true,
      changeStreams: {
        subscribed: 0,
        failing: [
          {
            installation: 'i1',
            org: '00DA',
            kind: 'invalid-replay',
            error: expect.stringContaining('replayId') as unknown,
          },
        ],
      },
    });
    streams = [{ installationId: 'i1', externalId: '00DA', subscribed: true } as (typeof streams)[number]];
    expect(await (await fetch(`${harness.url}/healthz`)).json()).toMatchObject({
      changeStreams: { subscribed: 1, failing: [] },
    });
  });
});
