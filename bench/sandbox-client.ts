/**
 * Starts the sandbox CRM in a child process (sandbox-process.ts) and talks to it: its URL, its
 * request statistics, its clock (moved ahead instead of waiting), and changes to its records.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MutateResult } from '../src/sandbox/generate.ts';
import type { SandboxStats } from '../src/sandbox/stats.ts';

export type SandboxRequest =
  | { readonly id: number; readonly kind: 'stats' }
  | { readonly id: number; readonly kind: 'advance'; readonly ms: number }
  | {
      readonly id: number;
      readonly kind: 'mutate';
      readonly deals: number;
      readonly contacts: number;
      readonly seed: number;
    };

export type SandboxResponse =
  | { readonly id: number; readonly kind: 'ready'; readonly url: string; readonly rssBytes: number }
  | { readonly id: number; readonly kind: 'stats'; readonly stats: SandboxStats }
  | { readonly id: number; readonly kind: 'advanced'; readonly now: number }
  | { readonly id: number; readonly kind: 'mutated'; readonly result: MutateResult };

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface SandboxProcess {
  readonly url: string;
  /** The sandbox's RSS once the portal was generated (bytes). */
  readonly rssBytes: number;
  stats(): Promise<SandboxStats>;
  /** Moves the sandbox's clock ahead; resolves with its new time (epoch ms). */
  advance(ms: number): Promise<number>;
  mutate(options: { deals: number; contacts: number; seed: number }): Promise<MutateResult>;
  close(): Promise<void>;
}

export async function startSandboxProcess(spec: {
  seed: number;
  companies: number;
  contacts: number;
  deals: number;
  token: string;
}): Promise<SandboxProcess> {
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
    async mutate(options) {
      const answer = await ask({ kind: 'mutate', ...options });
      if (answer.kind !== 'mutated') throw new Error(`unexpected answer ${answer.kind}`);
      return answer.result;
    },
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await gone;
    },
  };
}
