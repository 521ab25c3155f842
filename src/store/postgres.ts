/**
 * The store on PostgreSQL (`DATABASE_URL`), through a `pg` connection pool, for deployments with
 * several processes or hosts. Same tables and migrations as SQLite (migrations.ts), same
 * semantics: writes that belong together run in one transaction, the lease is taken in one
 * atomic statement, reads of a whole installation come in pages by key (memory does not grow with
 * the portal's size), and batches are written many rows per statement (UNNEST of arrays).
 */
import { randomUUID } from 'node:crypto';
import { escapeIdentifier, Pool, TypeOverrides } from 'pg';
import type { PoolClient } from 'pg';
import { validatePolicy } from '../core/index.ts';
import type { CanonicalRecord, Policy, PreviousTier, RecordType } from '../core/index.ts';
import {
  ERASE_RECORD_SQL,
  FORGET_INSTALLATION_SQL,
  MARK_UNINSTALLED_SQL,
  numbered,
  PURGE_INSTALLATION_SQL,
  UNINSTALLED_BEFORE_SQL,
} from './erase.ts';
import { MIGRATIONS } from './migrations.ts';
import type {
  ApiKey,
  Crm,
  HistoryEntry,
  Installation,
  InstallationSettings,
  InstallationStatus,
  MirrorDeal,
  PolicyVersion,
  RejectedRow,
  RunRecord,
  RunStatus,
  Store,
  StoredTier,
  TierChange,
} from './store.ts';

type Row = Record<string, unknown>;

/** Rows per statement in batch writes, and per page in streaming reads. */
const BATCH = 1000;
const PAGE = 5000;

function str(row: Row, key: string): string {
  const value = row[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new Error(`column ${key} is not text`);
}
function num(row: Row, key: string): number {
  const value = row[key];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  throw new Error(`column ${key} is not a number`);
}
const optStr = (row: Row, key: string): string | null => (row[key] === null ? null : str(row, key));
const optNum = (row: Row, key: string): number | null => (row[key] === null ? null : num(row, key));
const json = (row: Row, key: string): unknown => JSON.parse(str(row, key));
const optJson = (row: Row, key: string): unknown => (row[key] === null ? null : json(row, key));

function installationOf(row: Row): Installation {
  return {
    id: str(row, 'id'),
    crm: str(row, 'crm') as Crm,
    externalId: str(row, 'external_id'),
    name: optStr(row, 'name'),
    createdAt: num(row, 'created_at'),
    status: (optStr(row, 'status') ?? 'active') as InstallationStatus,
    statusDetail: optStr(row, 'status_detail'),
    settings: optJson(row, 'settings') ?? {},
  };
}

function runOf(row: Row): RunRecord {
  return {
    id: str(row, 'id'),
    installationId: str(row, 'installation_id'),
    kind: str(row, 'kind'),
    status: str(row, 'status') as RunStatus,
    startedAt: num(row, 'started_at'),
    endedAt: optNum(row, 'ended_at'),
    counts: optJson(row, 'counts') as Record<string, number> | null,
    errors: optJson(row, 'errors') as string[] | null,
  };
}

function tierOf(row: Row): StoredTier {
  return {
    type: str(row, 'type') as RecordType,
    id: str(row, 'id'),
    tier: str(row, 'tier'),
    reasons: json(row, 'reasons') as string[],
    since: num(row, 'since'),
    writtenAt: optNum(row, 'written_at'),
  };
}

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

/** BIGINT (int8) columns hold epoch milliseconds, well within a double: read them as numbers. */
const INT8_OID = 20;
function typeParsers(): TypeOverrides {
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, (value: string) => Number(value));
  return types;
}

const INTERRUPTED =
  'interrupted: the process stopped before the run finished (nothing was lost: the next run picked up)';

/** The pool, or one of its connections (inside a transaction). */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
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

export class PostgresStore implements Store {
  private readonly pool: Pool;
  private readonly schema: string | undefined;
  private closed = false;

  /** `connectionString`: postgres://user:password@host:port/database (pg's URL syntax). */
  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    const { schema } = options;
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
    }
    this.schema = schema;
    this.pool = new Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      types: typeParsers(),
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle connection that breaks (a server restart) is dropped from the pool; the next query
    // opens a new one or reports the failure. Without a listener the error would end the process.
    this.pool.on('error', () => undefined);
  }

  private async rows(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<Row[]> {
    return (await on.query(sql, params)).rows;
  }

  private async one(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<Row | undefined> {
    return (await this.rows(sql, params, on))[0];
  }

  /** Runs a statement; the number of rows it changed. */
  private async run(sql: string, params: unknown[] = [], on: Queryable = this.pool): Promise<number> {
    return (await on.query(sql, params)).rowCount ?? 0;
  }

  /** Runs `work` on one connection inside BEGIN … COMMIT (ROLLBACK when it throws). */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          // The connection is unusable: do not give it back to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  async migrate(): Promise<number> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // Several processes may start at once: one migrates while the others wait on this lock
    // (per schema), then find the migrations applied. A session lock, so it also covers the
    // statements outside the migrations' transactions; it goes with the connection if that dies.
    const lock = `righttouch.migrate:${this.schema ?? ''}`;
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
      try {
        if (this.schema !== undefined) {
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(this.schema)}`);
        }
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
        );
        const applied = new Set(
          (await this.rows('SELECT version FROM schema_migrations', [], client)).map((row) => num(row, 'version')),
        );
        let count = 0;
        for (const migration of MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          await client.query('BEGIN');
          try {
            for (const statement of migration.statements) await client.query(statement);
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              migration.version,
              migration.name,
              Date.now(),
            ]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
          count++;
        }
        return count;
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // After a failure the connection (and any lock it still holds) is closed, not reused.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  async upsertInstallation(crm: Crm, externalId: string, name: string | null = null): Promise<Installation> {
    // One statement, so two processes registering the same account get the same installation.
    const row = await this.one(
      `INSERT INTO installations (id, crm, external_id, name, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (crm, external_id) DO UPDATE SET name = COALESCE(excluded.name, installations.name)
       RETURNING *`,
      [randomUUID(), crm, externalId, name, Date.now()],
    );
    if (row === undefined) throw new Error('upsertInstallation returned no row');
    return installationOf(row);
  }

  async getInstallation(id: string): Promise<Installation | undefined> {
    const row = await this.one('SELECT * FROM installations WHERE id = $1', [id]);
    return row === undefined ? undefined : installationOf(row);
  }

  async listInstallations(): Promise<Installation[]> {
    return (await this.rows('SELECT * FROM installations ORDER BY created_at, crm, external_id')).map(installationOf);
  }

  async setInstallationStatus(id: string, status: InstallationStatus, detail: string | null): Promise<void> {
    await this.run('UPDATE installations SET status = $1, status_detail = $2, uninstalled_at = NULL WHERE id = $3', [
      status,
      detail,
      id,
    ]);
  }

  async saveSettings(id: string, settings: InstallationSettings): Promise<void> {
    await this.run('UPDATE installations SET settings = $1 WHERE id = $2', [JSON.stringify(settings), id]);
  }

  async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    // One statement, so two processes cannot both see the lease free and both take it: the row
    // comes back only when it was inserted or taken over/renewed by `holder`.
    const row = await this.one(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
       RETURNING holder`,
      [name, holder, now + ttlMs, now],
    );
    return row !== undefined && str(row, 'holder') === holder;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.run('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }

  async createApiKey(keyHash: string, installationId: string | null, label: string, at: number): Promise<ApiKey> {
    const id = randomUUID();
    await this.run(
      'INSERT INTO api_keys (id, key_hash, installation_id, label, created_at) VALUES ($1, $2, $3, $4, $5)',
      [id, keyHash, installationId, label, at],
    );
    return { id, installationId, label };
  }

  async findApiKey(keyHash: string): Promise<ApiKey | undefined> {
    const row = await this.one('SELECT id, installation_id, label FROM api_keys WHERE key_hash = $1', [keyHash]);
    return row === undefined
      ? undefined
      : { id: str(row, 'id'), installationId: optStr(row, 'installation_id'), label: str(row, 'label') };
  }

  async recordWebhookEvent(id: string, at: number): Promise<boolean> {
    return (
      (await this.run('INSERT INTO webhook_events (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
        id,
        at,
      ])) > 0
    );
  }

  pruneWebhookEvents(before: number): Promise<number> {
    return this.run('DELETE FROM webhook_events WHERE received_at < $1', [before]);
  }

  async savePolicy(installationId: string, policy: Policy): Promise<PolicyVersion> {
    const checked = validatePolicy(policy);
    if (!checked.ok) throw new Error(`refusing to store an invalid policy: ${checked.problems[0]?.message ?? ''}`);
    return this.transaction(async (client) => {
      // Versions of one installation are numbered one writer at a time.
      await this.run('SELECT 1 FROM installations WHERE id = $1 FOR UPDATE', [installationId], client);
      const last = await this.one(
        'SELECT MAX(version) AS v FROM policies WHERE installation_id = $1',
        [installationId],
        client,
      );
      const version = (optNum(last ?? { v: null }, 'v') ?? 0) + 1;
      const createdAt = Date.now();
      await this.run(
        'INSERT INTO policies (installation_id, version, body, created_at) VALUES ($1, $2, $3, $4)',
        [installationId, version, JSON.stringify(policy), createdAt],
        client,
      );
      return { version, policy: checked.policy, createdAt };
    });
  }

  private policyOf(row: Row): PolicyVersion {
    const checked = validatePolicy(json(row, 'body'));
    if (!checked.ok) throw new Error(`stored policy version ${num(row, 'version')} no longer validates`);
    return { version: num(row, 'version'), policy: checked.policy, createdAt: num(row, 'created_at') };
  }

  async activePolicy(installationId: string): Promise<PolicyVersion | undefined> {
    const row = await this.one('SELECT * FROM policies WHERE installation_id = $1 ORDER BY version DESC LIMIT 1', [
      installationId,
    ]);
    return row === undefined ? undefined : this.policyOf(row);
  }

  async listPolicies(installationId: string): Promise<PolicyVersion[]> {
    const rows = await this.rows('SELECT * FROM policies WHERE installation_id = $1 ORDER BY version', [
      installationId,
    ]);
    return rows.map((row) => this.policyOf(row));
  }

  async upsertRecords(installationId: string, records: readonly CanonicalRecord[], at: number): Promise<void> {
    if (records.length === 0) return;
    await this.transaction(async (client) => {
      for (const batch of batches(records, (record) => `${record.type}\u0000${record.id}`)) {
        await this.run(
          `INSERT INTO mirror_records (installation_id, type, id, company_id, override, fields, updated_at)
           SELECT $1, r.type, r.id, r.company_id, r.override, r.fields, $2
           FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS r (type, id, company_id, override, fields)
           ON CONFLICT (installation_id, type, id) DO UPDATE SET
             company_id = excluded.company_id, override = excluded.override,
             fields = excluded.fields, updated_at = excluded.updated_at`,
          [
            installationId,
            at,
            batch.map((record) => record.type),
            batch.map((record) => record.id),
            batch.map((record) => record.companyId ?? null),
            batch.map((record) => (typeof record.override === 'string' ? record.override : null)),
            batch.map((record) => JSON.stringify(record.fields)),
          ],
          client,
        );
      }
    });
  }

  async deleteRecords(installationId: string, type: RecordType, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.transaction(async (client) => {
      for (const slice of slices(ids)) {
        await this.run(
          'DELETE FROM mirror_records WHERE installation_id = $1 AND type = $2 AND id = ANY($3::text[])',
          [installationId, type, slice],
          client,
        );
      }
    });
  }

  async eraseRecord(installationId: string, type: RecordType, id: string): Promise<number> {
    return this.transaction(async (client) => {
      let deleted = 0;
      for (const sql of ERASE_RECORD_SQL) deleted += await this.run(numbered(sql), [installationId, type, id], client);
      return deleted;
    });
  }

  async forgetInstallation(installationId: string, at: number): Promise<void> {
    await this.transaction(async (client) => {
      for (const sql of FORGET_INSTALLATION_SQL) await this.run(numbered(sql), [installationId], client);
      await this.run('DELETE FROM leases WHERE name = $1', [`sync:${installationId}`], client);
      await this.run(numbered(MARK_UNINSTALLED_SQL), [at, installationId], client);
    });
  }

  async purgeUninstalled(before: number): Promise<string[]> {
    return this.transaction(async (client) => {
      const rows = await this.rows(numbered(UNINSTALLED_BEFORE_SQL), [before], client);
      const ids = rows.map((row) => String(row['id']));
      for (const id of ids) {
        for (const sql of [...FORGET_INSTALLATION_SQL, ...PURGE_INSTALLATION_SQL]) {
          await this.run(numbered(sql), [id], client);
        }
      }
      return ids;
    });
  }

  async carryOver(installationId: string, type: RecordType, fromId: string, toId: string): Promise<void> {
    if (fromId === toId) return;
    await this.transaction(async (client) => {
      await this.run(
        'UPDATE tier_history SET record_id = $1 WHERE installation_id = $2 AND type = $3 AND record_id = $4',
        [toId, installationId, type, fromId],
        client,
      );
      const successor = await this.one(
        'SELECT id FROM tiers WHERE installation_id = $1 AND type = $2 AND id = $3',
        [installationId, type, toId],
        client,
      );
      if (successor === undefined) {
        await this.run(
          'UPDATE tiers SET id = $1, written_at = NULL WHERE installation_id = $2 AND type = $3 AND id = $4',
          [toId, installationId, type, fromId],
          client,
        );
      } else {
        await this.run(
          'DELETE FROM tiers WHERE installation_id = $1 AND type = $2 AND id = $3',
          [installationId, type, fromId],
          client,
        );
      }
      await this.run(
        'DELETE FROM mirror_records WHERE installation_id = $1 AND type = $2 AND id = $3',
        [installationId, type, fromId],
        client,
      );
      await this.run(
        'DELETE FROM rejected_rows WHERE installation_id = $1 AND type = $2 AND record_id = $3',
        [installationId, type, fromId],
        client,
      );
    });
  }

  async *records(installationId: string, pageSize = PAGE): AsyncIterable<CanonicalRecord[]> {
    for (const type of ['company', 'contact'] as const) {
      let after = '';
      for (;;) {
        const rows = await this.rows(
          `SELECT id, company_id, override, fields FROM mirror_records
           WHERE installation_id = $1 AND type = $2 AND id > $3 ORDER BY id LIMIT $4`,
          [installationId, type, after, pageSize],
        );
        const last = rows[rows.length - 1];
        if (last === undefined) break;
        yield rows.map((row) => ({
          type,
          id: str(row, 'id'),
          companyId: optStr(row, 'company_id'),
          override: optStr(row, 'override'),
          fields: json(row, 'fields') as Record<string, unknown>,
        }));
        after = str(last, 'id');
      }
    }
  }

  async upsertDeals(installationId: string, deals: readonly MirrorDeal[]): Promise<void> {
    if (deals.length === 0) return;
    await this.transaction(async (client) => {
      for (const batch of batches(deals, (deal) => deal.id)) {
        await this.run(
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
          client,
        );
      }
    });
  }

  async deleteDeals(installationId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.transaction(async (client) => {
      for (const slice of slices(ids)) {
        await this.run(
          'DELETE FROM mirror_deals WHERE installation_id = $1 AND id = ANY($2::text[])',
          [installationId, slice],
          client,
        );
      }
    });
  }

  async *deals(installationId: string): AsyncIterable<MirrorDeal> {
    let after = '';
    for (;;) {
      const rows = await this.rows(
        'SELECT * FROM mirror_deals WHERE installation_id = $1 AND id > $2 ORDER BY id LIMIT $3',
        [installationId, after, PAGE],
      );
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      for (const row of rows) {
        yield {
          id: str(row, 'id'),
          companyId: str(row, 'company_id'),
          amount: optNum(row, 'amount'),
          closedWon: num(row, 'closed_won') === 1,
          closed: num(row, 'closed') === 1,
          closeTime: optNum(row, 'close_time'),
        };
      }
      after = str(last, 'id');
    }
  }

  async getSecret(name: string): Promise<string | undefined> {
    const row = await this.one('SELECT sealed FROM secrets WHERE name = $1', [name]);
    return row === undefined ? undefined : str(row, 'sealed');
  }

  async putSecret(name: string, sealed: string, at: number): Promise<void> {
    await this.run(
      `INSERT INTO secrets (name, sealed, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      [name, sealed, at],
    );
  }

  async deleteSecret(name: string): Promise<boolean> {
    return (await this.run('DELETE FROM secrets WHERE name = $1', [name])) > 0;
  }

  async getCursor(installationId: string, name: string): Promise<string | undefined> {
    const row = await this.one('SELECT value FROM cursors WHERE installation_id = $1 AND name = $2', [
      installationId,
      name,
    ]);
    return row === undefined ? undefined : str(row, 'value');
  }

  async setCursor(installationId: string, name: string, value: string): Promise<void> {
    await this.run(
      `INSERT INTO cursors (installation_id, name, value) VALUES ($1, $2, $3)
       ON CONFLICT (installation_id, name) DO UPDATE SET value = excluded.value`,
      [installationId, name, value],
    );
  }

  /** The installation's current tiers, a page at a time in key order. */
  private async *tierRows(installationId: string, columns: string): AsyncIterable<Row> {
    let afterType = '';
    let afterId = '';
    for (;;) {
      const rows = await this.rows(
        `SELECT ${columns} FROM tiers WHERE installation_id = $1 AND (type, id) > ($2, $3)
         ORDER BY type, id LIMIT $4`,
        [installationId, afterType, afterId, PAGE],
      );
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      yield* rows;
      afterType = str(last, 'type');
      afterId = str(last, 'id');
    }
  }

  async *previousTiers(installationId: string): AsyncIterable<PreviousTier> {
    for await (const row of this.tierRows(installationId, 'type, id, tier, since')) {
      const sinceMs = num(row, 'since');
      yield {
        type: str(row, 'type') as RecordType,
        id: str(row, 'id'),
        tier: str(row, 'tier'),
        since: new Date(sinceMs).toISOString(),
        sinceMs,
      };
    }
  }

  async storedTier(installationId: string, type: RecordType, id: string): Promise<StoredTier | undefined> {
    const row = await this.one('SELECT * FROM tiers WHERE installation_id = $1 AND type = $2 AND id = $3', [
      installationId,
      type,
      id,
    ]);
    return row === undefined ? undefined : tierOf(row);
  }

  async *storedTiers(installationId: string): AsyncIterable<StoredTier> {
    for await (const row of this.tierRows(installationId, '*')) yield tierOf(row);
  }

  async applyTierChanges(
    installationId: string,
    runId: string,
    changes: readonly TierChange[],
    at: number,
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.transaction(async (client) => {
      // Per batch, one statement: read each record's current tier, upsert the new one (its
      // `since` kept when the tier stays), and add a history row where the tier moved.
      for (const batch of batches(changes, (change) => `${change.type}\u0000${change.id}`)) {
        await this.run(
          `WITH input AS (
             SELECT * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
               AS c (type, id, tier, reasons, history_id)
           ), before AS (
             SELECT c.*, t.tier AS old_tier, t.since AS old_since
             FROM input c LEFT JOIN tiers t ON t.installation_id = $1 AND t.type = c.type AND t.id = c.id
           ), upserted AS (
             INSERT INTO tiers (installation_id, type, id, tier, reasons, since, written_at)
             SELECT $1, type, id, tier, reasons, CASE WHEN old_tier = tier THEN old_since ELSE $2 END, NULL
             FROM before
             ON CONFLICT (installation_id, type, id) DO UPDATE SET
               tier = excluded.tier, reasons = excluded.reasons, since = excluded.since, written_at = NULL
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
          ],
          client,
        );
      }
    });
  }

  async *unwrittenTiers(installationId: string, type: RecordType, pageSize = 1000): AsyncIterable<StoredTier[]> {
    let after = '';
    for (;;) {
      const rows = await this.rows(
        `SELECT t.* FROM tiers t
         JOIN mirror_records m ON m.installation_id = t.installation_id AND m.type = t.type AND m.id = t.id
         WHERE t.installation_id = $1 AND t.type = $2 AND t.written_at IS NULL AND t.id > $3
         ORDER BY t.id LIMIT $4`,
        [installationId, type, after, pageSize],
      );
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      yield rows.map(tierOf);
      after = str(last, 'id');
    }
  }

  async markWritten(installationId: string, type: RecordType, ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.transaction(async (client) => {
      for (const slice of slices(ids)) {
        await this.run(
          'UPDATE tiers SET written_at = $1 WHERE installation_id = $2 AND type = $3 AND id = ANY($4::text[])',
          [at, installationId, type, slice],
          client,
        );
      }
    });
  }

  async history(installationId: string, type: RecordType, recordId: string): Promise<HistoryEntry[]> {
    const rows = await this.rows(
      'SELECT * FROM tier_history WHERE installation_id = $1 AND type = $2 AND record_id = $3 ORDER BY at, id',
      [installationId, type, recordId],
    );
    return rows.map((row) => ({
      type,
      recordId,
      oldTier: optStr(row, 'old_tier'),
      newTier: str(row, 'new_tier'),
      reasons: json(row, 'reasons') as string[],
      runId: str(row, 'run_id'),
      at: num(row, 'at'),
    }));
  }

  async startRun(installationId: string, kind: string, at: number): Promise<RunRecord> {
    const id = randomUUID();
    await this.transaction(async (client) => {
      // Only one run per installation at a time: one still marked running was cut short.
      await this.run(
        `UPDATE runs SET status = 'failed', ended_at = $1, errors = $2 WHERE installation_id = $3 AND status = 'running'`,
        [at, JSON.stringify([INTERRUPTED]), installationId],
        client,
      );
      await this.run(
        "INSERT INTO runs (id, installation_id, kind, status, started_at) VALUES ($1, $2, $3, 'running', $4)",
        [id, installationId, kind, at],
        client,
      );
    });
    return { id, installationId, kind, status: 'running', startedAt: at, endedAt: null, counts: null, errors: null };
  }

  async finishRun(
    runId: string,
    result: { status: RunStatus; counts: Record<string, number>; errors: readonly string[] },
    at: number,
  ): Promise<RunRecord> {
    const row = await this.one(
      'UPDATE runs SET status = $1, ended_at = $2, counts = $3, errors = $4 WHERE id = $5 RETURNING *',
      [result.status, at, JSON.stringify(result.counts), JSON.stringify(result.errors), runId],
    );
    if (row === undefined) throw new Error(`no run ${runId}`);
    return runOf(row);
  }

  async listRuns(installationId: string, limit = 50): Promise<RunRecord[]> {
    const rows = await this.rows(
      'SELECT * FROM runs WHERE installation_id = $1 ORDER BY started_at DESC, id LIMIT $2',
      [installationId, limit],
    );
    return rows.map(runOf);
  }

  async reject(
    installationId: string,
    runId: string,
    rows: readonly { type: RecordType; recordId: string; error: string; payload?: unknown }[],
    at: number,
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction(async (client) => {
      for (const batch of batches(rows, (row) => `${row.type}\u0000${row.recordId}`)) {
        await this.run(
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
          client,
        );
      }
    });
  }

  async clearRejected(installationId: string, type: RecordType, recordIds: readonly string[]): Promise<void> {
    if (recordIds.length === 0) return;
    await this.transaction(async (client) => {
      for (const slice of slices(recordIds)) {
        await this.run(
          'DELETE FROM rejected_rows WHERE installation_id = $1 AND type = $2 AND record_id = ANY($3::text[])',
          [installationId, type, slice],
          client,
        );
      }
    });
  }

  async listRejected(installationId: string): Promise<RejectedRow[]> {
    const rows = await this.rows('SELECT * FROM rejected_rows WHERE installation_id = $1 ORDER BY type, record_id', [
      installationId,
    ]);
    return rows.map((row) => ({
      type: str(row, 'type') as RecordType,
      recordId: str(row, 'record_id'),
      runId: str(row, 'run_id'),
      error: str(row, 'error'),
      payload: optJson(row, 'payload'),
      attempts: num(row, 'attempts'),
      updatedAt: num(row, 'updated_at'),
    }));
  }
}
