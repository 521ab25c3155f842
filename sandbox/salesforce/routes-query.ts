/**
 * `GET /services/data/vXX.X/query?q=` and `/queryAll?q=` (deleted rows too), paged with
 * `nextRecordsUrl` (`/query/{locator}`); the page size comes from `Sforce-Query-Options:
 * batchSize=N` (200–2000, default 2000). Rows are snapshotted when the query runs, as a
 * Salesforce cursor is. `convertCurrency()` fields come in the user's currency (currency.ts).
 */
import express, { type Request, type Router } from 'express';
import { convertForUser } from './currency.ts';
import { SfHttpError } from './errors.ts';
import { param, type SalesforceContext, userOf } from './context.ts';
import type { FieldDef, Value } from './model.ts';
import { compileSoql, type RelationshipField } from './soql.ts';

type Row = Record<string, unknown>;

interface Cursor {
  readonly rows: Row[];
  readonly batchSize: number;
  readonly version: string;
}

const DEFAULT_BATCH = 2000;

function batchSizeOf(req: Request): number {
  const header = req.get('sforce-query-options') ?? '';
  const match = /batchSize\s*=\s*(\d+)/i.exec(header);
  if (match === null) return DEFAULT_BATCH;
  return Math.min(DEFAULT_BATCH, Math.max(200, Number(match[1])));
}

export function queryRoutes(context: SalesforceContext): Router {
  const router = express.Router();
  const cursors = new Map<string, Cursor>();

  const page = (locatorId: string, cursor: Cursor, offset: number): Record<string, unknown> => {
    const end = offset + cursor.batchSize;
    const records = cursor.rows.slice(offset, end);
    const done = end >= cursor.rows.length;
    if (done) cursors.delete(locatorId);
    return {
      totalSize: cursor.rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/${cursor.version}/query/${locatorId}-${end}` }),
      records,
    };
  };

  const run = (scanAll: boolean): express.RequestHandler => {
    return (req, res) => {
      const version = param(req, 'version');
      const q = req.query['q'];
      if (typeof q !== 'string' || q.trim() === '') {
        throw new SfHttpError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      }
      const userId = userOf(res);
      const { org } = context;
      const query = compileSoql(q, {
        objectDef: (name) => org.objectDef(name),
        canRead: (def, field) => org.fieldAccess(userId, def.name, field).read,
        multiCurrency: org.currencies !== undefined,
      });
      let matched = [...org.store(query.object.name).values()].filter(
        (r) => (scanAll || r.deletedAt === null) && query.matches(r),
      );
      if (query.count) {
        res.json({ totalSize: Math.min(matched.length, query.limit ?? Infinity), done: true, records: [] });
        return;
      }
      matched.sort((a, b) => query.compare(a, b));
      if (query.limit !== undefined) matched = matched.slice(0, query.limit);
      const type = query.object.name;
      const rows = matched.map((record) => {
        const row = project(record.values, query.fields, type, version);
        for (const rel of query.relationships)
          row[rel.relationship] = parentField(org, rel, record.values, version, row);
        for (const field of query.converted) row[field.name] = convertForUser(org, userId, record, field);
        return row;
      });
      const cursor: Cursor = { rows, batchSize: batchSizeOf(req), version };
      const locatorId = org.newId('QueryLocator');
      if (rows.length > cursor.batchSize) cursors.set(locatorId, cursor);
      res.json(page(locatorId, cursor, 0));
    };
  };

  router.get('/services/data/:version/query', run(false));
  router.get('/services/data/:version/queryAll', run(true));
  router.get(['/services/data/:version/query/:locator', '/services/data/:version/queryAll/:locator'], (req, res) => {
    const locator = param(req, 'locator');
    const match = /^([0-9A-Za-z]+)-(\d+)$/.exec(locator);
    const cursor = match?.[1] === undefined ? undefined : cursors.get(match[1]);
    if (match?.[1] === undefined || cursor === undefined) {
      throw new SfHttpError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    res.json(page(match[1], cursor, Number(match[2])));
  });
  return router;
}

/** A parent's field through its relationship, nested as Salesforce returns it (merged with others of the same parent). */
function parentField(
  org: SalesforceContext['org'],
  rel: RelationshipField,
  values: Record<string, Value>,
  version: string,
  row: Row,
): Row | null {
  const parentId = values[rel.via.name];
  const parent = typeof parentId === 'string' ? org.get(rel.parent.name, parentId) : undefined;
  if (parent === undefined) return null;
  const earlier = row[rel.relationship];
  const base: Row =
    typeof earlier === 'object' && earlier !== null
      ? (earlier as Row)
      : {
          attributes: {
            type: rel.parent.name,
            url: `/services/data/${version}/sobjects/${rel.parent.name}/${parentId as string}`,
          },
        };
  return { ...base, [rel.field.name]: parent.values[rel.field.name] ?? null };
}

function project(values: Record<string, Value>, fields: FieldDef[], type: string, version: string): Row {
  const row: Row = { attributes: { type, url: `/services/data/${version}/sobjects/${type}/${String(values['Id'])}` } };
  for (const field of fields) row[field.name] = values[field.name] ?? null;
  return row;
}
