/**
 * How people know a record: a company by its name and web domain, a contact by name and email.
 * The mapping's `display` section (per type) names the CRM properties these are read from; they
 * are kept in the mirror beside the record (src/store/sql/find.ts) so the admin API and UI can find
 * a record by them. The tiering never reads them.
 *
 * Read leniently: parts of a name are joined with a space (a contact's first name is often empty:
 * Salesforce requires only `LastName`, HubSpot neither); a domain is taken from whatever the
 * property holds — HubSpot's `domain` is a bare domain, Salesforce's Account `Website` is a free
 * URL field (`https://www.acme.com/about`, `www.acme.com`, `acme.com`), so the scheme, `www.`,
 * port and path are dropped; blank text is no value.
 */
import * as z from 'zod';
import type { CanonicalRecord } from '../core/index.ts';

const property = z.string().refine((s) => s.trim() !== '', { error: 'must not be empty' });

/** A mapping's `company.display` / `contact.display`. */
export const displaySchema = z.strictObject({
  /** Properties whose values, joined with spaces, make the name (e.g. first name, last name). */
  name: z.array(property).min(1).optional(),
  /** A property holding a web domain or a website URL. */
  domain: property.optional(),
  email: property.optional(),
});

export type DisplaySpec = z.infer<typeof displaySchema>;

/** The text a record is known by, as the CRM holds it (domain reduced to its host name). */
export interface RecordDisplay {
  readonly name: string | null;
  readonly domain: string | null;
  readonly email: string | null;
}

/** A mapped record on its way into the mirror, with what it is known by (null: the mapping says nothing). */
export type DisplayedRecord = CanonicalRecord & { readonly display?: RecordDisplay | null | undefined };

/** The properties a display section reads. */
export function displayProperties(spec: DisplaySpec | undefined): string[] {
  if (spec === undefined) return [];
  return [...(spec.name ?? []), spec.domain, spec.email].filter((name) => name !== undefined);
}

function text(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.replace(/\s+/g, ' ').trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * The host name of a domain or URL, lower-cased, without `www.`: `https://www.Acme.com:443/about`
 * → `acme.com`. Text that has no host name (`n/a`, spaces) is no domain.
 */
export function domainOf(value: string | null | undefined): string | null {
  const raw = text(value);
  if (raw === null) return null;
  const host = raw
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/^[^/?#]*@/, '')
    .split(/[/?#:\s]/)[0]
    ?.replace(/^www\d*\./, '')
    .replace(/\.$/, '');
  return host !== undefined && /^[^.\s]+(\.[^.\s]+)+$/.test(host) ? host : null;
}

/** What a record is known by, from its properties; null when the spec names nothing or nothing has a value. */
export function displayOf(
  spec: DisplaySpec | undefined,
  properties: Readonly<Record<string, string | null | undefined>>,
): RecordDisplay | null {
  if (spec === undefined) return null;
  const parts = (spec.name ?? []).map((name) => text(properties[name])).filter((part) => part !== null);
  const display: RecordDisplay = {
    name: parts.length === 0 ? null : parts.join(' '),
    domain: spec.domain === undefined ? null : domainOf(properties[spec.domain]),
    email: spec.email === undefined ? null : text(properties[spec.email]),
  };
  return display.name === null && display.domain === null && display.email === null ? null : display;
}

/**
 * Text as it is searched: Unicode-normalized (NFKC) and lower-cased, whitespace collapsed. Both
 * the stored search columns and what a person types go through it, so the comparison is
 * case-insensitive on every engine (SQLite's own `lower()` knows only ASCII).
 */
export function searchKey(value: string | null | undefined): string | null {
  const raw = text(value);
  return raw === null ? null : raw.normalize('NFKC').toLowerCase();
}
