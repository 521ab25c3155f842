/**
 * Conditions (spec §2–§3): compiled once into predicates, so a million records cost one closure
 * call per leaf; and explained in words for the one rule, cap or floor that decided a record.
 */
import type { Condition, LeafCondition, Scalar } from './policy-types.ts';
import { isMissing, prepareValue, readNumber, valueEquals } from './values.ts';
import { fieldLabel, formatFieldValue, formatNumber } from './format.ts';

export type Fields = Readonly<Record<string, unknown>>;
export type Predicate = (fields: Fields) => boolean;

type Leaf =
  | { readonly field: string; readonly op: 'gt' | 'gte' | 'lt' | 'lte'; readonly value: number }
  | { readonly field: string; readonly op: 'eq' | 'neq'; readonly value: Scalar }
  | { readonly field: string; readonly op: 'in' | 'notIn'; readonly value: readonly Scalar[] }
  | { readonly field: string; readonly op: 'exists'; readonly value: boolean };

/** The one operator of a validated leaf. */
export function leafOf(condition: LeafCondition): Leaf {
  const { field } = condition;
  if (condition.gt !== undefined) return { field, op: 'gt', value: condition.gt };
  if (condition.gte !== undefined) return { field, op: 'gte', value: condition.gte };
  if (condition.lt !== undefined) return { field, op: 'lt', value: condition.lt };
  if (condition.lte !== undefined) return { field, op: 'lte', value: condition.lte };
  if (condition.eq !== undefined) return { field, op: 'eq', value: condition.eq };
  if (condition.neq !== undefined) return { field, op: 'neq', value: condition.neq };
  if (condition.in !== undefined) return { field, op: 'in', value: condition.in };
  if (condition.notIn !== undefined) return { field, op: 'notIn', value: condition.notIn };
  return { field, op: 'exists', value: condition.exists ?? true };
}

/**
 * The threshold a comparison uses. With a demotion margin `m` (and not under a `not`), `gt`/`gte`
 * thresholds move down by m·|t| and `lt`/`lte` thresholds move up by m·|t| (spec §4.3b).
 */
export function threshold(op: 'gt' | 'gte' | 'lt' | 'lte', value: number, margin: number): number {
  if (margin === 0) return value;
  return op === 'gt' || op === 'gte' ? value - margin * Math.abs(value) : value + margin * Math.abs(value);
}

function compileLeaf(leaf: Leaf, margin: number): Predicate {
  const { field } = leaf;
  switch (leaf.op) {
    case 'exists':
      return leaf.value ? (f) => !isMissing(f[field]) : (f) => isMissing(f[field]);
    case 'gt': {
      const t = threshold('gt', leaf.value, margin);
      return (f) => {
        const n = readNumber(f[field]);
        return n !== undefined && n > t;
      };
    }
    case 'gte': {
      const t = threshold('gte', leaf.value, margin);
      return (f) => {
        const n = readNumber(f[field]);
        return n !== undefined && n >= t;
      };
    }
    case 'lt': {
      const t = threshold('lt', leaf.value, margin);
      return (f) => {
        const n = readNumber(f[field]);
        return n !== undefined && n < t;
      };
    }
    case 'lte': {
      const t = threshold('lte', leaf.value, margin);
      return (f) => {
        const n = readNumber(f[field]);
        return n !== undefined && n <= t;
      };
    }
    case 'eq': {
      const v = prepareValue(leaf.value);
      return (f) => !isMissing(f[field]) && valueEquals(f[field], v);
    }
    case 'neq': {
      const v = prepareValue(leaf.value);
      return (f) => !isMissing(f[field]) && !valueEquals(f[field], v);
    }
    case 'in': {
      const vs = leaf.value.map(prepareValue);
      return (f) => !isMissing(f[field]) && vs.some((v) => valueEquals(f[field], v));
    }
    case 'notIn': {
      const vs = leaf.value.map(prepareValue);
      return (f) => !isMissing(f[field]) && !vs.some((v) => valueEquals(f[field], v));
    }
  }
}

/**
 * Compiles a condition. `margin` relaxes comparison thresholds (0: as written); leaves under a
 * `not` always stay as written.
 */
export function compileCondition(condition: Condition, margin = 0): Predicate {
  if ('all' in condition) {
    const members = condition.all.map((c) => compileCondition(c, margin));
    return (f) => members.every((m) => m(f));
  }
  if ('any' in condition) {
    const members = condition.any.map((c) => compileCondition(c, margin));
    return (f) => members.some((m) => m(f));
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not, 0);
    return (f) => !inner(f);
  }
  return compileLeaf(leafOf(condition), margin);
}

const SYMBOLS = { gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;
const NEGATED = { gt: '≤', gte: '<', lt: '≥', lte: '>' } as const;

function formatScalar(value: Scalar): string {
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

function listScalars(values: readonly Scalar[]): string {
  return values.map(formatScalar).join(', ');
}

/** The condition in words, without a record: `Deal size ≥ 25,000 or Employees ≥ 1,000`. */
export function describeCondition(condition: Condition): string {
  if ('all' in condition) {
    return condition.all.length === 0 ? 'always' : condition.all.map(describeNested).join(' and ');
  }
  if ('any' in condition) {
    return condition.any.length === 0 ? 'never' : condition.any.map(describeNested).join(' or ');
  }
  if ('not' in condition) return `not (${describeCondition(condition.not)})`;
  const leaf = leafOf(condition);
  const name = fieldLabel(leaf.field);
  switch (leaf.op) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return `${name} ${SYMBOLS[leaf.op]} ${formatNumber(leaf.value)}`;
    case 'eq':
      return `${name} is ${formatScalar(leaf.value)}`;
    case 'neq':
      return `${name} is not ${formatScalar(leaf.value)}`;
    case 'in':
      return `${name} is one of ${listScalars(leaf.value)}`;
    case 'notIn':
      return `${name} is none of ${listScalars(leaf.value)}`;
    case 'exists':
      return leaf.value ? `${name} is set` : `${name} is missing`;
  }
}

function describeNested(condition: Condition): string {
  const text = describeCondition(condition);
  return 'all' in condition || 'any' in condition ? `(${text})` : text;
}

export type Explainer = (fields: Fields) => string;

/** Explainers of conditions, compiled once per condition and margin. */
const explainerCache = new WeakMap<Condition, Map<number, Explainer>>();

/**
 * Why a condition holds for these fields, in words with the record's own values:
 * `Deal size 120,000 ≥ 100,000`. Only call it for a condition that holds (under `margin`).
 */
export function explainCondition(condition: Condition, fields: Fields, margin = 0): string {
  let byMargin = explainerCache.get(condition);
  if (byMargin === undefined) {
    byMargin = new Map();
    explainerCache.set(condition, byMargin);
  }
  let explainer = byMargin.get(margin);
  if (explainer === undefined) {
    explainer = compileExplainer(condition, margin);
    byMargin.set(margin, explainer);
  }
  return explainer(fields);
}

/** An explainer with everything that does not depend on the record worked out in advance. */
function compileExplainer(condition: Condition, margin: number): Explainer {
  if ('all' in condition) {
    if (condition.all.length === 0) return () => 'always';
    const members = condition.all.map((c) => compileExplainer(c, margin));
    return (fields) => members.map((explain) => explain(fields)).join(' and ');
  }
  if ('any' in condition) {
    const members = condition.any.map((c) => ({
      holds: compileCondition(c, margin),
      explain: compileExplainer(c, margin),
    }));
    const described = describeCondition(condition);
    return (fields) => members.find((m) => m.holds(fields))?.explain(fields) ?? described;
  }
  if ('not' in condition) {
    const inner = condition.not;
    return (fields) => explainNegation(inner, fields);
  }
  const leaf = leafOf(condition);
  const name = fieldLabel(leaf.field);
  const { field } = leaf;
  const shown = (fields: Fields): string => {
    const raw = fields[field];
    return isMissing(raw) ? 'missing' : formatFieldValue(raw);
  };
  switch (leaf.op) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const tail = ` ${SYMBOLS[leaf.op]} ${formatNumber(threshold(leaf.op, leaf.value, margin))}`;
      return (fields) => `${name} ${formatFieldValue(readNumber(fields[field]))}${tail}`;
    }
    case 'eq':
      return (fields) => `${name} is ${shown(fields)}`;
    case 'neq': {
      const tail = `, not ${formatScalar(leaf.value)}`;
      return (fields) => `${name} is ${shown(fields)}${tail}`;
    }
    case 'in': {
      const tail = ` (one of ${listScalars(leaf.value)})`;
      return (fields) => `${name} is ${shown(fields)}${tail}`;
    }
    case 'notIn': {
      const tail = ` (none of ${listScalars(leaf.value)})`;
      return (fields) => `${name} is ${shown(fields)}${tail}`;
    }
    case 'exists':
      return leaf.value ? (fields) => `${name} is set (${shown(fields)})` : () => `${name} is missing`;
  }
}

/** Why `not inner` holds, i.e. why `inner` does not hold (leaves under `not` are never relaxed). */
function explainNegation(inner: Condition, fields: Fields): string {
  if (!('field' in inner)) return `not (${describeCondition(inner)})`;
  const leaf = leafOf(inner);
  const name = fieldLabel(leaf.field);
  const raw = fields[leaf.field];
  if (isMissing(raw)) return leaf.op === 'exists' && !leaf.value ? `${name} is set` : `${name} is missing`;
  const shown = formatFieldValue(raw);
  switch (leaf.op) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = readNumber(raw);
      return n === undefined
        ? `${name} ${shown} is not a number`
        : `${name} ${formatNumber(n)} ${NEGATED[leaf.op]} ${formatNumber(leaf.value)}`;
    }
    case 'eq':
      return `${name} is ${shown}, not ${formatScalar(leaf.value)}`;
    case 'neq':
      return `${name} is ${shown}`;
    case 'in':
      return `${name} is ${shown} (none of ${listScalars(leaf.value)})`;
    case 'notIn':
      return `${name} is ${shown} (one of ${listScalars(leaf.value)})`;
    case 'exists':
      return `${name} is set (${shown})`;
  }
}
