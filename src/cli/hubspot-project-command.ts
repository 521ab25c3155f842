/**
 * `righttouch hubspot-project [--out DIR] [--base-url URL] [--check]`: writes the HubSpot
 * developer project generated from app.json (then `hs project upload` from that directory), or
 * with --check says whether the committed files are current. Refuses to drop a webhook
 * subscription the existing project lists: it must be retired in app.json (`"active": false`).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import {
  hubspotProjectFiles,
  loadManifest,
  WEBHOOKS_FILE,
  webhookSubscriptionKeys,
} from '../../connectors/hubspot/project/manifest.ts';
import { InputError } from './errors.ts';

export const DEFAULT_PROJECT_DIR = 'hubspot-project';
export const EXAMPLE_BASE_URL = 'https://righttouch.example.com';

/** Subscriptions the existing webhooks file lists (active or not) that the new one would drop. */
async function droppedSubscriptions(existingPath: string, next: string): Promise<string[]> {
  const existing = await readFile(existingPath, 'utf8').catch(() => undefined);
  if (existing === undefined) return [];
  const kept = new Set(webhookSubscriptionKeys(next));
  return webhookSubscriptionKeys(existing).filter((key) => !kept.has(key));
}

export async function runHubSpotProject(
  options: {
    out?: string | undefined;
    baseUrl?: string | undefined;
    check?: boolean | undefined;
    manifest?: string | undefined;
  },
  io: { stdout: Writable; env: Readonly<Record<string, string | undefined>> },
): Promise<boolean> {
  const baseUrl = options.baseUrl ?? io.env['PUBLIC_BASE_URL'] ?? EXAMPLE_BASE_URL;
  if (!/^https:\/\//.test(baseUrl))
    throw new InputError(`--base-url must be an https URL (HubSpot refuses others), was ${baseUrl}`);
  const out = options.out ?? DEFAULT_PROJECT_DIR;
  const files = hubspotProjectFiles(await loadManifest(options.manifest), baseUrl);
  const dropped = await droppedSubscriptions(join(out, WEBHOOKS_FILE), files[WEBHOOKS_FILE] ?? '{}');
  if (dropped.length > 0) {
    const message =
      `app.json no longer lists these webhook subscriptions, which ${join(out, WEBHOOKS_FILE)} has: ${dropped.join(', ')}. ` +
      'HubSpot keeps a deployed subscription: add each under hubspot.webhooks.retired in app.json ' +
      '(written with "active": false) instead of deleting it.';
    if (options.check !== true) throw new InputError(message);
    io.stdout.write(`${message}\n`);
    return false;
  }
  const stale: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const target = join(out, path);
    if (options.check === true) {
      const current = await readFile(target, 'utf8').catch(() => undefined);
      if (current !== content) stale.push(target);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  if (options.check === true) {
    io.stdout.write(stale.length === 0 ? `${out} is current with app.json\n` : `out of date: ${stale.join(', ')}\n`);
    return stale.length === 0;
  }
  io.stdout.write(
    `wrote ${Object.keys(files).length} files to ${out} for ${baseUrl}; upload with \`hs project upload\` there\n`,
  );
  return true;
}
