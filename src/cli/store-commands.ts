/**
 * CLI commands that read the store: `history` (a record's tier changes) and `preview` (a candidate
 * policy run on the mirror: distribution, movement matrix and the writes applying it would cost).
 */
import type { Writable } from 'node:stream';
import { InputError } from '../app/errors.ts';
import { loadMapping, loadPolicy } from '../app/policy.ts';
import { openStore } from '../app/store.ts';
import type { Crm, Installation, Store } from '../store/store.ts';
import { previewPolicy } from '../sync/preview.ts';
import { platformFor } from '../../connectors/platforms.ts';
import { renderSummary, table } from './summary-table.ts';

export interface StoreOptions {
  readonly crm: string;
  readonly data?: string | undefined;
  /** The portal/org id, when the store holds more than one installation of that CRM. */
  readonly account?: string | undefined;
}

export function checkCrm(crm: string): Crm {
  if (crm !== 'hubspot' && crm !== 'salesforce') {
    throw new InputError(`--crm: expected hubspot or salesforce, got ${JSON.stringify(crm)}`);
  }
  return crm;
}

export async function findInstallation(store: Store, options: StoreOptions): Promise<Installation> {
  const crm = checkCrm(options.crm);
  const candidates = (await store.listInstallations()).filter(
    (i) => i.crm === crm && (options.account === undefined || i.externalId === options.account),
  );
  const [only, ...others] = candidates;
  if (only === undefined) {
    throw new InputError(`no ${crm} installation in the store yet: run \`righttouch sync --crm ${crm}\` first`);
  }
  if (others.length > 0) {
    throw new InputError(
      `several ${crm} installations (${candidates.map((c) => c.externalId).join(', ')}): choose one with --account`,
    );
  }
  return only;
}

export async function runHistory(
  options: StoreOptions & {
    readonly id: string;
    readonly type?: string | undefined;
    readonly json?: boolean | undefined;
  },
  io: { readonly stdout: Writable },
): Promise<void> {
  const type = options.type ?? 'company';
  if (type !== 'company' && type !== 'contact') {
    throw new InputError(`--type: expected company or contact, got ${JSON.stringify(type)}`);
  }
  const store = await openStore(options.data);
  try {
    const installation = await findInstallation(store, options);
    const current = await store.storedTier(installation.id, type, options.id);
    const history = await store.history(installation.id, type, options.id);
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ current: current ?? null, history })}\n`);
      return;
    }
    if (current === undefined) {
      io.stdout.write(`No tier recorded for ${type} ${options.id}.\n`);
      return;
    }
    const lines = [
      `${type} ${options.id}: ${current.tier} since ${new Date(current.since).toISOString()}`,
      ...current.reasons.map((reason) => `  - ${reason}`),
      ...(current.hint === undefined || current.hint === null ? [] : [`  Next: ${current.hint}`]),
      '',
      table([
        ['When', 'From', 'To', 'Run'],
        ...history.map((h) => [new Date(h.at).toISOString(), h.oldTier ?? '(none)', h.newTier, h.runId.slice(0, 8)]),
      ]),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await store.close();
  }
}

export async function runPreview(
  options: StoreOptions & {
    readonly policy: string;
    readonly mapping?: string | undefined;
    readonly json?: boolean | undefined;
  },
  io: { readonly stdout: Writable; readonly clock?: () => Date },
): Promise<void> {
  const policy = await loadPolicy(options.policy);
  const store = await openStore(options.data);
  try {
    const installation = await findInstallation(store, options);
    const mapping = await loadMapping(installation.crm, options.mapping);
    const now = io.clock?.() ?? new Date();
    const { summary, movements, changed, rewritten, apiCalls } = await previewPolicy(
      store,
      installation.id,
      mapping,
      policy,
      now,
      platformFor(installation.crm).writeLimits.recordsPerWriteCall,
    );
    if (options.json === true) {
      io.stdout.write(
        `${JSON.stringify({
          summary,
          movements: movements.map(({ type, from, to, count }) => ({ type, from, to, count })),
          changed,
          rewritten,
          apiCalls,
        })}\n`,
      );
      return;
    }
    const rows = [['Type', 'Now', 'With this policy', 'Records']];
    for (const { type, from, to, count } of movements) rows.push([type, from, to, String(count)]);
    io.stdout.write(
      `${renderSummary(summary)}\nMovements (current tier → tier under this policy)\n${table(rows)}\n\n` +
        `Applying it would move ${changed} record${changed === 1 ? '' : 's'} to another tier` +
        (rewritten === 0 ? '' : ` and give ${rewritten} more a new reason or next-tier hint`) +
        `: about ${apiCalls} update call${apiCalls === 1 ? '' : 's'} (nothing was written).\n`,
    );
  } finally {
    await store.close();
  }
}
