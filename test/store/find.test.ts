/**
 * Finding mirrored records by what people know them by (src/store/sql/find.ts), on each engine:
 * any-case prefixes of name, domain and email, ids exactly, `%` and `_` as plain characters, a
 * page at a time, the current tier, and a plan that reads the search index (not the table).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { DisplayedRecord, RecordDisplay } from '../../src/mapping/display.ts';
import { numbered, POSTGRES_TEXT_OPS, SQLITE_TEXT_OPS } from '../../src/store/sql/driver.ts';
import { nextPrefix, prefixSql } from '../../src/store/sql/find.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Installation, Store } from '../../src/store/store.ts';
import { describeEachEngine } from './engines.ts';
import type { StoreSpec } from './store-spec.ts';

const AT = Date.UTC(2026, 11, 1);

function company(id: string, name: string | null, domain: string | null = null): DisplayedRecord {
  return { type: 'company', id, fields: {}, display: { name, domain, email: null } };
}

function contact(id: string, name: string | null, email: string | null): DisplayedRecord {
  return { type: 'contact', id, companyId: null, fields: {}, display: { name, domain: null, email } };
}

test('the next prefix counts the last code point up, past the surrogates and U+10FFFF', () => {
  expect(nextPrefix('acme')).toBe('acmf');
  expect(nextPrefix('a\uffff')).toBe('a\u{10000}');
  expect(nextPrefix('a\ud7ff')).toBe('a\ue000');
  expect(nextPrefix('ab\u{10ffff}')).toBe('ac');
  expect(nextPrefix('\u{10ffff}')).toBeUndefined();
});

test('upgrading: the next sync reads every company and contact again, to learn what they are known by', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'righttouch-find-')), 'righttouch.db');
  const db = new DatabaseSync(path);
  db.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
  for (const migration of MIGRATIONS.filter((m) => m.version < 6)) {
    for (const statement of migration.statements) {
      db.exec(typeof statement === 'string' ? statement : statement({ forUpdate: '', textOps: SQLITE_TEXT_OPS }));
    }
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, 1);
  }
  db.prepare("INSERT INTO installations (id, crm, external_id, created_at) VALUES ('i1', 'hubspot', '1', 1)").run();
  for (const name of ['companies.modified', 'contacts.modified', 'deals.modified']) {
    db.prepare("INSERT INTO cursors VALUES ('i1', ?, '1764547200000')").run(name);
  }
  db.close();
  const store = new SqliteStore(path);
  try {
    expect(await store.migrate()).toBe(MIGRATIONS.length - 5);
    expect(await store.getCursor('i1', 'companies.modified')).toBeUndefined();
    expect(await store.getCursor('i1', 'contacts.modified')).toBeUndefined();
    expect(await store.getCursor('i1', 'deals.modified')).toBe('1764547200000');
  } finally {
    await store.close();
  }
});

describeEachEngine('finding records', (engine) => {
  let spec: StoreSpec;
  let store: Store;
  let portal: Installation;

  beforeEach(async () => {
    spec = engine.create();
    store = engine.open(spec);
    await store.migrate();
    portal = await store.upsertInstallation('hubspot', '99', 'Find portal');
  });

  afterEach(async () => {
    await store.close();
  });

  const names = async (text: string, type?: 'company' | 'contact') =>
    (await store.findRecords(portal.id, { text, type })).matches.map((m) => `${m.type}:${m.id}`);

  test('by the start of a name, domain or email in any case, or by an id exactly; with the current tier', async () => {
    await store.upsertRecords(
      portal.id,
      [
        company('c1', 'Acme Corp', 'acme.com'),
        company('c2', 'Globex', 'acmeish.io'),
        company('c3', 'Initech', 'initech.com'),
        contact('p1', 'Jane Doe', 'Jane.Doe@Initech.com'),
        contact('p2', 'Émile Zola', 'emile@zola.fr'),
        { type: 'contact', id: 'p3', fields: {} },
      ],
      AT,
    );
    await store.applyTierChanges(
      portal.id,
      'run-1',
      [{ type: 'company', id: 'c1', tier: 'high_touch', reasons: [] }],
      AT,
    );

    expect(await names('ACME')).toEqual(['company:c1', 'company:c2']);
    expect(await names('acme.')).toEqual(['company:c1']);
    expect(await names('  acme   corp ')).toEqual(['company:c1']);
    expect(await names('jane.doe@')).toEqual(['contact:p1']);
    expect(await names('ÉMI')).toEqual(['contact:p2']);
    expect(await names('jane')).toEqual(['contact:p1']);
    expect(await names('jane', 'company')).toEqual([]);
    expect(await names('init', 'company')).toEqual(['company:c3']);
    expect(await names('p3')).toEqual(['contact:p3']);
    expect(await names('P3')).toEqual([]);
    expect(await names('doe')).toEqual([]);
    expect(await names('zzz')).toEqual([]);

    const { matches } = await store.findRecords(portal.id, { text: 'acme c' });
    expect(matches).toEqual([
      {
        type: 'company',
        id: 'c1',
        display: { name: 'Acme Corp', domain: 'acme.com', email: null } satisfies RecordDisplay,
        tier: 'high_touch',
      },
    ]);
    expect((await store.findRecords(portal.id, { text: 'jane' })).matches[0]?.tier).toBeNull();
  });

  test('% and _ are plain characters, not patterns', async () => {
    await store.upsertRecords(
      portal.id,
      [company('a', '100% Juice'), company('b', '100 Juice'), company('c', 'a_b'), company('d', 'axb')],
      AT,
    );
    expect(await names('100%')).toEqual(['company:a']);
    expect(await names('a_')).toEqual(['company:c']);
    expect(await names('%')).toEqual([]);
  });

  test('a page at a time, by name, saying when there are more; a renamed or deleted record follows', async () => {
    const many = Array.from({ length: 25 }, (_, i) => company(`id${String(i).padStart(2, '0')}`, `Acme ${24 - i}`));
    await store.upsertRecords(portal.id, many, AT);
    const page = await store.findRecords(portal.id, { text: 'acme' });
    expect(page.matches).toHaveLength(20);
    expect(page.more).toBe(true);
    expect(page.matches[0]?.display?.name).toBe('Acme 0');
    expect(page.matches.map((m) => m.display?.name)).toEqual(
      [...many.map((r) => r.display?.name ?? '')].sort().slice(0, 20),
    );
    expect((await store.findRecords(portal.id, { text: 'acme 1', limit: 50 })).more).toBe(false);

    await store.upsertRecords(portal.id, [company('id00', 'Renamed Inc')], AT + 1);
    expect(await names('renamed')).toEqual(['company:id00']);
    expect(await names('acme 24')).toEqual([]);
    await store.deleteRecords(portal.id, 'company', ['id00']);
    expect(await names('renamed')).toEqual([]);
    await store.upsertRecords(portal.id, [{ type: 'company', id: 'id01', fields: {} }], AT + 2);
    expect(await names('acme 23')).toEqual([]);
  });

  test('the search reads its index', async () => {
    await store.upsertRecords(portal.id, [company('c1', 'Acme Corp', 'acme.com')], AT);
    for (const column of ['search_name', 'search_domain', 'search_email'] as const) {
      for (const type of [undefined, 'company'] as const) {
        const params = [portal.id, 'acme', 'acmf', ...(type === undefined ? [] : [type]), 21];
        const plan = await explain(spec, column, type !== undefined, params);
        expect(plan, `${column} ${type ?? ''}`).toContain(`mirror_records_${column}`);
      }
    }
  });
});

/** The plan of one column's search, as text. */
async function explain(
  spec: StoreSpec,
  column: 'search_name' | 'search_domain' | 'search_email',
  typed: boolean,
  params: unknown[],
) {
  if (spec.engine === 'sqlite') {
    const db = new DatabaseSync(spec.path);
    try {
      const sql = prefixSql(SQLITE_TEXT_OPS, column, typed, true);
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as (string | number)[]));
      return rows.map((row) => String(row['detail'])).join('\n');
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: spec.url });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${pg.escapeIdentifier(spec.schema)}`);
    // A table of one row is read whole unless that is ruled out: the question is whether the index can serve.
    await client.query('SET enable_seqscan = off');
    const sql = numbered(prefixSql(POSTGRES_TEXT_OPS, column, typed, true));
    const rows = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return rows.rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}
