/**
 * Finding a mirrored record the way people know it: by its id, or by a prefix of its name, domain
 * or email (src/mapping/display.ts), ignoring case. Each search column is read as a byte-order
 * range from the prefix to the next prefix (`acme` → `>= 'acme' AND < 'acmf'`), which its index
 * serves on both engines (migration 6; the operators are the driver's, `textOps`) and which makes
 * `%` and `_` plain characters (nothing here is a LIKE pattern). Each column gives at most a page
 * (+1, to tell whether there are more), read in index order; the pages are merged, by name.
 */
import type { RecordType } from '../../core/index.ts';
import { searchKey } from '../../mapping/display.ts';
import type { RecordDisplay } from '../../mapping/display.ts';
import type { FoundRecord, FoundRecords, RecordQuery } from '../store.ts';
import type { SqlQueries, TextOps } from './driver.ts';
import type { Row } from './row.ts';
import { optJson, optStr, str } from './row.ts';

/** Matches in a page unless asked otherwise, and the most a page may hold. */
export const FIND_PAGE = 20;
export const FIND_MAX = 100;

export const SEARCH_COLUMNS = ['search_name', 'search_domain', 'search_email'] as const;

const MAX_CODE_POINT = 0x10ffff;

/**
 * The least text greater than every text starting with `prefix`, in code-point order (which is
 * UTF-8 byte order): the prefix with its last code point counted up (skipping the surrogates);
 * undefined when there is none (a prefix of only U+10FFFF).
 */
export function nextPrefix(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (points.length > 0 && points[points.length - 1] === MAX_CODE_POINT) points.pop();
  const last = points.pop();
  if (last === undefined) return undefined;
  const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
  return String.fromCodePoint(...points, next);
}

const SELECT = `SELECT m.type, m.id, m.display, t.tier FROM mirror_records m
  LEFT JOIN tiers t ON t.installation_id = m.installation_id AND t.type = m.type AND t.id = m.id`;

function found(row: Row): FoundRecord {
  return {
    type: str(row, 'type') === 'contact' ? 'contact' : 'company',
    id: str(row, 'id'),
    display: (optJson(row, 'display') as RecordDisplay | null) ?? null,
    tier: optStr(row, 'tier'),
  };
}

/**
 * One column's prefix search. Parameters: installation id, the prefix, the next prefix (when
 * `bounded`), the type (when `typed`), the limit.
 */
export function prefixSql(
  ops: TextOps,
  column: (typeof SEARCH_COLUMNS)[number],
  typed: boolean,
  bounded: boolean,
): string {
  const upper = bounded ? ` AND m.${column} ${ops.below} ?` : '';
  const type = typed ? ' AND m.type = ?' : '';
  return `${SELECT} WHERE m.installation_id = ? AND m.${column} ${ops.atLeast} ?${upper}${type}
    ORDER BY m.${column}${ops.ascending} LIMIT ?`;
}

export async function findRecords(db: SqlQueries, installationId: string, query: RecordQuery): Promise<FoundRecords> {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? FIND_PAGE), 1), FIND_MAX);
  const types: readonly RecordType[] = query.type === undefined ? ['company', 'contact'] : [query.type];
  const typeIn = `m.type IN (${types.map(() => '?').join(', ')})`;
  const byKey = new Map<string, FoundRecord>();
  let more = false;
  const add = (rows: Row[]): void => {
    if (rows.length > limit) more = true;
    for (const row of rows.slice(0, limit)) {
      const record = found(row);
      byKey.set(`${record.type}\u0000${record.id}`, record);
    }
  };
  // An id is matched exactly, as given (Salesforce ids are case-sensitive).
  const id = query.text.trim();
  if (id !== '') {
    add(
      await db.query(`${SELECT} WHERE m.installation_id = ? AND ${typeIn} AND m.id = ?`, [
        installationId,
        ...types,
        id,
      ]),
    );
  }
  const prefix = searchKey(query.text);
  if (prefix !== null) {
    const next = nextPrefix(prefix);
    for (const column of SEARCH_COLUMNS) {
      const sql = prefixSql(db.textOps, column, query.type !== undefined, next !== undefined);
      const bounds = next === undefined ? [prefix] : [prefix, next];
      const type = query.type === undefined ? [] : [query.type];
      add(await db.query(sql, [installationId, ...bounds, ...type, limit + 1]));
    }
  }
  const matches = [...byKey.values()].sort(byName);
  if (matches.length > limit) more = true;
  return { matches: matches.slice(0, limit), more };
}

/** By name as searched (records without one last), then type and id: the order of a page. */
function byName(a: FoundRecord, b: FoundRecord): number {
  const an = searchKey(a.display?.name);
  const bn = searchKey(b.display?.name);
  if (an !== bn) {
    if (an === null) return 1;
    if (bn === null) return -1;
    return an < bn ? -1 : 1;
  }
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
