/**
 * A portal admin installing RightTouch from its install URL, as a browser would, against the
 * sandbox HubSpot's authorize step (sandbox/hubspot/routes-authorize.ts): the app's
 * `/oauth/hubspot/install` → the authorize URL it redirects to (the account chooser) → the chosen
 * portal's consent page → "Connect app" → the redirect to our callback (the token exchange happens
 * there, server to server) → the install page, which shows the installation's API key once.
 * Redirects are followed by hand (`redirect: 'manual'`) so each step is checked.
 */

export interface OAuthInstallOptions {
  /** RightTouch's base URL as this client reaches it. */
  readonly appUrl: string;
  /** The account to choose on the chooser page. */
  readonly portalId: number;
  /** The redirect to our callback names PUBLIC_BASE_URL; when that is not `appUrl`, it is re-rooted there. */
  readonly publicBaseUrl?: string;
  readonly fetch?: typeof fetch;
}

export interface OAuthInstalled {
  /** The installation's admin API key, from the install page. */
  readonly apiKey: string;
  /** The install page (HTML). */
  readonly page: string;
}

const unescapeHtml = (text: string): string =>
  text.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');

async function step(fetchFn: typeof fetch, url: string, init: RequestInit, want: number, what: string) {
  const response = await fetchFn(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(120_000) });
  const text = await response.text();
  if (response.status !== want) {
    throw new Error(
      `${what}: ${init.method ?? 'GET'} ${url} answered ${response.status}, not ${want}: ${text.slice(0, 300)}`,
    );
  }
  return { response, text };
}

function location(response: Response, base: string): string {
  const to = response.headers.get('location');
  if (to === null) throw new Error(`no Location after ${base}`);
  return new URL(to, base).toString();
}

export async function installThroughOAuth(options: OAuthInstallOptions): Promise<OAuthInstalled> {
  const fetchFn = options.fetch ?? fetch;
  const install = `${options.appUrl}/oauth/hubspot/install`;
  const started = await step(fetchFn, install, {}, 302, 'the install URL');
  const authorize = location(started.response, install);
  const chooser = await step(fetchFn, authorize, {}, 200, 'the account chooser');
  const link = new RegExp(`href="(/oauth/${options.portalId}/authorize[^"]*)"`).exec(chooser.text)?.[1];
  if (link === undefined) throw new Error(`the account chooser does not offer portal ${options.portalId}`);
  const consentUrl = new URL(unescapeHtml(link), authorize).toString();
  const consent = await step(fetchFn, consentUrl, {}, 200, 'the consent page');
  const action = /<form method="post" action="([^"]*)"/.exec(consent.text)?.[1];
  if (action === undefined) throw new Error('the consent page has no form');
  const formUrl = new URL(unescapeHtml(action), consentUrl).toString();
  const connected = await step(
    fetchFn,
    formUrl,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=allow',
    },
    302,
    'Connect app',
  );
  let callback = location(connected.response, formUrl);
  if (options.publicBaseUrl !== undefined && callback.startsWith(options.publicBaseUrl)) {
    callback = options.appUrl + callback.slice(options.publicBaseUrl.length);
  }
  const landed = await step(fetchFn, callback, {}, 200, 'the callback');
  const key = /<pre[^>]*>([^<]+)<\/pre>/.exec(landed.text)?.[1];
  if (key === undefined) throw new Error(`the install page shows no API key: ${landed.text.slice(0, 300)}`);
  return { apiKey: unescapeHtml(key), page: landed.text };
}
