/**
 * The org's daily API allocation: every REST (and SOAP) call after authentication counts one;
 * REST responses carry `Sforce-Limit-Info: api-usage=<used>/<max>`; at the limit calls are refused
 * with 403 REQUEST_LIMIT_EXCEEDED (SOAP: a REQUEST_LIMIT_EXCEEDED fault). Also `/limits`, for users
 * with "View Setup and Configuration" only (with the change events delivered today as
 * `DailyDeliveredPlatformEvents`).
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { userOf } from './context.ts';
import type { Org } from './model.ts';
import type { SalesforceStats } from './stats.ts';
import { soapFault } from './xml.ts';

export const DEFAULT_DAILY_API_LIMIT = 15_000;
const BULK_BATCH_LIMIT = 15_000;

export function apiLimiter(
  org: Org,
  max: () => number,
  stats: SalesforceStats,
  soap: boolean,
): (req: Request, res: Response, next: NextFunction) => void {
  return (_req, res, next) => {
    const limit = max();
    if (org.apiUsage >= limit) {
      stats.limitRefusals++;
      if (soap) {
        res
          .status(500)
          .type('text/xml')
          .send(soapFault('sf:REQUEST_LIMIT_EXCEEDED', 'REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.'));
        return;
      }
      res.setHeader('Sforce-Limit-Info', `api-usage=${org.apiUsage}/${limit}`);
      res.status(403).json([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
      return;
    }
    org.apiUsage++;
    if (!soap) res.setHeader('Sforce-Limit-Info', `api-usage=${org.apiUsage}/${limit}`);
    next();
  };
}

export function limitRoutes(org: Org, max: () => number): Router {
  const router = express.Router();
  router.get('/services/data/:version/limits', (_req, res) => {
    if (org.withoutViewSetup.has(userOf(res))) {
      // The resource is "available … for API users with the 'View Setup and Configuration'
      // permission" (REST API Developer Guide, "Limits"). Without it, the answer carries an
      // API-access error code (seen as API_DISABLED_FOR_ORG: forceworkbench/forceworkbench #681,
      // secondhand), though every other call works.
      res
        .status(403)
        .json([{ errorCode: 'API_DISABLED_FOR_ORG', message: 'The REST API is not enabled for this Organization.' }]);
      return;
    }
    const limit = max();
    const pair = (Max: number, used: number): { Max: number; Remaining: number } => ({
      Max,
      Remaining: Math.max(0, Max - used),
    });
    res.json({
      ConcurrentAsyncGetReportInstances: pair(200, 0),
      DailyApiRequests: pair(limit, org.apiUsage),
      DailyAsyncApexExecutions: pair(250_000, 0),
      DailyBulkApiBatches: pair(BULK_BATCH_LIMIT, org.bulkBatchesUsed),
      DailyBulkV2QueryFileStorageMB: pair(976_562, 0),
      DailyBulkV2QueryJobs: pair(10_000, 0),
      // Change events delivered to CometD clients in the 24-hour window (change-events.ts).
      DailyDeliveredPlatformEvents: pair(org.changeEvents.dailyDeliveryLimit, org.changeEvents.delivered),
      DataStorageMB: pair(1_024, 0),
      FileStorageMB: pair(1_024, 0),
      HourlyPublishedStandardVolumePlatformEvents: pair(100_000, 0),
      MonthlyPlatformEventsUsageEntitlement: pair(50_000, 0),
    });
  });
  return router;
}
