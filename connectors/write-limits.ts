/**
 * Each CRM's write limits (`WriteLimits`, src/sync/connector.ts), by CRM, for what must know them
 * without a connector — credentials and a token refresh — at hand: the admin API's policy
 * preview counts the update calls applying a policy would cost. Each connector sets the same
 * values on itself (a test checks they agree).
 */
import type { Connector, WriteLimits } from '../src/sync/connector.ts';
import { HUBSPOT_WRITE_LIMITS } from './hubspot/write.ts';
import { SALESFORCE_WRITE_LIMITS } from './salesforce/write.ts';

export const WRITE_LIMITS: Readonly<Record<Connector['crm'], WriteLimits>> = {
  hubspot: HUBSPOT_WRITE_LIMITS,
  salesforce: SALESFORCE_WRITE_LIMITS,
};
