/** Canonical records and previous tiers (spec §1, §7), and their checks for input read from outside. */

export type RecordType = 'company' | 'contact';

export interface CanonicalRecord {
  readonly type: RecordType;
  readonly id: string;
  /** Contacts only: the id of the contact's primary company. */
  readonly companyId?: string | null | undefined;
  /** A tier value a person set in the CRM; invalid values are ignored and said so. */
  readonly override?: unknown;
  /** Canonical field name → value. Values other than numbers, strings and booleans read as missing. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface PreviousTier {
  readonly type: RecordType;
  readonly id: string;
  readonly tier: string;
  /** ISO 8601 time the record entered `tier`. */
  readonly since: string;
  /** `since` as epoch milliseconds, when already parsed (checkPreviousTier fills it in). */
  readonly sinceMs?: number | undefined;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as it appeared in the input, for messages (JSON.stringify gives undefined for nothing). */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function checkIdentity(value: Record<string, unknown>): string | undefined {
  const { type, id } = value;
  if (type !== 'company' && type !== 'contact') {
    return `"type" must be "company" or "contact", got ${shown(type)}`;
  }
  if (typeof id !== 'string' || id === '') return `"id" must be a non-empty string, got ${shown(id)}`;
  return undefined;
}

/**
 * Checks one parsed JSON value as a canonical record. Only the record's shape can fail here;
 * odd field values are not problems (they read as missing).
 */
export function checkRecord(value: unknown): Checked<CanonicalRecord> {
  if (!isPlainObject(value)) return { ok: false, problem: 'expected a JSON object' };
  const identity = checkIdentity(value);
  if (identity !== undefined) return { ok: false, problem: identity };
  const { fields, companyId } = value;
  if (fields !== undefined && !isPlainObject(fields)) {
    return { ok: false, problem: '"fields" must be an object of field name → value' };
  }
  if (companyId !== undefined && companyId !== null && typeof companyId !== 'string') {
    return { ok: false, problem: `"companyId" must be a string or null, got ${shown(companyId)}` };
  }
  if (fields === undefined) return { ok: true, value: { ...(value as object), fields: {} } as CanonicalRecord };
  return { ok: true, value: value as unknown as CanonicalRecord };
}

/** Checks one parsed JSON value as a previous tier. The tier itself may be any string: retired tiers are ignored later. */
export function checkPreviousTier(value: unknown): Checked<PreviousTier> {
  if (!isPlainObject(value)) return { ok: false, problem: 'expected a JSON object' };
  const identity = checkIdentity(value);
  if (identity !== undefined) return { ok: false, problem: identity };
  const { tier, since } = value;
  if (typeof tier !== 'string' || tier === '') {
    return { ok: false, problem: `"tier" must be a non-empty string, got ${shown(tier)}` };
  }
  const sinceMs = typeof since === 'string' ? Date.parse(since) : NaN;
  if (typeof since !== 'string' || Number.isNaN(sinceMs)) {
    return { ok: false, problem: `"since" must be an ISO 8601 time, got ${shown(since)}` };
  }
  return {
    ok: true,
    value: { type: value['type'] as PreviousTier['type'], id: value['id'] as string, tier, since, sinceMs },
  };
}
