/**
 * Starts a sandbox CRM (HubSpot's or the fake Salesforce org) in a child process
 * (sandbox-process.ts) and talks to it: its URL and token, its request statistics, its clock
 * (moved ahead instead of waiting), and changes to its records (HubSpot: deletions too).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What to serve: the CRM, the data's seed and size (HubSpot: companies/contacts/deals; Salesforce: accounts/contacts/leads/opportunities). */
export interface SandboxSpec {
  readonly crm: 'hubspot' | 'salesforce';
  readonly seed: number;
  readonly size: Readonly<Record<string, number>>;
  /** HubSpot: the access token the sandbox accepts (Salesforce issues its own). */
  readonly token: string;
  /** HubSpot: false turns the sandbox's rate limits off (default on). */
  readonly limits?: boolean;
}

export type SandboxRequest =
  | { readonly id: number; readonly kind: 'stats' }
  | { readonly id: number; readonly kind: 'advance'; readonly ms: number }
  | {
      readonly id: number;
      readonly kind: 'mutate';
      /** How many of each type to change (HubSpot: deals, contacts, companies; Salesforce: opportunities, contacts, leads). */
      readonly changes: Readonly<Record<string, number>>;
      readonly seed: number;
    }
  /** HubSpot: deletes a record, as a user would, without a webhook. */
  | { readonly id: number; readonly kind: 'remove'; readonly type: string; readonly recordId: string };

export type SandboxResponse =
  | {
      readonly id: number;
      readonly kind: 'ready';
      readonly url: string;
      readonly accessToken: string;
      readonly rssBytes: number;
    }
  | { readonly id: number; readonly kind: 'stats'; readonly stats: unknown }
  | { readonly id: number; readonly kind: 'advanced'; readonly now: number }
  | { readonly id: number; readonly kind: 'mutated'; readonly result: Record<string, string[]> }
  | { readonly id: number; readonly kind: 'removed'; readonly found: boolean };

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface SandboxProcess {
  readonly url: string;
  readonly accessToken: string;
  /** The sandbox's RSS once the portal was generated (bytes). */
  readonly rssBytes: number;
  /** The sandbox's statistics object (HubSpot's `SandboxStats`, Salesforce's `SalesforceStats`). */
  stats(): Promise<unknown>;
  /** Moves the sandbox's clock ahead; resolves with its new time (epoch ms). */
  advance(ms: number): Promise<number>;
  /** Changes that many records of each type; resolves with the changed ids by type. */
  mutate(changes: Readonly<Record<string, number>>, seed: number): Promise<Record<string, string[]>>;
  /** HubSpot: deletes a record (`companies`, `contacts`, `deals`); resolves false when there was none. */
  remove(type: string, recordId: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startSandboxProcess(spec: SandboxSpec): Promise<SandboxProcess> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./sandbox-process.ts', import.meta.url)),
    [JSON.stringify(spec)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const waiting = new Map<number, (response: SandboxResponse) => void>();
  let nextId = 1;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`the sandbox process exited (code ${String(code)})`));
    });
  });
  exited.catch(() => undefined);
  const ready = new Promise<SandboxResponse>((resolve) => waiting.set(0, resolve));
  child.on('message', (raw) => {
    const response = raw as SandboxResponse;
    waiting.get(response.id)?.(response);
    waiting.delete(response.id);
  });
  const ask = async (request: Distribute<SandboxRequest>): Promise<SandboxResponse> => {
    const id = nextId++;
    const answer = new Promise<SandboxResponse>((resolve) => waiting.set(id, resolve));
    child.send({ ...request, id });
    return Promise.race([answer, exited]);
  };
  const first = await Promise.race([ready, exited]);
  if (first.kind !== 'ready') throw new Error('the sandbox process did not start');
  return {
    url: first.url,
    accessToken: first.accessToken,
    rssBytes: first.rssBytes,
    async stats() {
      const answer = await ask({ kind: 'stats' });
      if (answer.kind !== 'stats') throw new Error(`unexpected answer ${answer.kind}`);
      return answer.stats;
    },
    async advance(ms) {
      const answer = await ask({ kind: 'advance', ms });
      if (answer.kind !== 'advanced') throw new Error(`unexpected answer ${answer.kind}`);
      return answer.now;
    },
    async mutate(changes, seed) {
      const answer = await ask({ kind: 'mutate', changes, seed });
      if (answer.kind !== 'mutated') throw new Error(`unexpected answer ${answer.kind}`);
      return answer.result;
    },
    async remove(type, recordId) {
      const answer = await ask({ kind: 'remove', type, recordId });
      if (answer.kind !== 'removed') throw new Error(`unexpected answer ${answer.kind}`);
      return answer.found;
    },
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await gone;
    },
  };
}
