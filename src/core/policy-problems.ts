/** Turning zod issues into problems an admin can act on: `path: what was wrong and what was expected`. */
import type * as z from 'zod';

type PathSegment = PropertyKey;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["company","rules",2,"tier"]` → `company.rules[2].tier`; the empty path is `(policy)`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? '(policy)' : out;
}

/** A short description of a value for messages: strings quoted and cut, containers named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const cut = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

const KNOWN_KEYS = [
  'version',
  'tiers',
  'value',
  'label',
  'company',
  'contact',
  'default',
  'rules',
  'caps',
  'floors',
  'capacity',
  'hysteresis',
  'inherit',
  'tier',
  'when',
  'maxTier',
  'minTier',
  'max',
  'csms',
  'accountsPerCsm',
  'rankBy',
  'field',
  'order',
  'preferIncumbents',
  'demotionMargin',
  'minDaysInTier',
  'all',
  'any',
  'not',
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'notIn',
  'exists',
];

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      const left = previous[j - 1] ?? 0;
      previous[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

function unknownKeyMessage(key: string, parentPath: readonly PathSegment[]): string {
  if (key === 'capacity' && parentPath[0] === 'contact' && parentPath.length === 1) {
    return 'unknown key: capacity applies to companies only';
  }
  if (key === 'inherit' && parentPath[0] === 'company' && parentPath.length === 1) {
    return 'unknown key: inherit applies to contacts only';
  }
  const lowered = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of KNOWN_KEYS) {
    const distance = editDistance(lowered, known.toLowerCase());
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  const hint = best !== undefined && bestDistance <= 2 ? ` (did you mean "${best}"?)` : '';
  return `unknown key${hint}`;
}

const EXPECTED_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  record: 'an object',
};

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, small: boolean): string {
  const bound = Number('minimum' in issue ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'array' || issue.origin === 'set') {
    return small
      ? `expected at least ${bound} item${bound === 1 ? '' : 's'}, got ${describeLength(issue.input)}`
      : `expected at most ${bound} item${bound === 1 ? '' : 's'}, got ${describeLength(issue.input)}`;
  }
  if (issue.origin === 'string') return small ? 'must not be empty' : `must be at most ${bound} characters`;
  const op = small ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
  return `expected a number ${op} ${bound}, got ${describeValue(issue.input)}`;
}

function describeLength(input: unknown): string {
  return Array.isArray(input) ? String(input.length) : describeValue(input);
}

/** A problem whose path is still a list of keys and indexes. */
export interface RawProblem {
  readonly segments: readonly PathSegment[];
  readonly message: string;
}

/** One or more problems (unknown keys are listed one by one) for a zod issue. */
export function problemsFromIssue(issue: z.core.$ZodIssue): RawProblem[] {
  const path = issue.path;
  const one = (message: string): RawProblem[] => [{ segments: path, message }];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ segments: [...path, key], message: unknownKeyMessage(key, path) }));
    case 'invalid_type': {
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      return one(
        issue.input === undefined
          ? `is required (${expected})`
          : `expected ${expected}, got ${describeValue(issue.input)}`,
      );
    }
    case 'too_small':
      return one(sizeMessage(issue, true));
    case 'too_big':
      return one(sizeMessage(issue, false));
    case 'invalid_value':
      return one(
        `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(issue.input)}`,
      );
    case 'invalid_key':
      return one(`invalid key: ${issue.issues.map((inner) => inner.message).join('; ')}`);
    case 'invalid_format':
      return one(`${describeValue(issue.input)}: ${issue.message}`);
    default:
      return one(issue.message);
  }
}
