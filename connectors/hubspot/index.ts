/**
 * The HubSpot connector: the sync engine's `Connector` on `@hubspot/api-client`, for one portal
 * and a static access token. Each instance has its own rate limiters and retry policy; nothing
 * process-global is configured.
 */
import type { RecordType, Tier } from '../../src/core/index.ts';
import type { CrmObject } from '../../src/mapping/mapping.ts';
import type {
  Connector,
  CrmDeal,
  ObjectType,
  PreflightReport,
  ReadOptions,
  RecordUpdate,
  ScoreProperty,
  SetupOptions,
  SetupReport,
  TierProperties,
  TierSetter,
  WriteResult,
} from '../../src/sync/connector.ts';
import { createSdk, DEFAULT_BASE_URL, fetchAccountDetails, type HubSpotContext } from './client.ts';
import { readDeals } from './deals.ts';
import { realSleep, silentLogger, Throttle, type HubSpotLimits, type Logger, type Sleep } from './limiter.ts';
import { preflight } from './preflight.ts';
import { readObjects } from './read.ts';
import { readByIds, readDealsByIds } from './read-ids.ts';
import { FROZEN_SCORE_PROPERTIES, scoreProperties } from './scores.ts';
import { PROPERTY_NAMES, setup } from './setup.ts';
import { tierSetters } from './tier-history.ts';
import { HUBSPOT_WRITE_LIMITS, updateRecords } from './write.ts';

export { HubSpotDailyLimitError, HubSpotError } from './errors.ts';
export { DEFAULT_LIMITS, type HubSpotLimits, type Logger } from './limiter.ts';
export { PROPERTY_NAMES } from './setup.ts';
export { HUBSPOT_WRITE_LIMITS } from './write.ts';

/** The properties the engine writes tiers to (setup creates them); `updatedAt` in epoch milliseconds. */
export const HUBSPOT_TIER_PROPERTIES: TierProperties = {
  tier: PROPERTY_NAMES.tier,
  reason: PROPERTY_NAMES.reason,
  next: PROPERTY_NAMES.next,
  updatedAt: PROPERTY_NAMES.updatedAt,
};

export interface HubSpotConnectorOptions {
  /** A private-app / static token (`HUBSPOT_ACCESS_TOKEN`). */
  readonly accessToken: string;
  /** Another API host, e.g. a local sandbox (`HUBSPOT_BASE_URL`); default (also when empty) https://api.hubapi.com. */
  readonly baseUrl?: string | undefined;
  readonly limits?: HubSpotLimits | undefined;
  readonly logger?: Logger | undefined;
  /** How the connector waits between retries (tests pass one that does not). */
  readonly sleep?: Sleep | undefined;
}

/** Options from `HUBSPOT_ACCESS_TOKEN` and, if set, `HUBSPOT_BASE_URL`. */
export function hubSpotOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): HubSpotConnectorOptions {
  const accessToken = env['HUBSPOT_ACCESS_TOKEN'] ?? '';
  if (accessToken.trim() === '') throw new Error('HUBSPOT_ACCESS_TOKEN is not set');
  const baseUrl = env['HUBSPOT_BASE_URL'];
  return { accessToken, ...(baseUrl === undefined || baseUrl.trim() === '' ? {} : { baseUrl: baseUrl.trim() }) };
}

export function createHubSpotConnector(options: HubSpotConnectorOptions): Connector {
  if (options.accessToken.trim() === '') throw new Error('HubSpot connector: the access token is empty');
  const given = options.baseUrl?.trim();
  const baseUrl = (given === undefined || given === '' ? DEFAULT_BASE_URL : given).replace(/\/+$/, '');
  if (!URL.canParse(baseUrl)) throw new Error(`HubSpot connector: the base URL is not a URL: ${baseUrl}`);
  const logger = options.logger ?? silentLogger;
  const throttle = new Throttle(options.limits ?? {}, options.sleep ?? realSleep, logger);
  const context: HubSpotContext = { sdk: createSdk(options.accessToken, baseUrl), throttle, logger };

  return {
    crm: 'hubspot',
    tierProperties: HUBSPOT_TIER_PROPERTIES,
    ...HUBSPOT_WRITE_LIMITS,
    frozenScoreProperties: FROZEN_SCORE_PROPERTIES,
    get apiCalls(): number {
      return throttle.apiCalls;
    },
    get rateLimited(): number {
      return throttle.rateLimited;
    },
    async identify(): Promise<{ externalId: string; name: string | null }> {
      const details = await fetchAccountDetails(context, options.accessToken, baseUrl);
      return { externalId: details.portalId, name: details.name };
    },
    setup: (tiers: readonly Tier[], setupOptions: SetupOptions = {}): Promise<SetupReport> =>
      setup(context, tiers, setupOptions, () => fetchAccountDetails(context, options.accessToken, baseUrl)),
    preflight: (properties: Readonly<Partial<Record<ObjectType, readonly string[]>>>): Promise<PreflightReport> =>
      preflight(context, properties),
    scoreProperties: (): Promise<readonly ScoreProperty[]> => scoreProperties(context),
    read: (type: 'companies' | 'contacts', readOptions: ReadOptions): AsyncIterable<CrmObject[]> =>
      readObjects(context, type, readOptions),
    readDeals: (readOptions: ReadOptions): AsyncIterable<CrmDeal[]> => readDeals(context, readOptions),
    readByIds: (type, ids, properties): AsyncIterable<CrmObject[]> => readByIds(context, type, ids, properties),
    readDealsByIds: (ids, properties): AsyncIterable<CrmDeal[]> => readDealsByIds(context, ids, properties),
    tierSetters: (type: RecordType, ids: readonly string[]): Promise<ReadonlyMap<string, TierSetter>> =>
      tierSetters(context, type, ids),
    update: (type: RecordType, updates: readonly RecordUpdate[]): Promise<WriteResult> =>
      updateRecords(context, type, updates),
  };
}
