/**
 * What `npm run bench:installations` reads from RightTouch's store from the outside, while and
 * after a configuration runs (installations-run.ts): the runs, how many installations have had a
 * finished run, and — on PostgreSQL on this machine — the server's postmaster, whose backends'
 * CPU time the benchmark accounts for (process-cpu.ts).
 */
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { ConfigSpec, RunRow } from './installations-run.ts';
import { parentOf } from './process-cpu.ts';

/** The store's runs and installations, read from the outside (SQLite file or PostgreSQL). */
export interface StoreReader {
  runs(): Promise<RunRow[]>;
  /** The PostgreSQL server's postmaster pid, when it runs on this machine (undefined on SQLite). */
  postmaster(): Promise<number | undefined>;
  firstSynced(): Promise<number>;
  close(): Promise<void>;
}

export async function storeReader(spec: ConfigSpec, dataFile: string): Promise<StoreReader> {
  const runsSql = 'SELECT id, installation_id, kind, status, started_at, ended_at FROM runs';
  const syncedSql =
    "SELECT COUNT(DISTINCT installation_id) AS n FROM runs WHERE ended_at IS NOT NULL AND status <> 'failed'";
  type Raw = Record<string, unknown>;
  const row = (r: Raw): RunRow => ({
    id: String(r['id']),
    installationId: String(r['installation_id']),
    kind: String(r['kind']),
    status: String(r['status']),
    startedAt: Number(r['started_at']),
    endedAt: r['ended_at'] === null ? null : Number(r['ended_at']),
  });
  if (spec.databaseUrl !== undefined) {
    const client = new pg.Client({ connectionString: spec.databaseUrl });
    await client.connect();
    return {
      runs: async () => (await client.query<Raw>(runsSql)).rows.map(row),
      firstSynced: async () => Number((await client.query<Raw>(syncedSql)).rows[0]?.['n'] ?? 0),
      postmaster: async () => {
        const backend = Number((await client.query<Raw>('SELECT pg_backend_pid() AS pid')).rows[0]?.['pid']);
        return Number.isInteger(backend) ? parentOf(backend) : undefined;
      },
      close: () => client.end(),
    };
  }
  let db: DatabaseSync | undefined;
  const open = (): DatabaseSync => (db ??= new DatabaseSync(dataFile, { readOnly: true, timeout: 5000 }));
  return {
    runs: () => Promise.resolve((open().prepare(runsSql).all() as Raw[]).map(row)),
    firstSynced: () => Promise.resolve(Number((open().prepare(syncedSql).get() as Raw | undefined)?.['n'] ?? 0)),
    postmaster: () => Promise.resolve(undefined),
    close: () => {
      db?.close();
      return Promise.resolve();
    },
  };
}
