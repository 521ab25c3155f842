/**
 * What the server needs to know about each CRM, in one place, so that its routes and messages do
 * not branch on `crm === 'hubspot'`: how an account is named, where its install flow starts, which
 * settings hold its app's credentials, and its write limits (records per write call, for estimates). `platformFor(crm)`;
 * `PLATFORMS` lists them in the order the admin UI offers them. Each CRM's own flows live beside
 * its connector (hubspot/oauth.ts, hubspot/marketplace.ts, hubspot/webhooks/; salesforce/install.ts,
 * salesforce/oauth.ts, salesforce/token-owner.ts, salesforce/streams.ts).
 */
import type { Crm } from '../src/store/store.ts';
import type { WriteLimits } from '../src/sync/connector.ts';
import { HUBSPOT_WRITE_LIMITS } from './hubspot/write.ts';
import { SALESFORCE_WRITE_LIMITS } from './salesforce/write.ts';

/** The app credentials of each CRM, as the server's settings hold them (its ServerConfig has these fields). */
export type PlatformConfig = {
  readonly [crm in Crm]: { readonly clientId: string | undefined; readonly clientSecret: string | undefined };
};

export interface Platform {
  readonly crm: Crm;
  /** "HubSpot", "Salesforce". */
  readonly name: string;
  /** What one installation connects: "HubSpot portal", "Salesforce org". */
  readonly account: string;
  /** How messages name a company and a contact record. */
  readonly nouns: { readonly company: string; readonly contact: string };
  /**
   * The connector's write limits, known without a connector (no credentials needed): the admin
   * API's policy preview counts calls with `recordsPerWriteCall` (HubSpot batch update: 100;
   * Salesforce sObject Collections: 200). Each connector sets the same values on itself.
   */
  readonly writeLimits: WriteLimits;
  readonly oauth: {
    /** Starts the install (redirects to the CRM's authorize page). */
    readonly installPath: string;
    /** The environment variables of the CRM app's credentials, for "not configured" messages. */
    readonly settings: string;
    /** This server's app credentials for the CRM. */
    app(config: PlatformConfig): { readonly clientId: string | undefined; readonly clientSecret: string | undefined };
  };
}

const hubspot: Platform = {
  crm: 'hubspot',
  name: 'HubSpot',
  account: 'HubSpot portal',
  nouns: { company: 'Company', contact: 'Contact' },
  writeLimits: HUBSPOT_WRITE_LIMITS,
  oauth: {
    installPath: '/oauth/hubspot/install',
    settings: 'HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET',
    app: (config) => config.hubspot,
  },
};

const salesforce: Platform = {
  crm: 'salesforce',
  name: 'Salesforce',
  account: 'Salesforce org',
  nouns: { company: 'Account', contact: 'Contact' },
  writeLimits: SALESFORCE_WRITE_LIMITS,
  oauth: {
    installPath: '/oauth/salesforce/install',
    settings: 'SF_CLIENT_ID, SF_CLIENT_SECRET',
    app: (config) => config.salesforce,
  },
};

const BY_CRM: Readonly<Record<Crm, Platform>> = { hubspot, salesforce };

export const PLATFORMS: readonly Platform[] = [hubspot, salesforce];

export function platformFor(crm: Crm): Platform {
  return BY_CRM[crm];
}
