/**
 * The store on PostgreSQL (`DATABASE_URL`), for deployments with several processes or hosts. The
 * SQL is the shared one (sql/), on the connection pool of postgres-driver.ts; here are only the
 * bulk writes, which send many rows per statement (UNNEST of arrays, at most BATCH rows each)
 * instead of a statement per row: each statement is a network round trip.
 */
import { randomUUID } from 'node:crypto';
import type { RecordType } from '../core/index.ts';
import type { DisplayedRecord } from '../mapping/display.ts';
import { PostgresDriver } from './postgres-driver.ts';
import { displayColumns, overrideOf } from './sql/mirror.ts';
import { INTERRUPTED } from './sql/runs.ts';
import { SqlStore } from './sql/sql-store.ts';
import type { RejectInput } from './sql/sql-store.ts';
import { storedGap, storedHint } from './sql/tiers.ts';
import type { MirrorDeal, RunRecord, TierChange } from './store.ts';

/** Rows per statement in batch writes. */
const BATCH = 1000;

/**
 * Splits items into batches of at most `size` in which no key repeats: a key seen again starts a
 * new batch, so that an item later in the input is written after (and over) an earlier one, as
 * row-by-row writes would (one INSERT … ON CONFLICT cannot touch a row twice).
 */
function* batches<T>(items: readonly T[], key: (item: T) => string, size = BATCH): Generator<T[]> {
  let batch: T[] = [];
  let keys = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (batch.length >= size || keys.has(k)) {
      yield batch;
      batch = [];
      keys = new Set();
    }
    batch.push(item);
    keys.add(k);
  }
  if (batch.length > 0) yield batch;
}

/** Slices of at most `size` (for keys that may repeat harmlessly, as in deletes). */
function* slices<T>(items: readonly T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export interface PostgresStoreOptions {
  /**
   * The schema holding the tables (created by `migrate`); by default the connection's
   * search_path (normally `public`). A plain identifier: letters, digits and underscores.
   */
  readonly schema?: string | undefined;
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number | undefined;
}

export class PostgresStore extends SqlStore {
  private readonly pg: PostgresDriver;

  /** `connectionString`: postgres://user:password@host:port/database (pg's URL syntax). */
  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    const driver = new PostgresDriver(connectionString, options);
    super(driver);
    this.pg = driver;
  }

  override migrate(): Promise<number> {
    return this.pg.migrate();
  }

  /**
   * As the shared `startRun` (a run still marked running is marked interrupted, the new one
   * inserted), in one statement instead of a transaction of two: every run starts with it, and
   * each round trip costs both the worker and PostgreSQL. A data-modifying `WITH` runs both parts
   * in one snapshot, atomically (PostgreSQL manual, "Data-Modifying Statements in WITH").
   */
  override async startRun(installationId: string, kind: string, at: number): Promise<RunRecord> {
    const id = randomUUID();
    await this.pg.run(
      `WITH cut AS (
         UPDATE runs SET status = 'failed', ended_at = ?, errors = ? WHERE installation_id = ? AND status = 'running'
       )
       INSERT INTO runs (id, installation_id, kind, status, started_at) VALUES (?, ?, ?, 'running', ?)`,
      [at, JSON.stringify([INTERRUPTED]), installationId, id, installationId, kind, at],
    );
    return { id, installationId, kind, status: 'running', startedAt: at, endedAt: null, counts: null, errors: null };
  }

  async upsertRecords(installationId: string, records: readonly DisplayedRecord[], at: number): Promise<void> {
    if (records.length === 0) return;
    await this.pg.bulk(async (client) => {
      for (const batch of batches(records, (record) => `${record.type}\u0000${record.id}`)) {
        const display = batch.map(displayColumns);
        await client.query(
          `INSERT INTO mirror_records (installation_id, type, id, company_id, override, fields, updated_at,
             display, search_name, search_domain, search_email)
           SELECT $1, r.type, r.id, r.company_id, r.override, r.fields, $2,
             r.display, r.search_name, r.search_domain, r.search_email
           FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::text[], $10::text[], $11::text[])
             AS r (type, id, company_id, override, fields, display, search_name, search_domain, search_email)
           ON CONFLICT (installation_id, type, id) DO UPDATE SET
             company_id = excluded.company_id, override = excluded.override,
             fields = excluded.fields, updated_at = excluded.updated_at,
             display = excluded.display, search_name = excluded.search_name,
             search_domain = excluded.search_domain, search_email = excluded.search_email`,
          [
            installationId,
            at,
            batch.map((record) => record.type),
            batch.map((record) => record.id),
            batch.map((record) => record.companyId ?? null),
            batch.map(overrideOf),
            batch.map((record) => JSON.stringify(record.fields)),
            display.map((columns) => columns[0]),
            display.map((columns) => columns[1]),
            display.map((columns) => columns[2]),
            display.map((columns) => columns[3]),
          ],
        );
      }
    });
  }

  async deleteRecords(installationId: string, type: RecordType, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pg.bulk(async (client) => {
      for (const slice of slices(ids)) {
        await client.query(
          'DELETE FROM mirror_records WHERE installation_id = $1 AND type = $2 AND id = ANY($3::text[])',
          [installationId, type, slice],
        );
      }
    });
  }

  async upsertDeals(installationId: string, deals: readonly MirrorDeal[]): Promise<void> {
    if (deals.length === 0) return;
    await this.pg.bulk(async (client) => {
      for (const batch of batches(deals, (deal) => deal.id)) {
        await client.query(
          `INSERT INTO mirror_deals (installation_id, id, company_id, amount, closed_won, closed, close_time)
           SELECT $1, d.id, d.company_id, d.amount, d.closed_won, d.closed, d.close_time
           FROM UNNEST($2::text[], $3::text[], $4::double precision[], $5::integer[], $6::integer[], $7::bigint[])
             AS d (id, company_id, amount, closed_won, closed, close_time)
           ON CONFLICT (installation_id, id) DO UPDATE SET
             company_id = excluded.company_id, amount = excluded.amount, closed_won = excluded.closed_won,
             closed = excluded.closed, close_time = excluded.close_time`,
          [
            installationId,
            batch.map((deal) => deal.id),
            batch.map((deal) => deal.companyId),
            batch.map((deal) => deal.amount),
            batch.map((deal) => (deal.closedWon ? 1 : 0)),
            batch.map((deal) => (deal.closed ? 1 : 0)),
            batch.map((deal) => deal.closeTime),
          ],
        );
      }
    });
  }

  async deleteDeals(installationId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pg.bulk(async (client) => {
      for (const slice of slices(ids)) {
        await client.query('DELETE FROM mirror_deals WHERE installation_id = $1 AND id = ANY($2::text[])', [
          installationId,
          slice,
        ]);
      }
    });
  }

  async applyTierChanges(
    installationId: string,
    runId: string,
    changes: readonly TierChange[],
    at: number,
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.pg.bulk(async (client) => {
      // Per batch, one statement: read each record's current tier, upsert the new one (its
      // `since` kept when the tier stays), and add a history row where the tier moved.
      for (const batch of batches(changes, (change) => `${change.type}\u0000${change.id}`)) {
        await client.query(
          `WITH input AS (
             SELECT * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[],
                                  $10::double precision[])
               AS c (type, id, tier, reasons, history_id, hint, hint_gap)
           ), before AS (
             SELECT c.*, t.tier AS old_tier, t.since AS old_since
             FROM input c LEFT JOIN tiers t ON t.installation_id = $1 AND t.type = c.type AND t.id = c.id
           ), upserted AS (
             INSERT INTO tiers (installation_id, type, id, tier, reasons, hint, hint_gap, since, written_at)
             SELECT $1, type, id, tier, reasons, hint, hint_gap, CASE WHEN old_tier = tier THEN old_since ELSE $2 END, NULL
             FROM before
             ON CONFLICT (installation_id, type, id) DO UPDATE SET
               tier = excluded.tier, reasons = excluded.reasons, hint = excluded.hint, hint_gap = excluded.hint_gap,
               since = excluded.since, written_at = NULL
           )
           INSERT INTO tier_history (id, installation_id, type, record_id, old_tier, new_tier, reasons, run_id, at)
           SELECT history_id, $1, type, id, old_tier, tier, reasons, $8, $2
           FROM before WHERE old_tier IS DISTINCT FROM tier`,
          [
            installationId,
            at,
            batch.map((change) => change.type),
            batch.map((change) => change.id),
            batch.map((change) => change.tier),
            batch.map((change) => JSON.stringify(change.reasons)),
            batch.map(() => randomUUID()),
            runId,
            batch.map(storedHint),
            batch.map(storedGap),
          ],
        );
      }
    });
  }

  async markWritten(installationId: string, type: RecordType, ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.pg.bulk(async (client) => {
      for (const slice of slices(ids)) {
        await client.query(
          'UPDATE tiers SET written_at = $1 WHERE installation_id = $2 AND type = $3 AND id = ANY($4::text[])',
          [at, installationId, type, slice],
        );
      }
    });
  }

  async reject(installationId: string, runId: string, rows: RejectInput, at: number): Promise<void> {
    if (rows.length === 0) return;
    await this.pg.bulk(async (client) => {
      for (const batch of batches(rows, (row) => `${row.type}\u0000${row.recordId}`)) {
        await client.query(
          `INSERT INTO rejected_rows (installation_id, type, record_id, run_id, error, payload, attempts, updated_at)
           SELECT $1, r.type, r.record_id, $2, r.error, r.payload, 1, $3
           FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[]) AS r (type, record_id, error, payload)
           ON CONFLICT (installation_id, type, record_id) DO UPDATE SET
             run_id = excluded.run_id, error = excluded.error, payload = excluded.payload,
             attempts = rejected_rows.attempts + 1, updated_at = excluded.updated_at`,
          [
            installationId,
            runId,
            at,
            batch.map((row) => row.type),
            batch.map((row) => row.recordId),
            batch.map((row) => row.error),
            batch.map((row) => (row.payload === undefined ? null : JSON.stringify(row.payload))),
          ],
        );
      }
    });
  }

  async clearRejected(installationId: string, type: RecordType, recordIds: readonly string[]): Promise<void> {
    if (recordIds.length === 0) return;
    await this.pg.bulk(async (client) => {
      for (const slice of slices(recordIds)) {
        await client.query(
          'DELETE FROM rejected_rows WHERE installation_id = $1 AND type = $2 AND record_id = ANY($3::text[])',
          [installationId, type, slice],
        );
      }
    });
  }
}
