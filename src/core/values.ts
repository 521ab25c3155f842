/**
 * How the core reads canonical field values (spec §1 and §3). Every function here is total:
 * any JavaScript value goes in, garbage reads as missing, nothing throws.
 */

const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Missing: absent, null, a string that is empty after trimming, or a value that is not a scalar. */
export function isMissing(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  return typeof value !== 'number' && typeof value !== 'boolean';
}

/** A finite number, or a plain decimal string (no separators, no exponent); otherwise undefined. */
export function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return NUMBER_PATTERN.test(trimmed) ? Number(trimmed) : undefined;
}

/** `true`/`false`, or the strings "true"/"false" in any case; otherwise undefined. */
export function readBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lowered = value.trim().toLowerCase();
  if (lowered === 'true') return true;
  if (lowered === 'false') return false;
  return undefined;
}

/** The string form used by the case-insensitive comparison of §3. */
export function comparableString(value: unknown): string {
  return String(value).trim().toLowerCase();
}

/**
 * A policy-side value prepared once, so that comparing it with a million field values does not
 * re-read it each time.
 */
export interface PreparedValue {
  readonly raw: number | string | boolean;
  readonly asNumber: number | undefined;
  readonly asBoolean: boolean | undefined;
  readonly asString: string;
}

export function prepareValue(raw: number | string | boolean): PreparedValue {
  return {
    raw,
    asNumber: readNumber(raw),
    asBoolean: readBoolean(raw),
    asString: comparableString(raw),
  };
}

/** Equality of §3: numeric, else boolean, else trimmed case-insensitive strings. */
export function valueEquals(field: unknown, value: PreparedValue): boolean {
  if (value.asNumber !== undefined) {
    const n = readNumber(field);
    if (n !== undefined) return n === value.asNumber;
  }
  if (value.asBoolean !== undefined) {
    const b = readBoolean(field);
    if (b !== undefined) return b === value.asBoolean;
  }
  return comparableString(field) === value.asString;
}
