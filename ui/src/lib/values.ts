/** How the form reads what an admin types into a value field, and writes a value back as text. */
import type { Json } from './json.ts';

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** `"20000"` → 20000; anything that is not a number stays the text typed (the server says why). */
export function readNumber(text: string): number | string {
  const trimmed = text.trim().replace(/(?<=\d)[,_](?=\d{3}\b)/g, '');
  return NUMBER.test(trimmed) ? Number(trimmed) : text;
}

/** A value for `eq`, `neq`, `in`, `notIn`: numbers and true/false as such, `"quoted"` as text. */
export function readScalar(text: string): Json {
  const trimmed = text.trim();
  if (/^".*"$/.test(trimmed)) return trimmed.slice(1, -1);
  if (/^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true';
  if (NUMBER.test(trimmed)) return Number(trimmed);
  return trimmed;
}

export function formatScalar(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') {
    // Text that would read back as a number or a boolean is shown quoted, so it stays text.
    return typeof readScalar(value) === 'string' && !/^".*"$/.test(value.trim()) ? value : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** `"premier, gold, 3"` → `["premier", "gold", 3]`. */
export function readList(text: string): Json[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(readScalar);
}

export function formatList(value: Json | undefined): string {
  if (!Array.isArray(value)) return formatScalar(value);
  return (value as readonly Json[]).map(formatScalar).join(', ');
}
