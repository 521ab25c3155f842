/**
 * Metadata API calls as setup's list views and layouts make them (jsforce `conn.metadata`,
 * src/api/metadata.ts): read/list/save in chunks of 10 components (the CRUD calls' limit), each
 * counted against the daily allocation. jsforce casts what it reads with its schema
 * (api/metadata/schema.ts): repeated elements come back as arrays, absent optional ones stay
 * absent, and an unknown full name reads as an empty component (no `fullName`), not an error.
 * Save calls report failures per component in their results instead of throwing: `failures`
 * turns those into one line each.
 */
import type { SalesforceContext } from './context.ts';

/** The Metadata API takes at most 10 components per create/update/upsert/read call. */
export const METADATA_CHUNK = 10;

export type Md = Record<string, unknown>;
/** A Metadata API type name (`ListView`, `Layout`, …), as jsforce types it. */
export type MetadataType = Parameters<SalesforceContext['conn']['metadata']['read']>[0];

export function asArray<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function isMd(value: unknown): value is Md {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The components of a type that exist, by full name. */
export async function readComponents(
  context: SalesforceContext,
  type: MetadataType,
  names: readonly string[],
): Promise<Map<string, Md>> {
  const found = new Map<string, Md>();
  for (const chunk of chunks(names, METADATA_CHUNK)) {
    const read: unknown = await context.call(() => context.metadata().read(type, chunk));
    for (const item of asArray(read)) {
      if (isMd(item) && typeof item['fullName'] === 'string' && item['fullName'] !== '') {
        found.set(item['fullName'], item);
      }
    }
  }
  return found;
}

/** Full names of every component of a type in the org (listMetadata). */
export async function listComponents(context: SalesforceContext, type: MetadataType): Promise<string[]> {
  const listed: unknown = await context.call(() => context.metadata().list({ type }));
  return asArray(listed)
    .filter(isMd)
    .map((item) => textOf(item['fullName']))
    .filter((name) => name !== '');
}

export interface SaveResult {
  readonly fullName: string;
  readonly success: boolean;
  readonly created: boolean;
  /** `STATUS_CODE: message; …` when refused. */
  readonly error: string;
}

/** Saves whole components (`upsert` or `update`), returning each one's result. */
export async function saveComponents(
  context: SalesforceContext,
  mode: 'upsert' | 'update',
  type: MetadataType,
  components: readonly Md[],
): Promise<SaveResult[]> {
  const results: SaveResult[] = [];
  for (const chunk of chunks(components, METADATA_CHUNK)) {
    const metadata = chunk as unknown as Parameters<SalesforceContext['conn']['metadata']['upsert']>[1];
    const saved: unknown = await context.call(() =>
      mode === 'upsert' ? context.metadata().upsert(type, metadata) : context.metadata().update(type, metadata),
    );
    for (const result of asArray(saved).filter(isMd)) {
      const errors = asArray(result['errors'])
        .filter(isMd)
        .map((e) => `${textOf(e['statusCode']) || 'ERROR'}: ${textOf(e['message'])}`);
      results.push({
        fullName: textOf(result['fullName']),
        success: String(result['success']) === 'true',
        created: String(result['created']) === 'true',
        error: errors.join('; ') || 'failed',
      });
    }
  }
  return results;
}
