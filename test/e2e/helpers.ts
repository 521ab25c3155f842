/** Shared set-up for the end-to-end tests: the sandbox portal, the CLI, and what the CRM shows. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { repoRoot } from '../helpers.ts';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'righttouch-e2e-'));
}

/** Every company's and contact's engagement model and reason in the sandbox, as `type:id` → `tier | reason`. */
export function crmTiers(portal: Portal): Map<string, string> {
  const tiers = new Map<string, string>();
  for (const [type, key] of [
    ['companies', 'company'],
    ['contacts', 'contact'],
  ] as const) {
    for (const record of portal.objects[type].records.values()) {
      const p = record.properties;
      tiers.set(`${key}:${record.id}`, `${p['engagement_model'] ?? ''} | ${p['engagement_model_reason'] ?? ''}`);
    }
  }
  return tiers;
}

/** Every company's and contact's next-tier hint in the sandbox (`engagement_model_next`), as `type:id` → sentence. */
export function crmHints(portal: Portal): Map<string, string> {
  const hints = new Map<string, string>();
  for (const [type, key] of [
    ['companies', 'company'],
    ['contacts', 'contact'],
  ] as const) {
    for (const record of portal.objects[type].records.values()) {
      hints.set(`${key}:${record.id}`, record.properties['engagement_model_next'] ?? '');
    }
  }
  return hints;
}

/** Records whose `engagement_model_updated_at` differs between two moments: what was written. */
export function writtenSince(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((key) => before.get(key) !== after.get(key)).sort();
}

export function updatedAt(portal: Portal): Map<string, string> {
  const times = new Map<string, string>();
  for (const [type, key] of [
    ['companies', 'company'],
    ['contacts', 'contact'],
  ] as const) {
    for (const record of portal.objects[type].records.values()) {
      times.set(`${key}:${record.id}`, record.properties['engagement_model_updated_at'] ?? '');
    }
  }
  return times;
}

export interface Cli {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `righttouch …` in a child process (this Node, which is ≥ 22). `killWhen` is polled every
 * 5 ms; when it returns true the child gets SIGKILL, as from `kill -9`.
 */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  killWhen?: () => boolean,
): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'righttouch.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const poll =
      killWhen === undefined
        ? undefined
        : setInterval(() => {
            if (killWhen()) child.kill('SIGKILL');
          }, 5);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (poll !== undefined) clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
