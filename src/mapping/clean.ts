/**
 * Cleaning CRM property values into canonical types. CRMs hand back text ("1,200.50", "$3,000",
 * "true", "2026-03-01T00:00:00Z"); garbage becomes null (missing), never an error.
 */

export type FieldType = 'number' | 'string' | 'boolean';

const CURRENCY_AND_SPACES = /[\s$€£¥]|USD|EUR|GBP/gi;
const GROUPED = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const PLAIN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** `"1,200.50"` → 1200.5, `"$3,000"` → 3000, `" 12 "` → 12, `"n/a"` → null. */
export function cleanNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  let text = value.replace(CURRENCY_AND_SPACES, '');
  const negative = /^\(.*\)$/.test(text); // accounting style: (1,200) is -1200
  if (negative) text = text.slice(1, -1);
  if (GROUPED.test(text)) text = text.replace(/,/g, '');
  if (!PLAIN.test(text)) return null;
  const number = Number(text);
  if (!Number.isFinite(number)) return null;
  return negative ? -number : number;
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'on', 'checked']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'off', 'unchecked']);

/** `"true"`, `"Yes"`, `"1"` → true; `"false"`, `"no"`, `"0"` → false; anything else → null. */
export function cleanBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : null;
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return null;
}

/** Trimmed text; empty or non-text → null. Numbers and booleans become their text. */
export function cleanString(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function cleanValue(type: FieldType, value: unknown): number | string | boolean | null {
  switch (type) {
    case 'number':
      return cleanNumber(value);
    case 'boolean':
      return cleanBoolean(value);
    case 'string':
      return cleanString(value);
  }
}

/** An epoch-milliseconds time from an ISO string or a millisecond count (HubSpot uses both); else null. */
export function cleanTime(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d{10,}$/.test(text)) return Number(text);
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time;
}
