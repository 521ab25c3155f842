/**
 * `npm start` / `righttouch start`: RightTouch on the embedded defaults, no CRM account needed.
 * Starts the local sandbox CRM (a generated HubSpot portal, restored from `data/sandbox-portal.json`
 * when there is one), runs setup and a full sync with the default policy, then keeps the portal
 * current on a schedule (node-cron, every minute) while the sandbox changes deals and lead scores,
 * and prints what moved. Ctrl-C stops it cleanly; stopping it any other way loses nothing: the next
 * start re-reads what the cursors have not passed and puts back any tier the CRM does not show.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import cron from 'node-cron';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { generatePortal, mutate } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox } from '../../sandbox/hubspot/server.ts';
import { loadSnapshot, saveSnapshot } from '../../sandbox/hubspot/snapshot.ts';
import type { SyncReport } from '../sync/engine.ts';
import { InputError } from './errors.ts';
import type { ProgressStream } from './progress.ts';
import { DEFAULT_DATA_FILE } from '../app/paths.ts';
import { loadMapping } from '../app/policy.ts';
import { openStore } from '../app/store.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../server/app.ts';
import { serverConfigFromEnv } from '../app/config.ts';
import { Credentials } from '../app/connectors.ts';
import { createLogger } from '../server/logger.ts';
import { createMetrics } from '../server/metrics.ts';
import { issueApiKey } from '../server/routes/oauth.ts';
import { secretKey } from '../store/secrets.ts';
import { describeMoves, describeReport, runSetup, runSync, type CrmIo } from './sync-commands.ts';

export interface StartOptions {
  /** Companies in a newly generated sandbox portal (contacts 4×, deals 1.5×). */
  readonly size?: string | undefined;
  /** node-cron expression for the incremental syncs (default: every minute). */
  readonly every?: string | undefined;
  /** Seconds between sandbox changes (default 20; 0 = none). */
  readonly mutateEvery?: string | undefined;
  /** Deals and lead scores the sandbox changes each time (default 10 of each). */
  readonly mutateCount?: string | undefined;
  readonly data?: string | undefined;
  readonly policy?: string | undefined;
  /** Port for the sandbox (default: any free port). */
  readonly port?: string | undefined;
  /** Regenerate the sandbox portal even if one was saved. */
  readonly fresh?: boolean | undefined;
  /** Set up and sync once, then stop (no schedule). */
  readonly once?: boolean | undefined;
  /** Port of the admin UI (default 3000; 0 = any free port). */
  readonly uiPort?: string | undefined;
}

export interface StartIo {
  readonly stdout: Writable;
  readonly progress?: ProgressStream;
  /** Resolves when the schedule should stop (the CLI: on SIGINT/SIGTERM). */
  readonly stopSignal?: Promise<unknown>;
}

function whole(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new InputError(`--${name} must be a whole number, was ${raw}`);
  return value;
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}

export async function runStart(options: StartOptions, io: StartIo): Promise<void> {
  const size = whole(options.size, 2000, 'size');
  const every = options.every ?? '* * * * *';
  if (!cron.validate(every)) throw new InputError(`--every is not a cron expression: ${every}`);
  const mutateEvery = whole(options.mutateEvery, 20, 'mutate-every');
  const mutateCount = whole(options.mutateCount, 10, 'mutate-count');
  const dataFile = options.data ?? DEFAULT_DATA_FILE;
  const snapshotFile = join(dirname(dataFile), 'sandbox-portal.json');
  await mkdir(dirname(dataFile), { recursive: true });
  const say = (line: string): void => {
    io.stdout.write(`${line}\n`);
  };

  const saved = options.fresh === true ? undefined : await loadSnapshot(snapshotFile);
  const portal: Portal =
    saved ?? generatePortal({ seed: 1, companies: size, contacts: size * 4, deals: Math.round(size * 1.5) });
  const counts = `${portal.objects.companies.records.size} companies, ${portal.objects.contacts.records.size} contacts, ${portal.objects.deals.records.size} deals`;
  say(
    saved === undefined
      ? `Sandbox CRM: generated HubSpot portal ${portal.portalId} (${counts})`
      : `Sandbox CRM: portal ${portal.portalId} restored from ${snapshotFile} (${counts}; --fresh regenerates it)`,
  );
  // A random token, so nothing else on this machine can use the sandbox by accident.
  const token = `sandbox-${crypto.randomUUID()}`;
  const sandbox = createSandbox({ portal, token });
  const running: RunningSandbox = await sandbox.listen(whole(options.port, 0, 'port'));
  say(`Sandbox CRM listening on ${running.url} (HubSpot's API subset and rate limits)`);
  const connector = createHubSpotConnector({ accessToken: token, baseUrl: running.url });
  const crmIo: CrmIo = {
    stdout: io.stdout,
    env: {},
    connectorFor: () => connector,
    ...(io.progress === undefined ? {} : { progress: io.progress }),
  };
  const crmOptions = { crm: 'hubspot', data: dataFile, policy: options.policy };
  let saving = Promise.resolve();
  const save = (): Promise<void> => (saving = saving.then(() => saveSnapshot(portal, snapshotFile)));

  let timer: NodeJS.Timeout | undefined;
  let task: ReturnType<typeof cron.schedule> | undefined;
  let ui: AdminUi | undefined;
  try {
    say('\n== Setup ==');
    await runSetup(crmOptions, crmIo);
    say('\n== First sync ==');
    const quiet: CrmIo = { ...crmIo, stdout: nowhere() };
    const first = await runSync({ ...crmOptions }, quiet);
    say(describeReport(first));
    await save();
    if (options.once === true) return;

    // One sync at a time: the schedule and the admin UI's "run now" share this.
    let chain: Promise<unknown> = Promise.resolve();
    const syncNow = (full: boolean): Promise<void> => {
      const next = chain.then(async () => {
        try {
          const report: SyncReport = await runSync(
            { ...crmOptions, policy: undefined, full },
            { ...crmIo, stdout: nowhere() },
          );
          say(`${time()} ${oneLine(report)}`);
          const moves = describeMoves(report, 10);
          if (moves !== '') say(moves);
          await save();
        } catch (error) {
          say(`${time()} sync failed: ${error instanceof Error ? error.message : String(error)} (next tick retries)`);
        }
      });
      chain = next;
      return next;
    };

    ui = await startAdminUi(dataFile, whole(options.uiPort, 3000, 'ui-port'), (full) => {
      void syncNow(full);
    });
    say(`\n== Admin UI ==\nOpen ${ui.url}/#key=${ui.key}  (the key opens this sandbox portal; it is shown only here)`);

    say(`\n== Keeping the portal current (cron "${every}"; Ctrl-C stops) ==`);
    if (mutateEvery > 0 && mutateCount > 0) {
      let tick = 0;
      timer = setInterval(() => {
        tick++;
        const changed = mutate(portal, { deals: mutateCount, contacts: mutateCount, seed: Date.now() + tick });
        say(
          `${time()} sandbox: ${changed.deals.length} deals changed amount or stage, ${changed.contacts.length} lead scores changed`,
        );
      }, mutateEvery * 1000);
    }
    task = cron.schedule(every, () => syncNow(false), {
      name: 'righttouch-sandbox-sync',
      noOverlap: true,
      timezone: 'Etc/UTC',
    });
    await (io.stopSignal ?? new Promise(() => undefined));
  } finally {
    if (timer !== undefined) clearInterval(timer);
    if (task !== undefined) {
      await task.stop();
      await task.destroy();
    }
    await ui?.close();
    await save();
    await running.close();
  }
}

interface AdminUi {
  readonly url: string;
  readonly key: string;
  close(): Promise<void>;
}

/**
 * The admin UI (the same Express app `righttouch serve` runs) on the demo's store, with a fresh
 * API key for every installation in it (printed once). "Run now" goes to the demo's own syncs.
 */
async function startAdminUi(dataFile: string, port: number, runNow: (full: boolean) => void): Promise<AdminUi> {
  const store = await openStore(dataFile);
  const config = serverConfigFromEnv({ PORT: String(port), PUBLIC_BASE_URL: `http://localhost:${port}` });
  const key = secretKey({}, dirname(dataFile));
  const apiKey = await issueApiKey(store, null, 'npm start demo', Date.now());
  const app = createApp({
    store,
    config,
    key,
    credentials: new Credentials({ store, key, config }),
    metrics: createMetrics(),
    logger: createLogger({ level: 'silent' }),
    mappingFor: (crm) => loadMapping(crm),
    requestSync: (_installationId, kind) => {
      runNow(kind === 'full');
    },
  });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://localhost:${address.port}`,
    key: apiKey,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await store.close();
    },
  };
}

function oneLine(report: SyncReport): string {
  const read = `read ${report.pulled.deals} deals, ${report.pulled.companies} companies, ${report.pulled.contacts} contacts`;
  return `incremental sync: ${read}; ${report.moved} moved tier, ${report.written} records written in ${report.writeCalls} update calls; ${report.apiCalls} API calls`;
}

function nowhere(): Writable {
  return { write: () => true } as unknown as Writable;
}
