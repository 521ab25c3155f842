/**
 * The files RightTouch ships with and the store it uses by default, in one place. The package's
 * own files (the default policy, the mappings) resolve against the package root, wherever the
 * command runs from. The default store `data/righttouch.db` is relative: the working directory
 * (`npm start`, `righttouch …` run from the checkout, the platform's app directory) — as it
 * always was, so an existing store is found where it was left.
 */
import { fileURLToPath } from 'node:url';
import type { Crm } from '../store/store.ts';

/** The package root (the folder holding package.json). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The policy an installation starts with (saved as its first version). */
export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('../../policies/default.json', import.meta.url));

/** The shipped mapping of a CRM: mappings/<crm>.json of this package. */
export function defaultMappingFile(crm: Crm): string {
  return fileURLToPath(new URL(`../../mappings/${crm}.json`, import.meta.url));
}

/** The SQLite store when neither `--data` nor DATABASE_URL says otherwise. */
export const DEFAULT_DATA_FILE = 'data/righttouch.db';
