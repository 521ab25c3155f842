/**
 * `righttouch setup` and `righttouch sync` against a CRM. Credentials come from the environment
 * (src/app/connectors.ts `connectorFromEnv`: HubSpot's HUBSPOT_ACCESS_TOKEN, and HUBSPOT_BASE_URL
 * to point at another host such as the local sandbox; Salesforce's SF_* variables); the store is
 * `data/righttouch.db` unless `--data` says otherwise.
 */
import type { Writable } from 'node:stream';
import { connectorFromEnv } from '../app/connectors.ts';
import { DEFAULT_DATA_FILE } from '../app/paths.ts';
import { InputError } from '../app/errors.ts';
import { activePolicy, loadMapping, loadPolicy } from '../app/policy.ts';
import { setUpCrm } from '../app/setup.ts';
import { openStore } from '../app/store.ts';
import type { Policy } from '../core/index.ts';
import type { Crm, Installation, Store } from '../store/store.ts';
import type { Connector } from '../sync/connector.ts';
import { RunStoppedError, sync } from '../sync/engine.ts';
import {
  describeHolder,
  processHolder,
  syncLeaseName,
  waitForLease,
  type Lease,
  type LeaseHolder,
} from '../jobs/lease.ts';
import { resolveMapping } from '../sync/lead-score.ts';
import type { SyncReport } from '../sync/engine.ts';
import { propertiesToRead } from '../mapping/mapping.ts';
import type { Mapping } from '../mapping/mapping.ts';
import { leadScoreLines } from './lead-score-lines.ts';
import { checkCrm } from './store-commands.ts';
import { InstallationBusyError } from './errors.ts';
import { progressReporter, type ProgressStream } from './progress.ts';
import { renderSummary } from './summary-table.ts';

export interface CrmCommandOptions {
  readonly crm: string;
  readonly data?: string | undefined;
  readonly policy?: string | undefined;
  readonly mapping?: string | undefined;
  readonly json?: boolean | undefined;
}

export interface CrmIo {
  readonly stdout: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Builds the connector; tests inject one. */
  readonly connectorFor?: (
    crm: Crm,
    env: Readonly<Record<string, string | undefined>>,
    store: Store,
    dataFile: string,
  ) => Connector | Promise<Connector>;
  readonly clock?: () => Date;
  /** Opens the store (default: openStore, DATABASE_URL or the file); closed after the command. Tests inject one. */
  readonly openStore?: (dataFile: string) => Promise<Store>;
  /** Where progress goes on long runs (the CLI passes stderr). */
  readonly progress?: ProgressStream;
}

/** The installation behind the credentials, and the policy to use: --policy (saved as a new version), else the active one, else the default. */
async function prepare(store: Store, connector: Connector, crm: Crm, policyFile: string | undefined) {
  const account = await connector.identify();
  const installation = await store.upsertInstallation(crm, account.externalId, account.name);
  if (policyFile === undefined) return { installation, policy: await activePolicy(store, installation.id) };
  const policy: Policy = await loadPolicy(policyFile);
  const active = await store.activePolicy(installation.id);
  if (active === undefined || JSON.stringify(active.policy) !== JSON.stringify(policy)) {
    await store.savePolicy(installation.id, policy);
  }
  return { installation, policy };
}

interface CrmSession {
  readonly crm: Crm;
  readonly connector: Connector;
  readonly mapping: Mapping;
  readonly store: Store;
  readonly installation: Installation;
  readonly policy: Policy;
}

/** The connector, mapping, store, installation and policy a CRM command works with; the store is closed after. */
async function withCrm<T>(
  options: CrmCommandOptions,
  io: CrmIo,
  work: (session: CrmSession) => Promise<T>,
): Promise<T> {
  const crm = checkCrm(options.crm);
  const mapping = await loadMapping(crm, options.mapping);
  const dataFile = options.data ?? DEFAULT_DATA_FILE;
  const store = await (io.openStore ?? openStore)(dataFile);
  try {
    const connector = await (io.connectorFor ?? connectorFromEnv)(crm, io.env, store, dataFile);
    const { installation, policy } = await prepare(store, connector, crm, options.policy);
    return await work({ crm, connector, mapping, store, installation, policy });
  } finally {
    await store.close();
  }
}

/** `--lists on|off` (and `--layouts`) stored as the installation's settings before setup runs. */
async function withSetupSettings(
  store: Store,
  installation: Installation,
  options: { readonly lists?: string | undefined; readonly layouts?: string | undefined },
): Promise<Installation> {
  const flag = (name: string, value: string | undefined): boolean | undefined => {
    if (value === undefined) return undefined;
    if (value === 'on' || value === 'off') return value === 'on';
    throw new InputError(`--${name} must be on or off, not ${value}`);
  };
  const lists = flag('lists', options.lists);
  const layouts = flag('layouts', options.layouts);
  if (lists === undefined && layouts === undefined) return installation;
  const updated = await store.updateSettings(installation.id, (current) => ({
    ...current,
    ...(lists === undefined ? {} : { crmLists: lists }),
    ...(layouts === undefined ? {} : { crmLayouts: layouts }),
  }));
  return { ...installation, settings: updated?.after ?? installation.settings };
}

export async function runSetup(
  options: CrmCommandOptions & {
    readonly leadScore?: string | undefined;
    readonly lists?: string | undefined;
    readonly layouts?: string | undefined;
  },
  io: CrmIo,
): Promise<void> {
  await withCrm(options, io, async ({ crm, connector, mapping, store, installation: before, policy }) => {
    const installation = await withSetupSettings(store, before, options);
    const report = await setUpCrm(store, connector, installation, policy.tiers);
    const chosen = options.leadScore?.trim();
    if (chosen !== undefined && chosen !== '') {
      await store.updateSettings(installation.id, (current) => ({ ...current, leadScoreProperty: chosen }));
    }
    const resolved = await resolveMapping(store, connector, installation.id, mapping, { list: true });
    const preflight = await connector.preflight({
      companies: propertiesToRead(resolved.mapping, 'company'),
      contacts: propertiesToRead(resolved.mapping, 'contact'),
      deals: propertiesToRead(resolved.mapping, 'deal'),
    });
    if (options.json === true) {
      const leadScore = resolved.leadScore ?? null;
      const { changes, lists = [], warnings = [] } = report;
      io.stdout.write(`${JSON.stringify({ installation, changes, lists, warnings, preflight, leadScore })}\n`);
      return;
    }
    const lines = [
      `${crm} account ${installation.externalId}${installation.name === null ? '' : ` (${installation.name})`}`,
      report.changes.length === 0 ? 'Properties already set up: nothing to change.' : 'Set up:',
      ...report.changes.map((change) => `  - ${change}`),
    ];
    if (report.lists !== undefined && report.lists.length > 0) {
      lines.push(
        'Lists per tier:',
        ...report.lists.map((list) => `  - ${list.name}${list.url === undefined ? '' : ` ${list.url}`}`),
      );
    }
    for (const warning of report.warnings ?? []) lines.push(`Warning: ${warning}`);
    if (resolved.leadScore !== undefined) lines.push(...leadScoreLines(resolved.leadScore, installation.id, crm));
    const missing = Object.entries(preflight.missingProperties).filter(([, names]) => names.length > 0);
    for (const [type, names] of missing) {
      lines.push(`Missing ${type} properties (those fields will read as missing): ${names.join(', ')}`);
    }
    for (const problem of preflight.problems) lines.push(`Problem: ${problem}`);
    for (const warning of preflight.warnings ?? []) lines.push(`Warning: ${warning}`);
    io.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** What `righttouch sync` says of the lease's holder: who, and until when it holds it. */
function heldBy(held: LeaseHolder | undefined): string {
  return held === undefined
    ? 'another process holds its lease'
    : `${describeHolder(held.holder)} holds its lease until ${new Date(held.expiresAt).toISOString()}`;
}

function accountOf(installation: Installation): string {
  return `${installation.crm} account ${installation.externalId}`;
}

/** The installation's sync lease for this command, waiting up to `waitSeconds` for a live holder; InstallationBusyError if it stays taken. */
async function takeSyncLease(store: Store, installation: Installation, waitSeconds: number, io: CrmIo): Promise<Lease> {
  const account = accountOf(installation);
  const taken = await waitForLease({ store, holder: processHolder('cli') }, syncLeaseName(installation.id), {
    waitMs: waitSeconds * 1000,
    onWait: (held) => {
      io.progress?.write(`Another sync of ${account} is running: ${heldBy(held)}; waiting up to ${waitSeconds} s\n`);
    },
  });
  if ('lease' in taken) return taken.lease;
  throw new InstallationBusyError(
    `another sync of ${account} is running: ${heldBy(taken.heldBy)} (renewed while it runs); nothing done. ` +
      (waitSeconds > 0
        ? `It was still running after ${waitSeconds} s; run again later or wait longer (--wait <seconds>).`
        : 'Run again when it has ended, or wait for it with --wait <seconds>.'),
  );
}

/**
 * `righttouch sync`: under the installation's lease (`sync:<id>`, the one the server's runs take),
 * so that it never runs beside a scheduled, webhook or "sync now" run, or another command. While
 * a live holder has it, the command refuses (InstallationBusyError: exit code 3), or with
 * `wait` (seconds) waits that long for it; a holder of this host whose process is gone (a command
 * killed with SIGKILL) is taken over at once (src/jobs/lease.ts). A dry run takes no lease.
 */
export async function runSync(
  options: CrmCommandOptions & {
    readonly full?: boolean | undefined;
    readonly dryRun?: boolean | undefined;
    /** Seconds to wait for another sync of the installation to end (default 0: refuse at once). */
    readonly wait?: number | undefined;
  },
  io: CrmIo,
): Promise<SyncReport> {
  return withCrm(options, io, async ({ connector, mapping, store, installation, policy }) => {
    // A dry run writes nothing to the CRM and moves no cursor: it previews beside a running sync.
    const lease = options.dryRun === true ? undefined : await takeSyncLease(store, installation, options.wait ?? 0, io);
    try {
      const firstRun = (await store.getCursor(installation.id, 'companies.modified')) === undefined;
      const progress = io.progress === undefined ? undefined : progressReporter(io.progress);
      const report = await sync({
        store,
        connector,
        mapping,
        installationId: installation.id,
        policy,
        full: options.full === true || firstRun,
        dryRun: options.dryRun === true,
        clock: io.clock,
        onProgress: progress?.onProgress,
        shouldStop: () => {
          if (lease?.lost() === true) {
            throw new RunStoppedError(
              `stopped: lost the lease ${lease.name} (not renewed in time; another process may be syncing ${accountOf(installation)}); run it again`,
            );
          }
          return false;
        },
      }).finally(() => progress?.done());
      if (options.json === true) io.stdout.write(`${JSON.stringify(report)}\n`);
      else io.stdout.write(describeReport(report));
      return report;
    } finally {
      await lease?.release();
    }
  });
}

export function describeReport(report: SyncReport): string {
  const lines = [
    `${report.kind} sync${report.dryRun ? ' (dry run: nothing written)' : ''}: read ${report.pulled.companies} companies, ${report.pulled.contacts} contacts, ${report.pulled.deals} deals` +
      (report.deleted > 0 ? `; ${report.deleted} deleted in the CRM` : ''),
    `${report.changed} of ${report.decided} records changed tier or reason; ` +
      (report.dryRun
        ? `writing them would take about ${report.writeCalls} API calls`
        : `${report.written} written in ${report.writeCalls} update calls`) +
      `; ${report.apiCalls} API calls in all`,
  ];
  if (report.leadScore?.source === 'picked') {
    lines.push(
      `Lead score: read from contacts.${report.leadScore.property ?? ''} (picked now, kept from now on; see setup)`,
    );
  }
  for (const warning of report.leadScore?.warnings ?? []) lines.push(`Warning: ${warning}`);
  for (const rejected of report.rejected.slice(0, 20)) {
    lines.push(`  refused by the CRM: ${rejected.type} ${rejected.id}: ${rejected.error}`);
  }
  if (report.rejected.length > 20) lines.push(`  … and ${report.rejected.length - 20} more (see the rejected rows)`);
  if (report.kind === 'incremental') {
    const moves = describeMoves(report, 20);
    if (moves !== '') lines.push(moves);
  }
  return `${lines.join('\n')}\n\n${renderSummary(report.summary)}`;
}

/** Up to `limit` records that moved tier, one line each with the reason ("" when none moved). */
export function describeMoves(report: SyncReport, limit: number): string {
  const label = (tier: string | null): string => (tier === null ? 'none' : (report.tierLabels[tier] ?? tier));
  const lines = report.moves
    .slice(0, limit)
    .map(
      (move) =>
        `  ${move.type} ${move.id}: ${label(move.from)} → ${label(move.to)} (${move.reasons.join('; ') || 'no reason given'})`,
    );
  if (report.moved > lines.length) lines.push(`  … and ${report.moved - lines.length} more`);
  return lines.join('\n');
}
