/**
 * OAuth `state`: random, stored server-side (sealed, in the store, so any server process can
 * finish a flow another began), single use, and expiring after ten minutes. Salesforce's PKCE
 * verifier travels with it.
 */
import { randomBytes } from 'node:crypto';
import { seal, unseal } from '../store/secrets.ts';
import type { Crm, Store } from '../store/store.ts';

export const STATE_TTL_MS = 10 * 60_000;

export interface PendingInstall {
  readonly crm: Crm;
  readonly expiresAt: number;
  readonly codeVerifier?: string;
}

const name = (state: string): string => `oauth-state.${state}`;

export async function createState(
  store: Store,
  key: Buffer,
  pending: Omit<PendingInstall, 'expiresAt'>,
  now: number,
): Promise<string> {
  const state = randomBytes(24).toString('base64url');
  await store.putSecret(name(state), seal(key, JSON.stringify({ ...pending, expiresAt: now + STATE_TTL_MS })), now);
  return state;
}

/** The pending install for `state` — once: a second call with the same state finds nothing. */
export async function takeState(
  store: Store,
  key: Buffer,
  state: string,
  crm: Crm,
  now: number,
): Promise<PendingInstall | undefined> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(state)) return undefined;
  const sealed = await store.getSecret(name(state));
  if (sealed === undefined || !(await store.deleteSecret(name(state)))) return undefined;
  const pending = JSON.parse(unseal(key, sealed)) as PendingInstall;
  if (pending.crm !== crm || pending.expiresAt < now) return undefined;
  return pending;
}
