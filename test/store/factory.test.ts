/** Choosing the store: PostgreSQL when DATABASE_URL is set, else SQLite; the CLI opens it migrated. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openStore } from '../../src/app/store.ts';
import { InputError } from '../../src/cli/errors.ts';
import { createStore, isPostgresUrl, PostgresStore, SqliteStore } from '../../src/store/index.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { describeOnEngine, postgresEngine } from './engines.ts';

const tempFile = (): string => join(mkdtempSync(join(tmpdir(), 'righttouch-factory-')), 'righttouch.db');

const saved = process.env['DATABASE_URL'];
afterEach(() => {
  if (saved === undefined) delete process.env['DATABASE_URL'];
  else process.env['DATABASE_URL'] = saved;
});

describe('createStore', () => {
  test('SQLite without a database URL, PostgreSQL with one; anything else is refused', async () => {
    const sqlite = createStore({ sqlitePath: ':memory:' });
    expect(sqlite).toBeInstanceOf(SqliteStore);
    await sqlite.close();
    const blank = createStore({ databaseUrl: ' ', sqlitePath: ':memory:' });
    expect(blank).toBeInstanceOf(SqliteStore);
    await blank.close();
    // The pool connects on first use: nothing is reached here.
    const postgres = createStore({ databaseUrl: 'postgres://u:p@db.invalid:5432/rt', sqlitePath: ':memory:' });
    expect(postgres).toBeInstanceOf(PostgresStore);
    await postgres.close();
    expect(isPostgresUrl('postgresql://localhost/rt')).toBe(true);
    expect(() => createStore({ databaseUrl: 'mysql://u:secret@h/rt', sqlitePath: ':memory:' })).toThrow(
      /must be a PostgreSQL URL/,
    );
  });

  test('openStore: SQLite at the path when DATABASE_URL is unset; a bad DATABASE_URL is an input error', async () => {
    delete process.env['DATABASE_URL'];
    const path = tempFile();
    const store = await openStore(path);
    expect(store).toBeInstanceOf(SqliteStore);
    await store.close();
    const again = new SqliteStore(path);
    expect(await again.migrate()).toBe(0);
    await again.close();

    process.env['DATABASE_URL'] = 'sqlite:///tmp/x.db';
    await expect(openStore(tempFile())).rejects.toBeInstanceOf(InputError);
  });
});

describeOnEngine(postgresEngine, 'openStore with DATABASE_URL', (engine) => {
  test('opens PostgreSQL, migrated, instead of the SQLite file', async () => {
    const spec = engine.create();
    if (spec.engine !== 'postgres') throw new Error('expected a PostgreSQL spec');
    const first = engine.open(spec);
    expect(await first.migrate()).toBe(MIGRATIONS.length);
    const installation = await first.upsertInstallation('hubspot', 'portal-1');
    await first.close();

    // The same schema, chosen through the URL (pg passes `options` on to the server).
    const url = new URL(spec.url);
    url.searchParams.set('options', `-c search_path=${spec.schema}`);
    process.env['DATABASE_URL'] = url.href;
    const store = await openStore(tempFile());
    try {
      expect(store).toBeInstanceOf(PostgresStore);
      expect(await store.getInstallation(installation.id)).toEqual(installation);
      expect(await store.migrate()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
