/** The Salesforce token owner on its own: the lease, a dead holder, saving before handing out. */
import { afterEach, describe, expect, it } from 'vitest';
import { OAuthGrantError } from '../../connectors/oauth-token.ts';
import {
  refreshLeaseName,
  SalesforceTokenOwner,
  type SalesforceTokenSet,
} from '../../connectors/salesforce/token-owner.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const stores: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function setUp(exchange: (refreshToken: string) => Promise<{ accessToken: string; refreshToken?: string }>) {
  const store = new SqliteStore(':memory:');
  stores.push(store);
  await store.migrate();
  let stored: SalesforceTokenSet = { accessToken: 'at-1', refreshToken: 'rt-1', instanceUrl: 'https://org.example' };
  const events: string[] = [];
  const owner = new SalesforceTokenOwner({
    store,
    holder: 'here',
    leaseTtlMs: 400,
    pollMs: 20,
    load: () => Promise.resolve(stored),
    save: (_id, tokens) => {
      events.push(`save ${tokens.accessToken} ${tokens.refreshToken ?? '-'}`);
      stored = tokens;
      return Promise.resolve();
    },
    exchange: async (refreshToken) => {
      events.push(`exchange ${refreshToken}`);
      const fresh = await exchange(refreshToken);
      return { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken, instanceUrl: undefined };
    },
  });
  return { store, owner, events, stored: () => stored };
}

describe('SalesforceTokenOwner', () => {
  it('saves the rotated tokens before handing the access token out, and keeps the instance URL', async () => {
    const { owner, events, stored } = await setUp(() => Promise.resolve({ accessToken: 'at-2', refreshToken: 'rt-2' }));
    const tokens = await owner.replace('inst', 'at-1');
    events.push(`got ${tokens.accessToken}`);
    expect(events).toEqual(['exchange rt-1', 'save at-2 rt-2', 'got at-2']);
    expect(stored()).toEqual({ accessToken: 'at-2', refreshToken: 'rt-2', instanceUrl: 'https://org.example' });
    // A connection still holding the old token gets the stored one: no second exchange.
    expect((await owner.replace('inst', 'at-1')).accessToken).toBe('at-2');
    expect(owner.counts).toEqual({ renewals: 2, exchanges: 1 });
  });

  it('without rotation keeps the refresh token it has', async () => {
    const { owner, stored } = await setUp(() => Promise.resolve({ accessToken: 'at-2' }));
    await owner.replace('inst', 'at-1');
    expect(stored().refreshToken).toBe('rt-1');
  });

  it('waits while another process holds the lease, and takes over once a dead holder’s lease expires', async () => {
    const { store, owner, events } = await setUp(() => Promise.resolve({ accessToken: 'at-2', refreshToken: 'rt-2' }));
    expect(await store.acquireLease(refreshLeaseName('inst'), 'dead-process', 400, Date.now())).toBe(true);
    const started = Date.now();
    const tokens = await owner.replace('inst', 'at-1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(tokens.accessToken).toBe('at-2');
    expect(events).toEqual(['exchange rt-1', 'save at-2 rt-2']);
  });

  it('passes a refused grant on, and releases the lease', async () => {
    const { store, owner } = await setUp(() =>
      Promise.reject(new OAuthGrantError('invalid_grant', 'Salesforce refused the refresh token: invalid_grant')),
    );
    await expect(owner.replace('inst', 'at-1')).rejects.toThrow(OAuthGrantError);
    expect(await store.acquireLease(refreshLeaseName('inst'), 'someone-else', 400, Date.now())).toBe(true);
  });
});
