/** Tier-change notifications: the message a CS lead reads in Slack, and when one is sent. */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/core/index.ts';
import { notificationText, notify } from '../../src/server/notify.ts';
import type { Installation } from '../../src/store/store.ts';
import type { SyncReport } from '../../src/sync/engine.ts';

const installation: Installation = {
  id: 'i1',
  crm: 'salesforce',
  externalId: '00D1',
  name: 'Acme',
  createdAt: 0,
  status: 'active',
  statusDetail: null,
  settings: { notifyUrl: 'https://hooks.slack.test/T/B/x' },
};

function report(moved: number): SyncReport {
  const moves = Array.from({ length: Math.min(moved, 12) }, (_, i) => ({
    type: 'company' as const,
    id: `001${i}`,
    from: 'mid_touch',
    to: 'high_touch',
    reasons: ['Deal size 120,000 ≥ 100,000 (Enterprise deal size) → High-touch'],
  }));
  return {
    runId: 'r',
    kind: 'incremental',
    dryRun: false,
    classifiedAt: Date.parse('2026-11-23T12:00:00Z'),
    pulled: { companies: 1, contacts: 0, deals: 1 },
    deleted: 0,
    decided: 1,
    changed: moved,
    moves,
    moved,
    tierLabels: { mid_touch: 'Mid-touch', high_touch: 'High-touch' },
    written: moved,
    rejected: [],
    writeCalls: 1,
    apiCalls: 3,
    rateLimited: 0,
    summary: {
      capacity: [
        {
          tier: 'high_touch',
          label: 'High-touch',
          seats: 100,
          demand: 97,
          pinned: 2,
          seated: 97,
          movedDown: 0,
          exceededByPinned: false,
        },
      ],
    } as unknown as RunSummary,
  };
}

describe('notifications', () => {
  it('names the record, the move, the reason and the seats left', () => {
    expect(notificationText(installation, report(1))).toBe(
      'Account 0010 moved Mid-touch → High-touch: Deal size 120,000 ≥ 100,000 (Enterprise deal size) → High-touch; 3 High-touch seats left',
    );
    const many = notificationText(installation, report(15)) ?? '';
    expect(many.split('\n')).toHaveLength(11);
    expect(many).toMatch(/… and 5 more$/);
    expect(notificationText(installation, report(0))).toBeUndefined();
  });

  it('posts to the installation’s webhook only when something moved, and says when the hook refuses', async () => {
    const posted: { url: string; body: string }[] = [];
    const fetchFn = ((url: string, init?: RequestInit) => {
      posted.push({ url, body: typeof init?.body === 'string' ? init.body : '' });
      return Promise.resolve(new Response('ok', { status: url.endsWith('/x') ? 200 : 500 }));
    }) as typeof fetch;
    expect(await notify(installation, report(1), fetchFn)).toBe(true);
    expect((JSON.parse(posted[0]?.body ?? '{}') as { text: string }).text).toContain('Account 0010 moved');
    expect(await notify(installation, report(0), fetchFn)).toBe(false);
    expect(await notify({ ...installation, settings: {} }, report(1), fetchFn)).toBe(false);
    expect(posted).toHaveLength(1);
    await expect(
      notify({ ...installation, settings: { notifyUrl: 'https://hooks.slack.test/broken' } }, report(1), fetchFn),
    ).rejects.toThrow('the notification webhook answered 500');
  });
});
