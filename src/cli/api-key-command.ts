/**
 * `righttouch api-key --label TEXT (--crm C --account ID | --all)`: creates an admin API key and
 * prints it once (the store keeps only its SHA-256). Installs through OAuth also issue one.
 */
import type { Writable } from 'node:stream';
import { issueApiKey } from '../server/routes/oauth.ts';
import { InputError } from './errors.ts';
import { openStore } from '../app/store.ts';
import { findInstallation } from './store-commands.ts';

export async function runApiKey(
  options: {
    label: string;
    crm?: string | undefined;
    account?: string | undefined;
    all?: boolean | undefined;
    data?: string | undefined;
  },
  io: { stdout: Writable },
): Promise<void> {
  if ((options.all === true) === (options.crm !== undefined)) {
    throw new InputError('give either --all, or --crm (and --account when the store holds several of that CRM)');
  }
  const store = await openStore(options.data);
  try {
    const installationId =
      options.all === true
        ? null
        : (await findInstallation(store, { crm: options.crm ?? '', account: options.account })).id;
    const key = await issueApiKey(store, installationId, options.label, Date.now());
    io.stdout.write(`${key}\n`);
  } finally {
    await store.close();
  }
}
