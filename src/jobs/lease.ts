/**
 * Leases in the store: what keeps two runs of one installation from writing at once, whichever
 * process starts them (a scheduled run, a webhook's, "sync now", or `righttouch sync` on the
 * command line). A lease is a named row with a holder and an expiry (Store.acquireLease); its
 * holder renews it every third of its time to live, and a holder that dies lets it expire.
 */
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../app/errors.ts';
import type { Store } from '../store/store.ts';

/** How long a lease lasts without renewal; renewed every third of it. */
export const DEFAULT_LEASE_TTL_MS = 2 * 60_000;

export interface LeaseDeps {
  readonly store: Store;
  /** This process, e.g. `hostname:pid:random`; each lease is taken as `<holder>/<random>`. */
  readonly holder: string;
  readonly clock?: (() => Date) | undefined;
  readonly leaseTtlMs?: number | undefined;
  readonly logger?: { warn(message: string): void } | undefined;
}

export interface Lease {
  readonly name: string;
  /** True once the lease was found taken, or was not renewed before it expired (then for good). */
  lost(): boolean;
  /** Stops renewing and gives the lease back (if it is still ours); never throws. */
  release(): Promise<void>;
}

/**
 * Takes the lease for this run (undefined when another holder has it) and renews it every third
 * of its time to live. Each run is its own holder, so that two runs of one process (an incremental
 * and the nightly full) exclude each other too.
 */
export async function takeLease(deps: LeaseDeps, name: string): Promise<Lease | undefined> {
  const { store, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const ttlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const holder = `${deps.holder}/${randomUUID()}`;
  const takenAt = clock().getTime();
  if (!(await store.acquireLease(name, holder, ttlMs, takenAt))) return undefined;
  let expiresAt = takenAt + ttlMs;
  let lost = false;
  let renewing: Promise<void> | undefined;
  const lapsed = (): boolean => {
    // Once it expired, someone else may have had it meanwhile, even if it is free again now.
    if (!lost && clock().getTime() >= expiresAt) lost = true;
    return lost;
  };
  const renew = async (): Promise<void> => {
    if (lapsed()) return;
    const now = clock().getTime();
    try {
      if (await store.acquireLease(name, holder, ttlMs, now)) expiresAt = now + ttlMs;
      else lost = true;
    } catch (error) {
      logger?.warn(`could not renew the lease ${name}: ${errorMessage(error)}`);
    }
  };
  const timer = setInterval(
    () => {
      if (lost || renewing !== undefined) return;
      renewing = renew().finally(() => {
        renewing = undefined;
      });
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return {
    name,
    lost: lapsed,
    async release() {
      clearInterval(timer);
      await renewing;
      try {
        await store.releaseLease(name, holder);
      } catch (error) {
        // Not worth failing the run for: the lease expires on its own after its time to live.
        logger?.warn(`could not release the lease ${name}: ${errorMessage(error)}`);
      }
    },
  };
}

/**
 * Takes the lease, waiting while another holder has it: tries every `pollMs` until `waitMs` has
 * passed (then undefined). `onWait` is called once, when the first try finds it taken.
 */
export async function waitForLease(
  deps: LeaseDeps,
  name: string,
  options: {
    readonly waitMs: number;
    readonly pollMs?: number | undefined;
    readonly onWait?: (() => void) | undefined;
  },
): Promise<Lease | undefined> {
  const clock = deps.clock ?? (() => new Date());
  const until = clock().getTime() + options.waitMs;
  const pollMs = options.pollMs ?? 1000;
  let waited = false;
  for (;;) {
    const lease = await takeLease(deps, name);
    if (lease !== undefined) return lease;
    if (clock().getTime() + pollMs > until) return undefined;
    if (!waited) options.onWait?.();
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
