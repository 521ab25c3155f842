/** Salesforce Change Data Capture: which events count, and the per-installation streams. */
import { afterEach, describe, expect, it } from 'vitest';
import { changeFromMessage } from '../../connectors/salesforce/index.ts';
import { REPLAY_CURSOR, SalesforceStreams } from '../../connectors/salesforce/streams.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { ChangeStreamOptions, Connector } from '../../src/sync/connector.ts';

function message(header: Record<string, unknown>, replayId = 11): unknown {
  return { event: { replayId }, payload: { ChangeEventHeader: header } };
}

describe('changeFromMessage', () => {
  it('keeps changes to watched objects by others, skips our own writes and the rest', () => {
    const theirs = message({
      entityName: 'Opportunity',
      recordIds: ['006A'],
      changeType: 'UPDATE',
      changeOrigin: 'com/salesforce/api/rest/66.0;client=SomeoneElse',
    });
    expect(changeFromMessage(theirs)).toEqual({
      entityName: 'Opportunity',
      recordIds: ['006A'],
      changeType: 'UPDATE',
      replayId: 11,
      gap: false,
    });
    const ours = message({
      entityName: 'Account',
      recordIds: ['001A'],
      changeType: 'UPDATE',
      changeOrigin: 'com/salesforce/api/rest/66.0;client=RightTouch',
    });
    expect(changeFromMessage(ours)).toBeUndefined();
    expect(
      changeFromMessage(message({ entityName: 'Case', recordIds: ['500A'], changeType: 'UPDATE' })),
    ).toBeUndefined();
    expect(changeFromMessage(message({ entityName: 'Lead', recordIds: [], changeType: 'GAP_OVERFLOW' }))?.gap).toBe(
      true,
    );
    expect(changeFromMessage({ payload: 'garbage' })).toBeUndefined();
    expect(changeFromMessage(null)).toBeUndefined();
  });
});

describe('SalesforceStreams', () => {
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('streams each active Salesforce installation from its saved replay id, queues changes, and rebuilds after an auth failure', async () => {
    const store = new SqliteStore(':memory:');
    stores.push(store);
    await store.migrate();
    const org = await store.upsertInstallation('salesforce', '00DA');
    const revoked = await store.upsertInstallation('salesforce', '00DB');
    await store.upsertInstallation('hubspot', '123');
    await store.setInstallationStatus(revoked.id, 'needs_reconnect', 'revoked');
    await store.setCursor(org.id, REPLAY_CURSOR, '41');
    const subscriptions: ChangeStreamOptions[] = [];
    let cancelled = 0;
    let identified = 0;
    const connector = {
      subscribeChanges: (options: ChangeStreamOptions) => {
        subscriptions.push(options);
        return {
          cancel: () => {
            cancelled++;
          },
        };
      },
      identify: () => {
        identified++;
        return Promise.resolve({ externalId: '00DA', name: null });
      },
    } as unknown as Connector;
    const changed: string[] = [];
    const streams = new SalesforceStreams({
      store,
      connectorFor: () => Promise.resolve(connector),
      onChange: (id) => {
        changed.push(id);
      },
      retryMs: 1,
    });
    await streams.refresh();
    expect(streams.streaming()).toEqual([org.id]);
    expect(subscriptions.map((s) => s.replayFrom)).toEqual([41]);

    subscriptions[0]?.onChange({ replayId: 57, recordIds: ['006A'] });
    expect(changed).toEqual([org.id]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.getCursor(org.id, REPLAY_CURSOR)).toBe('57');

    subscriptions[0]?.onAuthFailure();
    expect(cancelled).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(identified).toBe(1);
    expect(subscriptions.map((s) => s.replayFrom)).toEqual([41, 57]);
    expect(streams.streaming()).toEqual([org.id]);

    await store.setInstallationStatus(org.id, 'needs_reconnect', 'revoked');
    await streams.refresh();
    expect(streams.streaming()).toEqual([]);
    expect(cancelled).toBe(2);
    streams.stop();
  });

  it('an invalid replay id: drops the stream, forgets the id, reports the gap, resubscribes from -1; healthy once subscribed', async () => {
    const store = new SqliteStore(':memory:');
    stores.push(store);
    await store.migrate();
    const org = await store.upsertInstallation('salesforce', '00DA');
    await store.setCursor(org.id, REPLAY_CURSOR, '41');
    const subscriptions: ChangeStreamOptions[] = [];
    let cancelled = 0;
    const connector = {
      subscribeChanges: (options: ChangeStreamOptions) => {
        subscriptions.push(options);
        return {
          cancel: () => {
            cancelled++;
          },
        };
      },
    } as unknown as Connector;
    const counted: string[] = [];
    const gaps: string[] = [];
    const streams = new SalesforceStreams({
      store,
      connectorFor: () => Promise.resolve(connector),
      onChange: () => undefined,
      onGap: (id) => gaps.push(id),
      metrics: {
        recordStreamFailure: (kind) => counted.push(kind),
        recordReplayReset: () => counted.push('reset'),
        setStreams: () => undefined,
      },
    });
    await streams.refresh();
    const error = '400::The replayId {41} you provided was invalid.';
    subscriptions[0]?.onFailure?.({ kind: 'invalid-replay', error });
    expect(cancelled).toBe(1);
    expect(streams.health()).toEqual([
      expect.objectContaining({ subscribed: false, failure: expect.objectContaining({ error }) as unknown }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counted).toEqual(['invalid-replay', 'reset']);
    expect(gaps).toEqual([org.id]);
    expect(await store.getCursor(org.id, REPLAY_CURSOR)).toBe('-1');
    expect(subscriptions.map((s) => s.replayFrom)).toEqual([41, -1]);
    // Failing until the new subscribe is acknowledged; late news from the old stream is ignored.
    subscriptions[1]?.onSubscribed?.({ channels: ['/data/RightTouch__chn'], resumed: true });
    expect(streams.health()).toEqual([{ installationId: org.id, externalId: '00DA', subscribed: true }]);
    subscriptions[0]?.onFailure?.({ kind: 'subscribe', error: 'late' });
    expect(counted).toEqual(['invalid-replay', 'reset']);
    expect(streams.health()).toEqual([{ installationId: org.id, externalId: '00DA', subscribed: true }]);
    expect(gaps).toEqual([org.id]);
    streams.stop();
  });
});
