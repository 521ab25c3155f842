/**
 * `righttouch setup` and `righttouch sync` against a CRM. Credentials come from the environment
 * (HubSpot: HUBSPOT_ACCESS_TOKEN, and HUBSPOT_BASE_URL to point at another host such as the local
 * sandbox); the store is `data/righttouch.db` unless `--data` says otherwise.
 */
import type { Writable } from 'node:stream';
import { dirname } from 'node:path';
import { createHubSpotConnector, hubSpotOptionsFromEnv } from '../../connectors/hubspot/index.ts';
import {
  createSalesforceConnector,
  SalesforceConfigError,
  salesforceOptionsFromEnv,
} from '../../connectors/salesforce/index.ts';
import { fingerprint, seal, secretKey, unseal } from '../store/secrets.ts';
import type { Policy } from '../core/index.ts';
import type { Crm, Installation, Store } from '../store/store.ts';
import type { Connector } from '../sync/connector.ts';
import { sync } from '../sync/engine.ts';
import { resolveMapping } from '../sync/lead-score.ts';
import type { SyncReport } from '../sync/engine.ts';
import { propertiesToRead } from '../mapping/mapping.ts';
import type { Mapping } from '../mapping/mapping.ts';
import { InputError } from './errors.ts';
import { leadScoreLines } from './lead-score-lines.ts';
import { loadPolicy } from './policy-file.ts';
import { checkCrm, DEFAULT_DATA_FILE, loadMapping, openStore } from './store-commands.ts';
import { progressReporter, type ProgressStream } from './progress.ts';
import { renderSummary } from './summary-table.ts';

export const DEFAULT_POLICY_FILE = 'policies/default.json';

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
  /** Where progress goes on long runs (the CLI passes stderr). */
  readonly progress?: ProgressStream;
}

export async function connectorFromEnv(
  crm: Crm,
  env: Readonly<Record<string, string | undefined>>,
  store: Store,
  dataFile: string,
): Promise<Connector> {
  if (crm === 'salesforce') return salesforceFromEnv(env, store, dataFile);
  if ((env['HUBSPOT_ACCESS_TOKEN'] ?? '').trim() === '') {
    throw new InputError('HUBSPOT_ACCESS_TOKEN is not set: create a private app in HubSpot and export its token');
  }
  return createHubSpotConnector(hubSpotOptionsFromEnv(env));
}

/**
 * The Salesforce connector from SF_* variables. Salesforce may rotate the refresh token on every
 * refresh (and revokes the whole family when a consumed one is replayed), so the newest tokens are
 * kept in the store, sealed, under a fingerprint of the configured refresh token, and used instead.
 * (Two processes refreshing the same org at the same moment could still race: the per-installation
 * lease of the scheduler is what serializes runs.)
 */
async function salesforceFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  store: Store,
  dataFile: string,
): Promise<Connector> {
  let options;
  try {
    options = salesforceOptionsFromEnv(env);
  } catch (error) {
    if (error instanceof SalesforceConfigError) throw new InputError(error.message);
    throw error;
  }
  const configured = options.refreshToken;
  if (configured === undefined) return createSalesforceConnector(options);
  const key = secretKey(env, dirname(dataFile));
  const name = `salesforce.tokens.${fingerprint(configured)}`;
  const sealed = await store.getSecret(name);
  // The newest tokens: the refresh token (rotated) and the access token it last gave, so that the
  // next run does not refresh at all while the session lasts.
  const saved = sealed === undefined ? undefined : (JSON.parse(unseal(key, sealed)) as SavedTokens);
  return createSalesforceConnector({
    ...options,
    accessToken: saved?.accessToken ?? options.accessToken,
    refreshToken: saved?.refreshToken ?? configured,
    onTokens: async ({ accessToken, refreshToken }) => {
      const tokens: SavedTokens = { accessToken, refreshToken: refreshToken ?? saved?.refreshToken ?? configured };
      await store.putSecret(name, seal(key, JSON.stringify(tokens)), Date.now());
    },
  });
}

interface SavedTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** The installation behind the credentials, and the policy to use: --policy (saved as a new version), else the active one, else the default. */
async function prepare(store: Store, connector: Connector, crm: Crm, policyFile: string | undefined) {
  const account = await connector.identify();
  const installation = await store.upsertInstallation(crm, account.externalId, account.name);
  let policy: Policy;
  const active = await store.activePolicy(installation.id);
  if (policyFile !== undefined) {
    policy = await loadPolicy(policyFile);
    if (active === undefined || JSON.stringify(active.policy) !== JSON.stringify(policy)) {
      await store.savePolicy(installation.id, policy);
    }
  } else if (active !== undefined) {
    policy = active.policy;
  } else {
    policy = await loadPolicy(DEFAULT_POLICY_FILE);
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
  const store = await openStore(dataFile);
  try {
    const connector = await (io.connectorFor ?? connectorFromEnv)(crm, io.env, store, dataFile);
    const { installation, policy } = await prepare(store, connector, crm, options.policy);
    return await work({ crm, connector, mapping, store, installation, policy });
  } finally {
    await store.close();
  }
}

export async function runSetup(
  options: CrmCommandOptions & { readonly leadScore?: string | undefined },
  io: CrmIo,
): Promise<void> {
  await withCrm(options, io, async ({ crm, connector, mapping, store, installation, policy }) => {
    const report = await connector.setup(policy.tiers);
    const chosen = options.leadScore?.trim();
    if (chosen !== undefined && chosen !== '') {
      await store.saveSettings(installation.id, { ...installation.settings, leadScoreProperty: chosen });
    }
    const resolved = await resolveMapping(store, connector, installation.id, mapping, { list: true });
    const preflight = await connector.preflight({
      companies: propertiesToRead(resolved.mapping, 'company'),
      contacts: propertiesToRead(resolved.mapping, 'contact'),
      deals: propertiesToRead(resolved.mapping, 'deal'),
    });
    if (options.json === true) {
      const leadScore = resolved.leadScore ?? null;
      io.stdout.write(`${JSON.stringify({ installation, changes: report.changes, preflight, leadScore })}\n`);
      return;
    }
    const lines = [
      `${crm} account ${installation.externalId}${installation.name === null ? '' : ` (${installation.name})`}`,
      report.changes.length === 0 ? 'Properties already set up: nothing to change.' : 'Set up:',
      ...report.changes.map((change) => `  - ${change}`),
    ];
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

export async function runSync(
  options: CrmCommandOptions & { readonly full?: boolean | undefined; readonly dryRun?: boolean | undefined },
  io: CrmIo,
): Promise<SyncReport> {
  return withCrm(options, io, async ({ connector, mapping, store, installation, policy }) => {
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
    }).finally(() => progress?.done());
    if (options.json === true) io.stdout.write(`${JSON.stringify(report)}\n`);
    else io.stdout.write(describeReport(report));
    return report;
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
