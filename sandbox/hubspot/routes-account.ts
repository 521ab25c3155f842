/**
 * Identifying the portal: `GET /account-info/v3/details` (what the connector calls) and the
 * legacy `GET /oauth/v1/access-tokens/{token}` (the SDK's `oauth.accessTokensApi.get`, whose
 * `hub_id` is the portal id; reference §5.2).
 */
import { Router } from 'express';
import type { SandboxContext } from './context.ts';
import { notFound } from './errors.ts';
import { SANDBOX_APP_ID } from './history.ts';

/** The scopes a sandbox token has unless the `scopes` option says otherwise (all the app asks for). */
export const SANDBOX_SCOPES = [
  'oauth',
  'crm.objects.companies.read',
  'crm.objects.companies.write',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.schemas.companies.write',
  'crm.schemas.contacts.write',
  'crm.objects.owners.read',
  'crm.lists.read',
  'crm.lists.write',
];

export function accountRoutes(context: SandboxContext): Router {
  const router = Router();
  const { portal } = context;
  router.get('/account-info/v3/details', (_req, res) => {
    res.json({
      portalId: portal.portalId,
      accountType: 'STANDARD',
      timeZone: portal.timeZone,
      companyCurrency: portal.companyCurrency,
      additionalCurrencies: [],
      utcOffset: '-05:00',
      utcOffsetMilliseconds: -18_000_000,
      uiDomain: portal.uiDomain,
      dataHostingLocation: portal.dataHostingLocation,
    });
  });
  return router;
}

/** Mounted without bearer auth: the token is in the path. */
export function tokenInfoRoutes(context: SandboxContext): Router {
  const router = Router();
  router.get('/oauth/v1/access-tokens/:token', (req, res) => {
    const { token } = req.params;
    if (token === '' || (context.token !== undefined && token !== context.token)) {
      throw notFound('Token not found');
    }
    res.json({
      token,
      user: 'sandbox@example.com',
      hub_domain: `sandbox-${context.portal.portalId}.hubspot.com`,
      scopes: context.scopes,
      hub_id: context.portal.portalId,
      app_id: SANDBOX_APP_ID,
      expires_in: 1800,
      user_id: 1,
      token_type: 'access',
    });
  });
  return router;
}
