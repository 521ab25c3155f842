/**
 * What the CRMs' OAuth token endpoints have in common (RFC 6749 §3.2, §5.2): a form-encoded POST,
 * a JSON answer that may not be JSON when a proxy answers instead, and `invalid_grant` as the one
 * refusal that means the grant itself is gone. hubspot/oauth.ts and salesforce/oauth.ts each add
 * their endpoint, their answer's fields and their retry rules.
 */

/**
 * The CRM refused the grant (RFC 6749 §5.2 `invalid_grant`): a refresh token revoked (the app was
 * uninstalled, or a rotated Salesforce refresh token was presented twice) or a bad, expired or
 * used authorization code. The only token-endpoint answer that means the account must be
 * connected again.
 */
export class OAuthGrantError extends Error {
  override name = 'OAuthGrantError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface TokenAnswer {
  readonly response: Response;
  readonly text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  readonly json: unknown;
}

/** One form-encoded POST to a token endpoint, its body read (network failures and timeouts throw). */
export async function postTokenForm(
  fetchFn: typeof fetch,
  url: string,
  fields: Record<string, string>,
  timeoutMs: number,
): Promise<TokenAnswer> {
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { response, text, json };
}
