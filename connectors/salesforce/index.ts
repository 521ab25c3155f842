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
  SetupOptions,
  SetupReport,
  TierProperties,
  TierSetter,
  WriteResult,
} from '../../src/sync/connector.ts';
import { ensureChannel } from './cdc-channels.ts';
import { subscribeChanges } from './cdc.ts';
import { createContext, queryOrganization } from './context.ts';
import type { SalesforceConnectorOptions } from './options.ts';
import { preflight } from './preflight.ts';
import { readDeals, readObjects, readRemovals } from './read.ts';
import { FIELDS, setup } from './setup.ts';
import { tierSetters } from './tier-history.ts';
import { estimateWriteCalls, SALESFORCE_WRITE_LIMITS, updateRecords } from './write.ts';

export { SalesforceBudgetError, CLIENT_NAME } from './context.ts';
export { changeFromMessage, CDC_CHANNEL } from './cdc.ts';
export { salesforceOptionsFromEnv, SalesforceConfigError, type SalesforceConnectorOptions } from './options.ts';
export { SalesforceSetupError, FIELDS, EDIT_PERMISSION_SET, READ_PERMISSION_SET } from './setup.ts';
export { SALESFORCE_WRITE_LIMITS } from './write.ts';

export const SALESFORCE_TIER_PROPERTIES: TierProperties = {
  tier: FIELDS.tier,
  reason: FIELDS.reason,
  next: FIELDS.next,
  updatedAt: FIELDS.updatedAt,
  formatTime: (epochMs) => new Date(epochMs).toISOString(),
};

export function createSalesforceConnector(options: SalesforceConnectorOptions): Connector {
  const context = createContext(options);
  return {
    crm: 'salesforce',
    tierProperties: SALESFORCE_TIER_PROPERTIES,
    // The engine hands over many records at once; the connector picks collections or Bulk 2.0.
    ...SALESFORCE_WRITE_LIMITS,
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
    setup: async (tiers: readonly Tier[], setupOptions?: SetupOptions): Promise<SetupReport> => {
      const userId = (await context.userInfo()).user_id;
      const report = await setup(context, tiers, userId, setupOptions);
      if (options.changeEvents !== true) return report;
      // Without Customize Application the org refuses the channel: preflight says so, CDC falls back.
      const channel = await ensureChannel(context, userId).catch(() => []);
      return { ...report, changes: [...report.changes, ...channel] };
    },
    preflight: async (properties: Readonly<Partial<Record<ObjectType, readonly string[]>>>): Promise<PreflightReport> =>
      preflight(context, properties, options.changeEvents === true ? (await context.userInfo()).user_id : undefined),
    read: (type: 'companies' | 'contacts', readOptions: ReadOptions): AsyncIterable<CrmObject[]> =>
      readObjects(context, type, readOptions),
    readDeals: (readOptions: ReadOptions): AsyncIterable<CrmDeal[]> => readDeals(context, readOptions),
    subscribeChanges: (stream: ChangeStreamOptions) => subscribeChanges(context, stream),
    readRemovals: (modifiedSince: number | undefined): AsyncIterable<Removal[]> => readRemovals(context, modifiedSince),
    tierSetters: (type: RecordType, ids: readonly string[]): Promise<ReadonlyMap<string, TierSetter>> =>
      tierSetters(context, type, ids),
    update: (type: RecordType, updates: readonly RecordUpdate[]): Promise<WriteResult> =>
      updateRecords(context, type, updates),
  };
}
