/** Shared setup: a fake org on a free port and a real jsforce Connection to it. */
import { Connection } from 'jsforce';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import type { Org } from '../../sandbox/salesforce/model.ts';
import {
  createSalesforceSandbox,
  type RunningSalesforceSandbox,
  type SalesforceSandbox,
  type SalesforceSandboxOptions,
} from '../../sandbox/salesforce/server.ts';

export const NOW = Date.UTC(2026, 10, 20, 10, 0, 0);
export const CLIENT_ID = 'sandbox-client';
export const CLIENT_SECRET = 'sandbox-secret';

export interface TestOrg {
  readonly sandbox: SalesforceSandbox;
  readonly running: RunningSalesforceSandbox;
  readonly conn: Connection;
  readonly org: Org;
  connect(tokens?: { accessToken: string; refreshToken: string }, callOptions?: Record<string, string>): Connection;
  close(): Promise<void>;
}

export async function startOrg(options: SalesforceSandboxOptions & { accounts?: number } = {}): Promise<TestOrg> {
  const { accounts, ...rest } = options;
  const org = options.org ?? generateOrg({ seed: 7, accounts: accounts ?? 40, now: NOW });
  const sandbox = createSalesforceSandbox({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    now: () => NOW,
    ...rest,
    org,
  });
  const running = await sandbox.listen();
  const connect = (tokens = sandbox.tokens.issue(), callOptions?: Record<string, string>): Connection =>
    new Connection({
      ...(callOptions === undefined ? {} : { callOptions }),
      instanceUrl: running.url,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      version: '66.0',
      oauth2: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: running.url },
    });
  return { sandbox, running, conn: connect(), org, connect, close: () => running.close() };
}
