/**
 * Two server processes over one store (PostgreSQL; a SQLite file too) with connections of the same
 * Salesforce installation meet its expired session at the same moment: one token exchange in all,
 * both go on with the rotated session, and the installation stays active. The fake org revokes the
 * whole token family if the exchanged refresh token is ever presented again.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { serverConfigFromEnv } from '../../src/app/config.ts';
import { Credentials } from '../../src/app/connectors.ts';
import { CLIENT_ID, CLIENT_SECRET, startOrg, type TestOrg } from '../sandbox-salesforce/helpers.ts';
import { describeEachEngine } from '../store/engines.ts';

const WORKER = fileURLToPath(new URL('./token-worker.ts', import.meta.url));
const KEY = Buffer.alloc(32, 7);

interface Outcome {
  readonly ok: number;
  readonly errors: string[];
  readonly renewals: number;
  readonly exchanges: number;
}

/** A worker process and its stdout lines. */
function startWorker(args: Record<string, unknown>) {
  const child: ChildProcess = spawn(process.execPath, ['--no-warnings', WORKER, JSON.stringify(args)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const waitFor = async (line: string): Promise<void> => {
    while (!lines.includes(line)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`token worker exited (${child.exitCode ?? child.signalCode}) before "${line}":\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const outcome = (): Outcome => {
    const json = lines.find((line) => line.startsWith('{'));
    if (json === undefined) throw new Error(`no outcome from the token worker:\n${stderr}`);
    return JSON.parse(json) as Outcome;
  };
  return { child, waitFor, outcome };
}

const children: ChildProcess[] = [];
let org: TestOrg | undefined;
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await org?.close();
  org = undefined;
});

describeEachEngine('Salesforce tokens in two processes', (engine) => {
  test('both refresh at the same moment: one exchange, both proceed, the installation stays active', async () => {
    const t = await startOrg({ accounts: 3 });
    org = t;
    const spec = engine.create();
    const store = engine.open(spec);
    try {
      await store.migrate();
      const installation = await store.upsertInstallation('salesforce', t.org.organizationId);
      const issued = t.sandbox.tokens.issue();
      const credentials = new Credentials({
        store,
        key: KEY,
        config: serverConfigFromEnv({ SF_CLIENT_ID: CLIENT_ID, SF_CLIENT_SECRET: CLIENT_SECRET }),
      });
      await credentials.save(installation.id, {
        crm: 'salesforce',
        accessToken: issued.accessToken,
        refreshToken: issued.refreshToken,
        instanceUrl: t.running.url,
      });

      const workers = ['a', 'b'].map(() =>
        startWorker({
          store: spec,
          installationId: installation.id,
          key: KEY.toString('base64'),
          orgUrl: t.running.url,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          connections: 5,
        }),
      );
      children.push(...workers.map((worker) => worker.child));
      await Promise.all(workers.map((worker) => worker.waitFor('ready')));
      t.sandbox.tokens.expireAccessTokens();
      t.sandbox.resetStats();
      for (const worker of workers) worker.child.stdin?.write('go\n');
      await Promise.all(workers.map((worker) => worker.waitFor('done')));

      const outcomes = workers.map((worker) => worker.outcome());
      for (const outcome of outcomes) {
        expect(outcome.errors).toEqual([]);
        expect(outcome.ok).toBe(5);
        // Each process met the expired session itself (so both contended for the refresh).
        expect(outcome.renewals).toBeGreaterThan(0);
      }
      expect(outcomes.reduce((sum, outcome) => sum + outcome.exchanges, 0)).toBe(1);
      expect(t.sandbox.stats.tokenGrants).toBe(1);
      expect((await store.getInstallation(installation.id))?.status).toBe('active');
      const stored = await credentials.load(installation.id);
      expect(stored?.crm === 'salesforce' ? stored.refreshToken : undefined).not.toBe(issued.refreshToken);
    } finally {
      await store.close();
    }
  });
});
