/** The fake org's Change Data Capture: CometD through jsforce, replay retention, channels, filters, allocation. */
import { afterEach, describe, expect, it } from 'vitest';
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import { RETENTION_MS } from '../../sandbox/salesforce/change-events.ts';
import { NOW, startOrg, type TestOrg } from './helpers.ts';

interface Received {
  readonly channel: string;
  readonly messages: { payload: { ChangeEventHeader: Record<string, unknown> }; event: { replayId: number } }[];
  readonly failures: string[];
  subscribed: boolean;
  cancel(): void;
}

function listen(t: TestOrg, channel: string, replayFrom: number): Received {
  const failures: string[] = [];
  const watch = {
    incoming: (message: { channel: string; successful?: boolean; error?: string }, callback: (m: unknown) => void) => {
      if (message.channel === '/meta/subscribe' && message.successful === false) failures.push(message.error ?? '');
      if (message.channel === '/meta/subscribe' && message.successful === true) received.subscribed = true;
      callback(message);
    },
  };
  const client = t.conn.streaming.createClient([new StreamingExtension.Replay(channel, replayFrom), watch]);
  const messages: Received['messages'] = [];
  const subscription = client.subscribe(channel, (m: unknown) => messages.push(m as Received['messages'][number]));
  const received: Received = {
    channel,
    messages,
    failures,
    subscribed: false,
    cancel: () => {
      subscription.cancel();
      (client as unknown as { disconnect(): void }).disconnect();
    },
  };
  return received;
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function accountIds(t: TestOrg, n: number): string[] {
  return [...t.org.store('Account').values()]
    .filter((r) => r.deletedAt === null)
    .slice(0, n)
    .map((r) => r.values['Id'] as string);
}

describe('fake Salesforce: Change Data Capture over CometD', () => {
  let t: TestOrg;
  const streams: Received[] = [];
  afterEach(async () => {
    for (const s of streams.splice(0)) s.cancel();
    await t.close();
  });

  it('delivers changes of selected entities, replays retained ones, and refuses a replay id past 72 hours', async () => {
    let now = NOW;
    t = await startOrg({ now: () => now, cometdHoldMs: 200 });
    t.org.changeEvents.select('Account');
    const [a, b] = accountIds(t, 2);
    const live = listen(t, '/data/ChangeEvents', -1);
    streams.push(live);
    await until(() => live.subscribed);
    await t.conn.sobject('Account').update([{ Id: a ?? '', Name: 'Changed' }]);
    await until(() => live.messages.length === 1);
    const first = live.messages[0];
    expect(first?.payload.ChangeEventHeader).toMatchObject({
      entityName: 'Account',
      recordIds: [a],
      changeType: 'UPDATE',
      changeOrigin: 'com/salesforce/api/rest/66.0',
      commitUser: t.org.integrationUserId,
    });
    expect(t.org.changeEvents.delivered).toBe(1);
    const limits = (await t.conn.limits()) as unknown as Record<string, { Max: number; Remaining: number }>;
    expect(limits['DailyDeliveredPlatformEvents']).toEqual({ Max: 10_000, Remaining: 9_999 });

    // A later client resumes after the stored replay id: it gets only what followed.
    await t.conn.sobject('Account').update([{ Id: b ?? '', Name: 'Changed too' }]);
    await until(() => live.messages.length === 2);
    const resumed = listen(t, '/data/ChangeEvents', first?.event.replayId ?? 0);
    streams.push(resumed);
    await until(() => resumed.messages.length === 1);
    expect(resumed.messages[0]?.payload.ChangeEventHeader['recordIds']).toEqual([b]);

    // 72 hours on, the stored replay id is no longer retained: the subscribe is refused.
    now += RETENTION_MS + 60_000;
    const stale = listen(t, '/data/ChangeEvents', first?.event.replayId ?? 0);
    streams.push(stale);
    await until(() => stale.failures.length === 1);
    expect(stale.failures[0]).toBe(
      `400::The replayId {${String(first?.event.replayId)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
    );
  });

  it('filters a custom channel on its members, counts only delivered events, and stops at the daily allocation', async () => {
    t = await startOrg({ cometdHoldMs: 200 });
    const bus = t.org.changeEvents;
    bus.select('Contact'); // selected on the standard channel only: not on ours
    bus.channels.add('Mine__chn');
    bus.addMember('Mine__chn', 'AccountChangeEvent', `ChangeEventHeader.commitUser != '${t.org.integrationUserId}'`);
    const stream = listen(t, '/data/Mine__chn', -1);
    streams.push(stream);
    await until(() => stream.subscribed);
    const [a] = accountIds(t, 1);
    await t.conn.sobject('Account').update([{ Id: a ?? '', Name: 'Ours' }]);
    const contact = [...t.org.store('Contact').values()][0];
    await t.conn.sobject('Contact').update([{ Id: contact?.values['Id'] as string, LastName: 'Elsewhere' }]);
    const record = t.org.get('Account', a ?? '');
    if (record === undefined) throw new Error('no account');
    bus.publish([record], 'UPDATE', { userId: '005000000000099AAA' }, NOW);
    await until(() => stream.messages.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.messages.map((m) => m.payload.ChangeEventHeader['commitUser'])).toEqual(['005000000000099AAA']);
    expect(bus.delivered).toBe(1);

    expect(() => bus.addMember('Mine__chn', 'LeadChangeEvent', "ChangeEventHeader.changedFields = 'Name'")).toThrow(
      /array field/,
    );
    bus.dailyDeliveryLimit = 1;
    bus.publish([record], 'UPDATE', { userId: '005000000000099AAA' }, NOW);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stream.messages).toHaveLength(1);
    expect(bus.delivered).toBe(1);
  });

  it('delivers nothing of an object to a user without View All Data or View All on it', async () => {
    t = await startOrg({ cometdHoldMs: 200 });
    const bus = t.org.changeEvents;
    bus.select('Account', 'Contact');
    const profile = [...t.org.store('PermissionSet').values()].find((p) => p.values['IsOwnedByProfile'] === true);
    if (profile === undefined) throw new Error('no profile');
    profile.values['PermissionsViewAllData'] = false;
    const viewAll = [...t.org.store('ObjectPermissions').values()].find((r) => r.values['SobjectType'] === 'Contact');
    if (viewAll === undefined) throw new Error('no object permissions');
    viewAll.values['PermissionsViewAllRecords'] = true;
    const stream = listen(t, '/data/ChangeEvents', -1);
    streams.push(stream);
    await until(() => stream.subscribed);
    const account = [...t.org.store('Account').values()][0];
    const contact = [...t.org.store('Contact').values()][0];
    if (account === undefined || contact === undefined) throw new Error('no records');
    bus.publish([account], 'UPDATE', { userId: '005000000000099AAA' }, NOW);
    bus.publish([contact], 'UPDATE', { userId: '005000000000099AAA' }, NOW);
    await until(() => stream.messages.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.messages.map((m) => m.payload.ChangeEventHeader['entityName'])).toEqual(['Contact']);
    expect(bus.delivered).toBe(1);
  });
});
