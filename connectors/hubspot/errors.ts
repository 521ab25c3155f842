/**
 * HubSpot failures, normalised. The SDK throws `ApiException {code, body, headers}` for statuses it
 * knows, a plain `Error` ("Cannot parse content") for non-JSON error bodies, and `TypeError('fetch
 * failed')` for network failures; our response middleware (client.ts) throws `HttpStatusError` for
 * every status ≥ 400 first, so the status is never lost. Everything leaves the connector as a
 * `HubSpotError` whose message carries HubSpot's own text — never a token or request header.
 */

/** Thrown by the response middleware for any HTTP status ≥ 400 (before the SDK parses the body). */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, body: unknown, headers: Readonly<Record<string, string>>) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** A call that took longer than the connector's request timeout. */
export class RequestTimeoutError extends Error {
  constructor(ms: number) {
    super(`no response within ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** What we know about a failed call. */
export interface Failure {
  /** HTTP status; undefined for network failures and timeouts. */
  readonly status: number | undefined;
  readonly category: string | undefined;
  /** The 429 policy: TEN_SECONDLY_ROLLING, SECONDLY or DAILY. */
  readonly policyName: string | undefined;
  /** HubSpot's message (or the network error's). */
  readonly message: string;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

/** A HubSpot call that failed for good (not retryable, or out of retries). */
export class HubSpotError extends Error {
  readonly status: number | undefined;
  readonly category: string | undefined;
  /** HubSpot's own message, without our prefix (what a rejected record reports). */
  readonly detail: string;
  readonly body: unknown;

  constructor(label: string, failure: Failure) {
    const code = [failure.status, failure.category].filter((part) => part !== undefined).join(' ');
    super(`HubSpot ${label} failed${code === '' ? '' : ` (${code})`}: ${failure.message}`);
    this.name = 'HubSpotError';
    this.status = failure.status;
    this.category = failure.category;
    this.detail = failure.message;
    this.body = failure.body;
  }
}

/** The portal's daily API limit is spent: nothing more can be done until it resets (midnight, portal time). */
export class HubSpotDailyLimitError extends HubSpotError {
  constructor(label: string, failure: Failure) {
    super(label, failure);
    this.name = 'HubSpotDailyLimitError';
    this.message = `HubSpot daily API limit reached during ${label}; stopping until it resets at midnight in the portal's time zone (${failure.message})`;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringHeaders(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!isRecord(value)) return headers;
  for (const [name, v] of Object.entries(value)) if (typeof v === 'string') headers[name.toLowerCase()] = v;
  return headers;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: unknown }).cause;
  const causeCode = isRecord(cause) ? cause['code'] : undefined;
  return [code, causeCode].some((c) => typeof c === 'string' && (NETWORK_CODES.has(c) || c.startsWith('UND_ERR')));
}

/** Reads status, category, policy and message from whatever a call threw. */
export function describeFailure(err: unknown): Failure & { readonly transient: boolean } {
  let status: number | undefined;
  let body: unknown;
  let headers: Record<string, string> = {};
  if (err instanceof HttpStatusError) {
    ({ status, body } = err);
    headers = { ...err.headers };
  } else if (isRecord(err) && typeof err['code'] === 'number') {
    // The SDK's ApiException (its class is not exported from the package entry point).
    status = err['code'];
    body = err['body'];
    headers = stringHeaders(err['headers']);
  }
  const fields = isRecord(body) ? body : {};
  const fallback = err instanceof Error ? err.message : String(err);
  const message = text(fields['message']) ?? text(body) ?? fallback;
  const timeout = err instanceof RequestTimeoutError;
  const transient =
    timeout ||
    (status === undefined && isNetworkError(err)) ||
    (status !== undefined && (status >= 500 || status === 423 || status === 477));
  return {
    status,
    category: text(fields['category']) ?? text(fields['errorType']),
    policyName: text(fields['policyName']),
    message,
    body,
    headers,
    transient,
  };
}

/** Errors that no retry or bisection can fix: the credentials or the portal's limits. */
export function isFatal(err: unknown): boolean {
  if (err instanceof HubSpotDailyLimitError) return true;
  return err instanceof HubSpotError && (err.status === 401 || err.status === 403 || err.status === 429);
}
