/**
 * The policy draft as the editor holds it: plain JSON, possibly invalid (a threshold typed as
 * "abc" stays "abc" so that the server names the problem next to the field), read and changed by
 * path. Paths are written as the server writes problem paths (`company.rules[0].when.gte`).
 */
import { formatPath } from '../../../src/core/policy-problems.ts';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };
export type Segment = string | number;
export type Path = readonly Segment[];

export { formatPath };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

export function asArray(value: unknown): readonly Json[] | undefined {
  return Array.isArray(value) ? (value as readonly Json[]) : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function getAt(root: Json | undefined, path: Path): Json | undefined {
  let current: Json | undefined = root;
  for (const segment of path) {
    if (typeof segment === 'number') current = asArray(current)?.[segment];
    else current = asObject(current)?.[segment];
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * `root` with the value at `path` replaced (a copy along the path; the rest shared). `undefined`
 * removes the key, or the element of an array. Missing containers on the way are created.
 */
export function setAt(root: Json | undefined, path: Path, value: Json | undefined): Json | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (typeof head === 'number') {
    const list = [...(asArray(root) ?? [])];
    const next = setAt(list[head], rest, value);
    if (next === undefined) list.splice(head, 1);
    else list[head] = next;
    return list;
  }
  const object = asObject(root) ?? {};
  const next = setAt(object[head], rest, value);
  if (next === undefined) return Object.fromEntries(Object.entries(object).filter(([key]) => key !== head));
  return { ...object, [head]: next };
}

/** Renames key `from` of the object at `path` to `to`, keeping the keys' order. */
export function renameKey(root: Json | undefined, path: Path, from: string, to: string): Json | undefined {
  const object = asObject(getAt(root, path));
  if (object === undefined || from === to) return root;
  const renamed = Object.fromEntries(Object.entries(object).map(([key, value]) => [key === from ? to : key, value]));
  return setAt(root, path, renamed);
}

/** Moves element `index` of the array at `path` by `by` places (no-op at the ends). */
export function moveItem(root: Json | undefined, path: Path, index: number, by: number): Json | undefined {
  const list = [...(asArray(getAt(root, path)) ?? [])];
  const target = index + by;
  if (target < 0 || target >= list.length) return root;
  const [item] = list.splice(index, 1);
  if (item === undefined) return root;
  list.splice(target, 0, item);
  return setAt(root, path, list);
}

/** True when problem path `path` is `container` or lies inside it. */
export function isWithin(path: string, container: string): boolean {
  if (container === '(policy)') return true;
  return path === container || path.startsWith(`${container}.`) || path.startsWith(`${container}[`);
}

/** The longest of `known` that holds `path` (where a problem is shown); `(policy)` when none does. */
export function anchorOf(path: string, known: ReadonlySet<string>): string {
  if (known.has(path)) return path;
  let best: string | undefined;
  for (const candidate of known) {
    if (candidate === '(policy)') continue;
    if ((best === undefined || candidate.length > best.length) && isWithin(path, candidate)) best = candidate;
  }
  return best ?? '(policy)';
}

/** An element id for a path (stable, unique enough within one page). */
export function idFor(path: string, prefix = 'f'): string {
  return `${prefix}-${path.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}
