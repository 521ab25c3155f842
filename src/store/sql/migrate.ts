/**
 * Applies the numbered migrations (../migrations.ts) not yet recorded in `schema_migrations`,
 * each in its own write transaction that first looks again whether another process applied it
 * meanwhile: processes starting together on one database each wait for the write lock, and all
 * but the first find the work done (the second no longer fails on "table … already exists").
 * PostgreSQL additionally serializes whole runs with an advisory lock (../postgres.ts).
 */
import { MIGRATIONS } from '../migrations.ts';
import type { SqlDriver } from './driver.ts';
import { num } from './row.ts';

/** The number of migrations this call applied. */
export async function applyMigrations(db: SqlDriver): Promise<number> {
  await db.run(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
  const applied = new Set((await db.query('SELECT version FROM schema_migrations')).map((row) => num(row, 'version')));
  let count = 0;
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    const done = await db.transaction(async (tx) => {
      const already = await tx.query('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (already.length > 0) return false;
      for (const statement of migration.statements) {
        await tx.run(typeof statement === 'string' ? statement : statement(tx));
      }
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      return true;
    });
    if (done) count++;
  }
  return count;
}
