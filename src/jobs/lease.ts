/**
 * Leases in the store: what keeps two runs of one installation from writing at once, whichever
 * process starts them (a scheduled run, a webhook's, "sync now", or `righttouch sync` on the
 * command line). A lease is a named row with a holder and an expiry (Store.acquireLease); its
 * holder renews it every third of its time to live.
 *
 * Holders name their process: `<host>:<pid>:<random>` for the server's processes (serve, worker),
 * `cli:<host>:<pid>:<random>` for a command; each lease is taken as `<holder>/<uuid>`, so two runs
 * of one process exclude each other too. `<host>` is the host name, and on Linux the process-id
 * namespace too (`<hostname>@<inode of /proc/self/ns/pid>`): two containers that share a host name
 * (host networking) do not share process ids, and must not judge each other's.
 *
 * A holder that dies lets its lease expire after its time to live (2 minutes) — unless it ran on
 * this host: a process that wants the lease and finds it held by a holder of this host whose pid
 * is gone (`process.kill(pid, 0)` fails with ESRCH, Node's documented liveness test:
 * https://nodejs.org/api/process.html#processkillpid-signal) takes it over at once, with a
 * compare-and-set on the holder (Store.takeOverLease), so of two processes doing so one wins.
 * A pid that exists (even another process that reused it) counts as alive: the lease then
 * expires as before. A holder of another host, or one that does not parse, is never judged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { errorMessage } from '../app/errors.ts';
import type { Store } from '../store/store.ts';

/** How long a lease lasts without renewal; renewed every third of it. */
export const DEFAULT_LEASE_TTL_MS = 2 * 60_000;

/** The lease every sync of an installation takes (src/store/erase.ts drops it on uninstall). */
export function syncLeaseName(installationId: string): string {
  return `sync:${installationId}`;
}

/** This host as holders name it: the host name, with the process-id namespace where there is one. */
export function hostIdentity(): string {
  const namespace = pidNamespace();
  return namespace === undefined ? hostname() : `${hostname()}@${namespace}`;
}

/** The inode of this process's pid namespace (`pid:[4026531836]`, proc(5) /proc/pid/ns/); none off Linux. */
function pidNamespace(): string | undefined {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
  } catch {
    return undefined;
  }
}

export type HolderRole = 'server' | 'cli';

/** The holder name of this process: `<host>:<pid>:<random>`, prefixed `cli:` for a command. */
export function processHolder(role: HolderRole): string {
  const name = `${hostIdentity()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  return role === 'cli' ? `cli:${name}` : name;
}

export interface HolderProcess {
  readonly role: HolderRole;
  readonly host: string;
  readonly pid: number;
}

/** The process behind a lease holder (see the header); undefined when it is not in that form. */
export function parseHolder(holder: string): HolderProcess | undefined {
  const name = holder.split('/', 1)[0] ?? '';
  const match = /^(cli:)?([^:]+):(\d+):[^:]*$/.exec(name);
  if (match === null) return undefined;
  const pid = Number(match[3]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { role: match[1] === undefined ? 'server' : 'cli', host: match[2] ?? '', pid };
}

/** Whether a process with this id exists here (ESRCH: it does not; EPERM: another user's, alive). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code !== 'ESRCH';
  }
}

/** In words, for operators: "the server on host h (pid 12)", "righttouch sync on host h (pid 12)". */
export function describeHolder(holder: string): string {
  const parsed = parseHolder(holder);
  if (parsed === undefined) return `"${holder}"`;
  const who = parsed.role === 'cli' ? 'righttouch sync' : 'the server';
  return `${who} on host ${parsed.host.split('@')[0] ?? parsed.host} (pid ${parsed.pid})`;
}

export interface LeaseDeps {
  readonly store: Store;
  /** This process (processHolder); each lease is taken as `<holder>/<random>`. */
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

/** Who holds a lease and until when (epoch ms). */
export interface LeaseHolder {
  readonly holder: string;
  readonly expiresAt: number;
}

/**
 * Takes the lease (undefined when another live holder has it), taking it over at once from a dead
 * holder of this host, and renews it every third of its time to live.
 */
export async function takeLease(deps: LeaseDeps, name: string): Promise<Lease | undefined> {
  const { store, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const ttlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const holder = `${deps.holder}/${randomUUID()}`;
  const takenAt = clock().getTime();
  if (!(await store.acquireLease(name, holder, ttlMs, takenAt)) && !(await takeOver(deps, name, holder, takenAt))) {
    return undefined;
  }
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

/** Takes the lease from its holder if that is a process of this host that no longer exists. */
async function takeOver(deps: LeaseDeps, name: string, holder: string, now: number): Promise<boolean> {
  const current = await deps.store.leaseHolder(name);
  if (current === undefined) return false; // released meanwhile: the next try takes it
  const previous = parseHolder(current.holder);
  const host = hostIdentity();
  if (previous === undefined || previous.host !== host || processAlive(previous.pid)) return false;
  const ttlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!(await deps.store.takeOverLease(name, current.holder, holder, ttlMs, now))) return false;
  deps.logger?.warn(
    `took over the lease ${name} from ${describeHolder(current.holder)}: that process is gone (it held it until ${new Date(current.expiresAt).toISOString()})`,
  );
  return true;
}

/**
 * Takes the lease, waiting while another holder has it: tries every `pollMs` (default 1 s) until
 * `waitMs` has passed. Gives the lease, or who holds it when the wait ended. `onWait` is called
 * once, with the holder, when the first try finds it taken.
 */
export async function waitForLease(
  deps: LeaseDeps,
  name: string,
  options: {
    readonly waitMs: number;
    readonly pollMs?: number | undefined;
    readonly onWait?: ((held: LeaseHolder | undefined) => void) | undefined;
  },
): Promise<{ readonly lease: Lease } | { readonly heldBy: LeaseHolder | undefined }> {
  const until = Date.now() + options.waitMs;
  const pollMs = options.pollMs ?? 1000;
  let waited = false;
  for (;;) {
    const lease = await takeLease(deps, name);
    if (lease !== undefined) return { lease };
    const heldBy = await deps.store.leaseHolder(name);
    const left = until - Date.now();
    if (left <= 0) return { heldBy };
    if (!waited) options.onWait?.(heldBy);
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}
