/**
 * Which failures are worth another try, and the retry of a call that is safe to repeat (a GET, or a
 * write that sets absolute values). jsforce retries GET/PUT/DELETE on network errors and 5xx itself
 * but never a POST or PATCH (`src/request.ts`); calls made with `NO_JSFORCE_RETRY` leave every retry
 * to this module, so each attempt is counted against the daily allocation.
 */
import type { SalesforceContext } from './context.ts';

export const CALL_RETRIES = 3;

/** Salesforce's answers worth another try: 5xx (jsforce's errors carry no status, only a code) and network failures. */
const TRANSIENT_CODES = new Set(['SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION', 'REQUEST_RUNNING_TOO_LONG']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET']);

/** `conn.request` options that turn jsforce's own retries off (`retry.methods` empty). */
export const NO_JSFORCE_RETRY = { retry: { methods: [] as never[] } };

export function isTransient(error: unknown): boolean {
  const e = error as { errorCode?: unknown; code?: unknown; cause?: { code?: unknown } };
  const code = typeof e.errorCode === 'string' ? e.errorCode : '';
  if (TRANSIENT_CODES.has(code) || /^ERROR_HTTP_5\d\d$/.test(code)) return true;
  const network = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : '';
  return NETWORK_CODES.has(network);
}

/** The wait before retry `attempt` (0-based): 500 ms, 1 s, 2 s. */
export function backoff(attempt: number): number {
  return 500 * 2 ** attempt;
}

/** Runs `work` as one counted call, again on a transient failure (up to CALL_RETRIES more times). */
export async function withRetries<T>(context: SalesforceContext, work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await context.call(work);
    } catch (error) {
      const code = (error as { errorCode?: unknown }).errorCode;
      if (code === 'INVALID_FIELD' || code === 'INVALID_TYPE') {
        throw new Error(
          `Salesforce refused the write (${code}: ${error instanceof Error ? error.message : ''}): ` +
            'the engagement-model fields are missing or hidden from this user — run `righttouch setup --crm salesforce`',
          { cause: error },
        );
      }
      if (attempt >= CALL_RETRIES || !isTransient(error)) throw error;
      await context.sleep(backoff(attempt));
    }
  }
}
