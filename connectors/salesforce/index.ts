/**
 * The Salesforce connector: the engine's `Connector` on jsforce 3. Companies are Accounts;
 * contacts are Contacts and unconverted Leads; deals are Opportunities. See README.md here.
 */
import type { RecordType, Tier } from '../../src/core/index.ts';
import type { CrmObject } from '../../src/mapping/mapping.ts';
import type {
  ChangeStreamOptions,
  Connector,
  CrmDeal,
  ObjectType,
  PreflightReport,
  ReadOptions,
  RecordUpdate,
  Removal,
  SetupReport,
  TierProperties,
  WriteResult,
} from '../../src/sync/connector.ts';
import { subscribeChanges } from './cdc.ts';
import { createContext, type SalesforceContext } from './context.ts';
import type { SalesforceConnectorOptions } from './options.ts';
import { preflight } from './preflight.ts';
import { readDeals, readObjects, readRemovals } from './read.ts';
import { FIELDS, setup } from './setup.ts';
import { estimateWriteCalls, updateRecords, WRITE_BATCH } from './write.ts';

export { SalesforceBudgetError, CLIENT_NAME } from './context.ts';
export { changeFromMessage, CDC_CHANNEL } from './cdc.ts';
export { salesforceOptionsFromEnv, SalesforceConfigError, type SalesforceConnectorOptions } from './options.ts';
export { SalesforceSetupError, FIELDS, EDIT_PERMISSION_SET, READ_PERMISSION_SET } from './setup.ts';

export const SALESFORCE_TIER_PROPERTIES: TierProperties = {
  tier: FIELDS.tier,
  reason: FIELDS.reason,
  updatedAt: FIELDS.updatedAt,
  formatTime: (epochMs) => new Date(epochMs).toISOString(),
};

interface UserInfo {
  readonly user_id: string;
  readonly organization_id: string;
}

/** The org's answer to userinfo with a dead session: 403, which jsforce does not refresh on. */
function isBadOAuthToken(error: unknown): boolean {
  const e = error as { errorCode?: unknown; message?: unknown } | null;
  return e?.errorCode === 'ERROR_HTTP_403' || (typeof e?.message === 'string' && e.message.includes('Bad_OAuth_Token'));
}

async function queryOrganization(context: SalesforceContext) {
  return context.call(
    async () => await context.conn.query<{ Id: string; Name?: string }>('SELECT Id, Name FROM Organization'),
  );
}

export function createSalesforceConnector(options: SalesforceConnectorOptions): Connector {
  const context = createContext(options);
  let user: UserInfo | undefined;
  const fetchUserInfo = (): Promise<UserInfo> =>
    context.call(() => context.conn.request<UserInfo>({ method: 'GET', url: '/services/oauth2/userinfo' }));
  /**
   * The integration user (setup assigns it the permission set). `/services/oauth2/userinfo`
   * answers an expired session with 403 `Bad_OAuth_Token`, not 401, and jsforce refreshes only on
   * a 401 (jsforce `src/http-api.ts`; SalesforceMobileSDK-Android PR #2430): on a 403, one REST
   * call (which answers 401 and so renews the session) and userinfo once more.
   */
  const userInfo = async (): Promise<UserInfo> => {
    if (user !== undefined) return user;
    try {
      user = await fetchUserInfo();
    } catch (error) {
      if (!isBadOAuthToken(error)) throw error;
      await queryOrganization(context);
      user = await fetchUserInfo();
    }
    return user;
  };
  return {
    crm: 'salesforce',
    tierProperties: SALESFORCE_TIER_PROPERTIES,
    // The engine hands over many records at once; the connector picks collections or Bulk 2.0.
    writeBatchSize: WRITE_BATCH,
    // Contacts are two objects (Contacts and Leads): up to one bulk job each per batch.
    estimateWriteCalls: (count: number, type: RecordType) =>
      estimateWriteCalls(count, context.bulkThreshold, context.bulkPoll.intervalMs, type === 'contact' ? 2 : 1),
    get apiCalls(): number {
      return context.counters.apiCalls;
    },
    async identify(): Promise<{ externalId: string; name: string | null }> {
      // A REST query first: a 401 there makes jsforce refresh the session (userinfo answers an
      // expired token with a 403 that jsforce does not refresh on).
      const org = await queryOrganization(context);
      const row = org.records[0];
      if (row === undefined) throw new Error('Salesforce returned no Organization row for this user');
      return { externalId: row.Id, name: row.Name ?? null };
    },
    setup: async (tiers: readonly Tier[]): Promise<SetupReport> => setup(context, tiers, (await userInfo()).user_id),
    preflight: (properties: Readonly<Partial<Record<ObjectType, readonly string[]>>>): Promise<PreflightReport> =>
      preflight(context, properties),
    read: (type: 'companies' | 'contacts', readOptions: ReadOptions): AsyncIterable<CrmObject[]> =>
      readObjects(context, type, readOptions),
    readDeals: (readOptions: ReadOptions): AsyncIterable<CrmDeal[]> => readDeals(context, readOptions),
    subscribeChanges: (stream: ChangeStreamOptions) => subscribeChanges(context, stream),
    readRemovals: (modifiedSince: number | undefined): AsyncIterable<Removal[]> => readRemovals(context, modifiedSince),
    update: (type: RecordType, updates: readonly RecordUpdate[]): Promise<WriteResult> =>
      updateRecords(context, type, updates),
  };
}
