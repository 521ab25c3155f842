/** Wording for people: numbers as `120,000`, field names as `Deal size`, ranks as `134th`. */
import { isMissing, readNumber } from './values.ts';

const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `120000` → `120,000`; `12000.5` → `12,000.5` (at most 2 decimals). */
export function formatNumber(value: number): string {
  // Whole numbers are most of what reasons show: group them by hand, Intl is slow per call.
  if (Number.isSafeInteger(value)) {
    const digits = String(Math.abs(value));
    if (digits.length <= 3) return value < 0 ? `-${digits}` : digits;
    let grouped = digits.slice(0, digits.length % 3 || 3);
    for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
    return value < 0 ? `-${grouped}` : grouped;
  }
  return NUMBER_FORMAT.format(value);
}

/** A field's value as read on a record: numbers grouped, strings as written (cut when long). */
/** The reason of a record decided by its override (spec §4 step 1), for the tier's label. */
export function overrideReason(label: string): string {
  return `Manual override → ${label}`;
}

export function formatFieldValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed.length > 40 ? `${trimmed.slice(0, 37)}...` : trimmed;
  }
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return 'missing';
  // Anything else is garbage from outside (it reads as missing): name it, never stringify it.
  return Array.isArray(value) ? 'a list' : `a value of type ${typeof value}`;
}

/** A value set by a person in the CRM (an override), quoted when it is text. */
export function formatInputValue(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
    : formatFieldValue(value);
}

const fieldLabels = new Map<string, string>();

/** `dealSize` → `Deal size`, `annual_revenue` → `Annual revenue`. */
export function fieldLabel(field: string): string {
  let label = fieldLabels.get(field);
  if (label === undefined) {
    const words = field
      .replace(/[_-]+/g, ' ')
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .trim()
      .toLowerCase();
    label = words === '' ? field : words.charAt(0).toUpperCase() + words.slice(1);
    fieldLabels.set(field, label);
  }
  return label;
}

export function ordinal(n: number): string {
  const lastTwo = n % 100;
  const suffix = lastTwo >= 11 && lastTwo <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${formatNumber(n)}${suffix}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/** What `formatNextHint` needs of a hint (spec §8's `next`). */
export interface NextHintLike {
  readonly tier: string;
  readonly field: string;
  readonly op: 'gte' | 'gt';
  readonly value: number;
}

/**
 * The next-tier hint in words, with the record's own value: `Deal size 120,000 is 30,000 short of
 * High-touch (≥ 150,000)`, or `Deal size is not set; High-touch needs ≥ 150,000`. The tier's label
 * comes from the policy's tiers; the field's from `labelOf` (e.g. the CRM property's label) when it
 * knows one, else the field name made readable (`dealSize` → `Deal size`).
 */
export function formatNextHint(
  hint: NextHintLike,
  fields: Readonly<Record<string, unknown>>,
  tiers: readonly { readonly value: string; readonly label: string }[],
  labelOf?: (field: string) => string | undefined,
): string {
  const name = labelOf?.(hint.field) ?? fieldLabel(hint.field);
  const tier = tiers.find((t) => t.value === hint.tier)?.label ?? hint.tier;
  const needs = `${hint.op === 'gte' ? '≥' : '>'} ${formatNumber(hint.value)}`;
  const raw = fields[hint.field];
  if (isMissing(raw)) return `${name} is not set; ${tier} needs ${needs}`;
  const n = readNumber(raw);
  // Not a lever by §8, but the wording must not lie if it is ever asked.
  if (n === undefined) return `${name} ${formatFieldValue(raw)} is not a number; ${tier} needs ${needs}`;
  const short = formatNumber(hint.value - n);
  if (short === '0') {
    // At the threshold of a `gt`, or a hair below one: no amount worth showing.
    return `${name} ${formatNumber(n)} is just short of ${tier} (${needs})`;
  }
  return `${name} ${formatNumber(n)} is ${short} short of ${tier} (${needs})`;
}
