/**
 * Channel-member filter expressions of the fake org, evaluated on delivery as Salesforce does:
 * SOQL-like `<Field> <op> <value>` terms joined by AND / OR with parentheses; operators `=`, `!=`,
 * `<`, `<=`, `>`, `>=`, `LIKE` (`%`, `_`); text compared case-insensitively; header fields as
 * `ChangeEventHeader.<name>` except the array fields (recordIds, changedFields, nulledFields,
 * diffFields), which Salesforce refuses in a filter. No NOT: the documented logical operators are
 * AND and OR. Sources: developer.salesforce.com/docs/platform/change-data-capture/guide/
 * cdc-filter-expression-format.html, cdc-filters.html, cdc-filter-considerations.html.
 */
import type { Value } from './model.ts';

type Node = { kind: 'and' | 'or'; left: Node; right: Node } | { kind: 'term'; field: string; op: string; value: Value };

export interface FilterSubject {
  readonly header: Readonly<Record<string, unknown>>;
  /** The record's current field values (a filtered field is enriched into the event). */
  readonly fields: Readonly<Record<string, Value>>;
}

const ARRAY_HEADER_FIELDS = new Set(['recordids', 'changedfields', 'nulledfields', 'difffields']);
const TOKEN = /\s*(\(|\)|!=|<=|>=|=|<|>|'(?:[^'\\]|\\.)*'|[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?)/y;

export class FilterError extends Error {}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(text);
    if (match === null) throw new FilterError(`invalid filter expression near: ${text.slice(TOKEN.lastIndex)}`);
    tokens.push(match[1] ?? '');
  }
  return tokens;
}

/** Parses a filter expression; throws FilterError for what Salesforce would refuse. */
export function parseFilter(text: string): Node {
  const tokens = tokenize(text);
  let at = 0;
  const next = (): string => {
    const token = tokens[at++];
    if (token === undefined) throw new FilterError('incomplete filter expression');
    return token;
  };
  const term = (): Node => {
    const token = next();
    if (token === '(') {
      const inner = or();
      if (next() !== ')') throw new FilterError('missing )');
      return inner;
    }
    const field = token;
    if (/^ChangeEventHeader\./i.test(field) && ARRAY_HEADER_FIELDS.has(field.split('.')[1]?.toLowerCase() ?? '')) {
      throw new FilterError(`array field ${field} is not supported in a filter expression`);
    }
    const op = next().toUpperCase();
    if (!['=', '!=', '<', '<=', '>', '>=', 'LIKE'].includes(op)) throw new FilterError(`unsupported operator ${op}`);
    const raw = next();
    const value: Value = raw.startsWith("'")
      ? raw.slice(1, -1).replace(/\\(.)/g, '$1')
      : /^(true|false)$/i.test(raw)
        ? raw.toLowerCase() === 'true'
        : /^null$/i.test(raw)
          ? null
          : Number(raw);
    return { kind: 'term', field, op, value };
  };
  const and = (): Node => {
    let left = term();
    while (tokens[at]?.toUpperCase() === 'AND') {
      at++;
      left = { kind: 'and', left, right: term() };
    }
    return left;
  };
  const or = (): Node => {
    let left = and();
    while (tokens[at]?.toUpperCase() === 'OR') {
      at++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const tree = or();
  if (at !== tokens.length) throw new FilterError(`unexpected ${tokens[at] ?? ''}`);
  return tree;
}

function like(text: string, pattern: string): boolean {
  const regex = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${regex}$`, 'is').test(text);
}

function compare(actual: unknown, op: string, expected: Value): boolean {
  const a = typeof actual === 'string' ? actual.toLowerCase() : actual;
  const e = typeof expected === 'string' ? expected.toLowerCase() : expected;
  switch (op) {
    case '=':
      return (a ?? null) === e;
    case '!=':
      return (a ?? null) !== e;
    case 'LIKE':
      return typeof actual === 'string' && typeof expected === 'string' && like(actual, expected);
    default: {
      if (a === null || a === undefined || e === null) return false;
      const [x, y] = [a as number | string, e as number | string];
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
  }
}

export function matchesFilter(node: Node, subject: FilterSubject): boolean {
  if (node.kind !== 'term') {
    const left = matchesFilter(node.left, subject);
    return node.kind === 'and'
      ? left && matchesFilter(node.right, subject)
      : left || matchesFilter(node.right, subject);
  }
  const [head, rest] = node.field.split(/\.(.*)/s);
  const actual =
    head?.toLowerCase() === 'changeeventheader' && rest !== undefined
      ? subject.header[rest]
      : Object.entries(subject.fields).find(([name]) => name.toLowerCase() === node.field.toLowerCase())?.[1];
  return compare(actual, node.op, node.value);
}

export type FilterNode = Node;
