/**
 * Rate limiting and retries for one connector (one portal). We do not use the SDK's own limiter
 * and retry (`limiterOptions`, `numberOfApiCallRetries`): they live in a process-wide singleton,
 * so two portals' clients would share or overwrite each other's settings (reference §4.5). Each
 * connector instead owns two Bottleneck limiters — the general 10-second bucket and the search
 * endpoints' own 5/s bucket — and its own retry loop.
 */
import Bottleneck from 'bottleneck';
import { describeFailure, HubSpotDailyLimitError, HubSpotError, RequestTimeoutError, type Failure } from './errors.ts';

export interface HubSpotLimits {
  /** Requests per rolling window outside search (public apps: 110 per 10 s per portal). */
  readonly requestsPerWindow?: number;
  /** The rolling window, ms (10 000); also how long a TEN_SECONDLY_ROLLING 429 waits. */
  readonly windowMs?: number;
  /** Requests in flight at once outside search. */
  readonly maxConcurrent?: number;
  /** Search requests per second (HubSpot: 5 per portal). */
  readonly searchPerSecond?: number;
  /** Retries after a 5xx, timeout or network failure (after the first attempt). */
  readonly retries?: number;
  /** Retries after a TEN_SECONDLY_ROLLING or SECONDLY 429. */
  readonly rateLimitRetries?: number;
  /** First back-off after a 5xx/timeout, ms; doubles on each retry. */
  readonly backoffMs?: number;
  /** How long one request may take, ms. */
  readonly requestTimeoutMs?: number;
}

export const DEFAULT_LIMITS: Required<HubSpotLimits> = {
  requestsPerWindow: 110,
  windowMs: 10_000,
  maxConcurrent: 5,
  searchPerSecond: 5,
  retries: 4,
  rateLimitRetries: 6,
  backoffMs: 500,
  requestTimeoutMs: 60_000,
};

/** The share of HubSpot's limits the spacing aims at (arrival jitter needs headroom). */
const RATE_MARGIN = 0.98;
const SEARCH_MARGIN = 0.95;

/** Where the connector reports retries and setup changes. Never receives tokens. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Which limiter a call goes through: search has its own bucket and is exempt from the 10-s one. */
export type Lane = 'general' | 'search';

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  // The SDK takes no AbortSignal, so a timed-out request is abandoned, not aborted. Every call we
  // retry is idempotent (reads, batch updates by id, creates whose 409 counts as done), so a late
  // completion of the abandoned one does no harm.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new RequestTimeoutError(ms));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

export class Throttle {
  /** HTTP requests sent, retries included. */
  apiCalls = 0;
  /** 429 answers received. */
  rateLimited = 0;
  readonly #limits: Required<HubSpotLimits>;
  readonly #sleep: Sleep;
  readonly #logger: Logger;
  readonly #lanes: Record<Lane, Bottleneck>;

  constructor(limits: HubSpotLimits, sleep: Sleep, logger: Logger) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
    this.#sleep = sleep;
    this.#logger = logger;
    const { requestsPerWindow, windowMs, maxConcurrent, searchPerSecond } = this.#limits;
    this.#lanes = {
      // Spacing starts by window/limit keeps every rolling window at or under the limit (a
      // reservoir refilled on a fixed timer would allow two full bursts back to back). Requests
      // reach HubSpot with jitter, so exact spacing still draws 429s (each costing a whole window):
      // aim 2% under the limit — measured with the sandbox: no 429s, ~0.95 of the bound.
      general: new Bottleneck({ minTime: Math.ceil(windowMs / (requestsPerWindow * RATE_MARGIN)), maxConcurrent }),
      search: new Bottleneck({ minTime: Math.ceil(1000 / (searchPerSecond * SEARCH_MARGIN)), maxConcurrent: 1 }),
    };
  }

  /**
   * Runs one API call through the limiter, retrying 429s (by policy) and transient failures.
   * Throws `HubSpotDailyLimitError` on a DAILY 429 and `HubSpotError` for anything else final.
   */
  async run<T>(label: string, call: () => Promise<T>, lane: Lane = 'general'): Promise<T> {
    let transientRetries = 0;
    let rateLimitRetries = 0;
    for (;;) {
      try {
        return await this.#lanes[lane].schedule(() => {
          this.apiCalls += 1;
          return withTimeout(call(), this.#limits.requestTimeoutMs);
        });
      } catch (err) {
        const failure = describeFailure(err);
        let wait: number;
        if (failure.status === 429) {
          this.rateLimited += 1;
          if (failure.policyName === 'DAILY') throw new HubSpotDailyLimitError(label, failure);
          if (rateLimitRetries >= this.#limits.rateLimitRetries) throw new HubSpotError(label, failure);
          rateLimitRetries += 1;
          wait = this.#rateLimitWait(failure, rateLimitRetries);
        } else if (failure.transient) {
          if (transientRetries >= this.#limits.retries) throw new HubSpotError(label, failure);
          transientRetries += 1;
          wait = this.#transientWait(failure, transientRetries);
        } else {
          throw new HubSpotError(label, failure);
        }
        const code = failure.status === undefined ? '' : ` ${failure.status}`;
        const policy = failure.policyName === undefined ? '' : ` ${failure.policyName}`;
        this.#logger.warn(`HubSpot ${label}:${code}${policy} ${failure.message}; retrying in ${wait} ms`);
        await this.#sleep(wait);
      }
    }
  }

  #rateLimitWait(failure: Failure, attempt: number): number {
    // No Retry-After on REST 429s; the policy tells how long the bucket needs.
    if (failure.policyName === 'TEN_SECONDLY_ROLLING') return this.#limits.windowMs;
    if (failure.policyName === 'SECONDLY') return 1000;
    return 1000 * attempt;
  }

  #transientWait(failure: Failure, attempt: number): number {
    const backoff = this.#limits.backoffMs * 2 ** (attempt - 1);
    // 423 Locked: HubSpot asks for at least 2 s. 477 (portal migrating) sends Retry-After seconds.
    if (failure.status === 423) return Math.max(2000, backoff);
    const retryAfter = Number(failure.headers['retry-after']);
    if (failure.status === 477 && Number.isFinite(retryAfter)) return Math.max(retryAfter * 1000, backoff);
    // No jitter: one connector per portal sends its calls in sequence, there is no herd to spread.
    return backoff;
  }
}
