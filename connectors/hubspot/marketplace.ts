/**
 * HubSpot Marketplace installs (HubSpot, "Understand app installation flow with the option for
 * partner sign in", developers.hubspot.com/docs/apps/developer-platform/list-apps/
 * understand-app-install-flow; required for listed apps that change their listing after
 * 26 October 2026). An install started from the Marketplace calls the listing's install URL — one
 * of the app's redirect URLs, ours is `/oauth/hubspot/callback` — with HubSpot's parameters and
 * no `state` of ours:
 *
 * - without partner sign in: `code` and `returnUrl`. The app exchanges the code, sets itself up
 *   and redirects the admin to `returnUrl` ("without this step, the user will be stuck in an
 *   infinite login loop");
 * - with partner sign in: first `step=authorize` and `returnUrl` — the app signs the user in,
 *   issues a state and redirects to `${returnUrl}?state=…`; then `step=finalize`, `code`, `state`
 *   and `returnUrl` — the app checks its state, exchanges the code and redirects to `returnUrl`.
 *
 * RightTouch has no accounts of its own to sign in to, so the listing should choose "without
 * partner sign in"; the two-step variant is accepted too (the state is ours: random, stored,
 * single use, 10 minutes). `returnUrl` is only ever followed to HubSpot: https, no credentials,
 * a host that is (or is below) one of `returnUrlHosts` (default hubspot.com). Anything else is
 * refused before the code is exchanged, so the install URL can never be used as an open redirect.
 */

/** The Marketplace parameters of a callback, when it has them. */
export interface MarketplaceParams {
  readonly returnUrl: string;
  readonly step: 'authorize' | 'finalize' | undefined;
}

/** A callback is a Marketplace install when HubSpot sent a `returnUrl` or a `step`. */
export function marketplaceParams(query: Readonly<Record<string, unknown>>): MarketplaceParams | undefined {
  const returnUrl = query['returnUrl'];
  const step = query['step'];
  if (returnUrl === undefined && step === undefined) return undefined;
  return {
    returnUrl: typeof returnUrl === 'string' ? returnUrl : '',
    step: step === 'authorize' || step === 'finalize' ? step : undefined,
  };
}

/** `returnUrl` as a URL when it leads back to HubSpot, else undefined. */
export function hubspotReturnUrl(returnUrl: string, allowedHosts: readonly string[]): URL | undefined {
  if (!URL.canParse(returnUrl)) return undefined;
  const url = new URL(returnUrl);
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return undefined;
  const host = url.hostname.toLowerCase();
  const allowed = allowedHosts.some((base) => host === base || host.endsWith(`.${base}`));
  return allowed ? url : undefined;
}

/** `returnUrl` with our state added (partner sign in, step 1): `${returnUrl}?state=${state}`. */
export function returnUrlWithState(returnUrl: URL, state: string): string {
  const url = new URL(returnUrl);
  url.searchParams.set('state', state);
  return url.toString();
}
