/**
 * The embedded store: SQLite through Node's built-in `node:sqlite` (no native build), in a file
 * under ./data/ by default. Writes that belong together run in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import { validatePolicy } from '../core/index.ts';
import type { CanonicalRecord, PreviousTier, RecordType } from '../core/index.ts';
import {
  ERASE_RECORD_SQL,
  FORGET_INSTALLATION_SQL,
  MARK_UNINSTALLED_SQL,
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

type Row = Record<string, SQLOutputValue>;

function str(row: Row, key: string): string {
  const value = row[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new Error(`column ${key} is not text`);
}
const num = (row: Row, key: string): number => Number(row[key]);
const optStr = (row: Row, key: string): string | null => (row[key] === null ? null : str(row, key));
const optNum = (row: Row, key: string): number | null => (row[key] === null ? null : Number(row[key]));
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

/** Runs synchronous SQLite work as a promise, so that its errors reject rather than throw. */
function later<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

const INTERRUPTED =
  'interrupted: the process stopped before the run finished (nothing was lost: the next run picked up)';

export class SqliteStore implements Store {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  /** `path` is a file (its folder is created) or `:memory:`. */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    // The busy timeout first: switching to WAL needs a lock too, and a process opening the file
    // while another writes must wait for it, not fail with "database is locked".
    this.db.exec('PRAGMA busy_timeout = 5000');
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA foreign_keys = ON');
  }

  /**
   * A statement prepared once and kept: node:sqlite finalizes a statement only when its object is
   * garbage-collected, so preparing on every call piles up native memory the GC does not see (a
   * large sync reached 100+ MiB of it). Not for `iterate()`: a kept statement is reset when used
   * again, which would end an iteration still going on; those are prepared afresh.
   */
  private prepared(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.prepared(sql).all(...params);
  }

  private one(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.prepared(sql).get(...params);
  }

  /** Runs a statement; the number of rows it changed. */
  private run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.prepared(sql).run(...params).changes);
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  migrate(): Promise<number> {
    return later(() => {
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set(this.all('SELECT version FROM schema_migrations').map((row) => num(row, 'version')));
      let count = 0;
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.transaction(() => {
          for (const statement of migration.statements) this.db.exec(statement);
          this.run(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
            migration.version,
            migration.name,
            Date.now(),
          );
        });
        count++;
      }
      return count;
    });
  }

  close(): Promise<void> {
    return later(() => {
      this.db.close();
      return;
    });
  }

  upsertInstallation(crm: Crm, externalId: string, name: string | null = null): Promise<Installation> {
    return later(() => {
      const existing = this.one('SELECT * FROM installations WHERE crm = ? AND external_id = ?', crm, externalId);
      if (existing !== undefined) {
        if (name !== null && name !== optStr(existing, 'name')) {
          this.run('UPDATE installations SET name = ? WHERE id = ?', name, str(existing, 'id'));
        }
        return { ...installationOf(existing), name: name ?? optStr(existing, 'name') };
      }
      const installation: Installation = {
        id: randomUUID(),
        crm,
        externalId,
        name,
        createdAt: Date.now(),
        status: 'active',
        statusDetail: null,
        settings: {},
      };
      this.run(
        'INSERT INTO installations (id, crm, external_id, name, created_at) VALUES (?, ?, ?, ?, ?)',
        installation.id,
        crm,
        externalId,
        name,
        installation.createdAt,
      );
      return installation;
    });
  }

  getInstallation(id: string): Promise<Installation | undefined> {
    return later(() => {
      const row = this.one('SELECT * FROM installations WHERE id = ?', id);
      return row === undefined ? undefined : installationOf(row);
    });
  }

  listInstallations(): Promise<Installation[]> {
    return later(() => {
      return this.all('SELECT * FROM installations ORDER BY created_at, crm, external_id').map(installationOf);
    });
  }

  setInstallationStatus(id: string, status: InstallationStatus, detail: string | null): Promise<void> {
    return later(() => {
      this.run(
        'UPDATE installations SET status = ?, status_detail = ?, uninstalled_at = NULL WHERE id = ?',
        status,
        detail,
        id,
      );
      return;
    });
  }

  saveSettings(id: string, settings: InstallationSettings): Promise<void> {
    return later(() => {
      this.run('UPDATE installations SET settings = ? WHERE id = ?', JSON.stringify(settings), id);
      return;
    });
  }

  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return later(() => {
      // One statement, so two processes cannot both see the lease free and both take it.
      this.run(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
        name,
        holder,
        now + ttlMs,
        now,
      );
      const row = this.one('SELECT holder FROM leases WHERE name = ?', name);
      return row !== undefined && str(row, 'holder') === holder;
    });
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return later(() => {
      this.run('DELETE FROM leases WHERE name = ? AND holder = ?', name, holder);
      return;
    });
  }

  createApiKey(keyHash: string, installationId: string | null, label: string, at: number): Promise<ApiKey> {
    return later(() => {
      const id = randomUUID();
      this.run(
        'INSERT INTO api_keys (id, key_hash, installation_id, label, created_at) VALUES (?, ?, ?, ?, ?)',
        id,
        keyHash,
        installationId,
        label,
        at,
      );
      return { id, installationId, label };
    });
  }

  findApiKey(keyHash: string): Promise<ApiKey | undefined> {
    return later(() => {
      const row = this.one('SELECT id, installation_id, label FROM api_keys WHERE key_hash = ?', keyHash);
      return row === undefined
        ? undefined
        : { id: str(row, 'id'), installationId: optStr(row, 'installation_id'), label: str(row, 'label') };
    });
  }

  recordWebhookEvent(id: string, at: number): Promise<boolean> {
    return later(() => {
      return (
        this.run('INSERT INTO webhook_events (id, received_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', id, at) > 0
      );
    });
  }

  pruneWebhookEvents(before: number): Promise<number> {
    return later(() => {
      return this.run('DELETE FROM webhook_events WHERE received_at < ?', before);
    });
  }

  savePolicy(installationId: string, policy: Parameters<Store['savePolicy']>[1]): Promise<PolicyVersion> {
    return later(() => {
      const checked = validatePolicy(policy);
      if (!checked.ok) throw new Error(`refusing to store an invalid policy: ${checked.problems[0]?.message ?? ''}`);
      return this.transaction(() => {
        const last = this.one('SELECT MAX(version) AS v FROM policies WHERE installation_id = ?', installationId);
        const version = (optNum(last ?? {}, 'v') ?? 0) + 1;
        const createdAt = Date.now();
        this.run(
          'INSERT INTO policies (installation_id, version, body, created_at) VALUES (?, ?, ?, ?)',
          installationId,
          version,
          JSON.stringify(policy),
          createdAt,
        );
        return { version, policy: checked.policy, createdAt };
      });
    });
  }

  private policyOf(row: Row): PolicyVersion {
    const checked = validatePolicy(json(row, 'body'));
    if (!checked.ok) throw new Error(`stored policy version ${num(row, 'version')} no longer validates`);
    return { version: num(row, 'version'), policy: checked.policy, createdAt: num(row, 'created_at') };
  }

  activePolicy(installationId: string): Promise<PolicyVersion | undefined> {
    return later(() => {
      const row = this.one(
        'SELECT * FROM policies WHERE installation_id = ? ORDER BY version DESC LIMIT 1',
        installationId,
      );
      return row === undefined ? undefined : this.policyOf(row);
    });
  }

  listPolicies(installationId: string): Promise<PolicyVersion[]> {
    return later(() => {
      const rows = this.all('SELECT * FROM policies WHERE installation_id = ? ORDER BY version', installationId);
      return rows.map((row) => this.policyOf(row));
    });
  }

  upsertRecords(installationId: string, records: readonly CanonicalRecord[], at: number): Promise<void> {
    return later(() => {
      const statement = this.prepared(
        `INSERT INTO mirror_records (installation_id, type, id, company_id, override, fields, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (installation_id, type, id) DO UPDATE SET
           company_id = excluded.company_id, override = excluded.override,
           fields = excluded.fields, updated_at = excluded.updated_at`,
      );
      this.transaction(() => {
        for (const record of records) {
          const override = typeof record.override === 'string' ? record.override : null;
          statement.run(
            installationId,
            record.type,
            record.id,
            record.companyId ?? null,
            override,
            JSON.stringify(record.fields),
            at,
          );
        }
      });
      return;
    });
  }

  deleteRecords(installationId: string, type: RecordType, ids: readonly string[]): Promise<void> {
    return later(() => {
      const statement = this.prepared('DELETE FROM mirror_records WHERE installation_id = ? AND type = ? AND id = ?');
      this.transaction(() => {
        for (const id of ids) statement.run(installationId, type, id);
      });
      return;
    });
  }

  eraseRecord(installationId: string, type: RecordType, id: string): Promise<number> {
    return later(() =>
      this.transaction(() => ERASE_RECORD_SQL.reduce((n, sql) => n + this.run(sql, installationId, type, id), 0)),
    );
  }

  forgetInstallation(installationId: string, at: number): Promise<void> {
    return later(() => {
      this.transaction(() => {
        for (const sql of FORGET_INSTALLATION_SQL) this.run(sql, installationId);
        this.run('DELETE FROM leases WHERE name = ?', `sync:${installationId}`);
        this.run(MARK_UNINSTALLED_SQL, at, installationId);
      });
    });
  }

  purgeUninstalled(before: number): Promise<string[]> {
    return later(() =>
      this.transaction(() => {
        const ids = this.all(UNINSTALLED_BEFORE_SQL, before).map((row) => str(row, 'id'));
        for (const id of ids) {
          for (const sql of [...FORGET_INSTALLATION_SQL, ...PURGE_INSTALLATION_SQL]) this.run(sql, id);
        }
        return ids;
      }),
    );
  }

  carryOver(installationId: string, type: RecordType, fromId: string, toId: string): Promise<void> {
    return later(() => {
      if (fromId === toId) return;
      this.transaction(() => {
        this.run(
          'UPDATE tier_history SET record_id = ? WHERE installation_id = ? AND type = ? AND record_id = ?',
          toId,
          installationId,
          type,
          fromId,
        );
        const successor = this.one(
          'SELECT id FROM tiers WHERE installation_id = ? AND type = ? AND id = ?',
          installationId,
          type,
          toId,
        );
        if (successor === undefined) {
          this.run(
            'UPDATE tiers SET id = ?, written_at = NULL WHERE installation_id = ? AND type = ? AND id = ?',
            toId,
            installationId,
            type,
            fromId,
          );
        } else {
          this.run('DELETE FROM tiers WHERE installation_id = ? AND type = ? AND id = ?', installationId, type, fromId);
        }
        this.run(
          'DELETE FROM mirror_records WHERE installation_id = ? AND type = ? AND id = ?',
          installationId,
          type,
          fromId,
        );
        this.run(
          'DELETE FROM rejected_rows WHERE installation_id = ? AND type = ? AND record_id = ?',
          installationId,
          type,
          fromId,
        );
      });
    });
  }

  async *records(installationId: string, pageSize = 5000): AsyncIterable<CanonicalRecord[]> {
    for (const type of ['company', 'contact'] as const) {
      let after = '';
      for (;;) {
        const rows = this.all(
          'SELECT * FROM mirror_records WHERE installation_id = ? AND type = ? AND id > ? ORDER BY id LIMIT ?',
          installationId,
          type,
          after,
          pageSize,
        );
        if (rows.length === 0) break;
        yield rows.map((row) => ({
          type,
          id: str(row, 'id'),
          companyId: optStr(row, 'company_id'),
          override: optStr(row, 'override'),
          fields: json(row, 'fields') as Record<string, unknown>,
        }));
        after = str(rows[rows.length - 1] ?? {}, 'id');
        await Promise.resolve();
      }
    }
  }

  upsertDeals(installationId: string, deals: readonly MirrorDeal[]): Promise<void> {
    return later(() => {
      const statement = this.prepared(
        `INSERT INTO mirror_deals (installation_id, id, company_id, amount, closed_won, closed, close_time)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (installation_id, id) DO UPDATE SET
           company_id = excluded.company_id, amount = excluded.amount, closed_won = excluded.closed_won,
           closed = excluded.closed, close_time = excluded.close_time`,
      );
      this.transaction(() => {
        for (const deal of deals) {
          statement.run(
            installationId,
            deal.id,
            deal.companyId,
            deal.amount,
            deal.closedWon ? 1 : 0,
            deal.closed ? 1 : 0,
            deal.closeTime,
          );
        }
      });
      return;
    });
  }

  deleteDeals(installationId: string, ids: readonly string[]): Promise<void> {
    return later(() => {
      const statement = this.prepared('DELETE FROM mirror_deals WHERE installation_id = ? AND id = ?');
      this.transaction(() => {
        for (const id of ids) statement.run(installationId, id);
      });
      return;
    });
  }

  async *deals(installationId: string): AsyncIterable<MirrorDeal> {
    const statement = this.db.prepare('SELECT * FROM mirror_deals WHERE installation_id = ? ORDER BY id');
    for (const row of statement.iterate(installationId) as Iterable<Row>) {
      yield {
        id: str(row, 'id'),
        companyId: str(row, 'company_id'),
        amount: optNum(row, 'amount'),
        closedWon: num(row, 'closed_won') === 1,
        closed: num(row, 'closed') === 1,
        closeTime: optNum(row, 'close_time'),
      };
    }
    await Promise.resolve();
  }

  getSecret(name: string): Promise<string | undefined> {
    return later(() => {
      const row = this.one('SELECT sealed FROM secrets WHERE name = ?', name);
      return row === undefined ? undefined : str(row, 'sealed');
    });
  }

  putSecret(name: string, sealed: string, at: number): Promise<void> {
    return later(() => {
      this.run(
        `INSERT INTO secrets (name, sealed, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
        name,
        sealed,
        at,
      );
      return;
    });
  }

  deleteSecret(name: string): Promise<boolean> {
    return later(() => this.run('DELETE FROM secrets WHERE name = ?', name) > 0);
  }

  getCursor(installationId: string, name: string): Promise<string | undefined> {
    return later(() => {
      const row = this.one('SELECT value FROM cursors WHERE installation_id = ? AND name = ?', installationId, name);
      return row === undefined ? undefined : str(row, 'value');
    });
  }

  setCursor(installationId: string, name: string, value: string): Promise<void> {
    return later(() => {
      this.run(
        `INSERT INTO cursors (installation_id, name, value) VALUES (?, ?, ?)
         ON CONFLICT (installation_id, name) DO UPDATE SET value = excluded.value`,
        installationId,
        name,
        value,
      );
      return;
    });
  }

  async *previousTiers(installationId: string): AsyncIterable<PreviousTier> {
    const statement = this.db.prepare('SELECT type, id, tier, since FROM tiers WHERE installation_id = ?');
    for (const row of statement.iterate(installationId) as Iterable<Row>) {
      const sinceMs = num(row, 'since');
      yield {
        type: str(row, 'type') as RecordType,
        id: str(row, 'id'),
        tier: str(row, 'tier'),
        since: new Date(sinceMs).toISOString(),
        sinceMs,
      };
    }
    await Promise.resolve();
  }

  storedTier(installationId: string, type: RecordType, id: string): Promise<StoredTier | undefined> {
    return later(() => {
      const row = this.one(
        'SELECT * FROM tiers WHERE installation_id = ? AND type = ? AND id = ?',
        installationId,
        type,
        id,
      );
      return row === undefined ? undefined : tierOf(row);
    });
  }

  async *storedTiers(installationId: string): AsyncIterable<StoredTier> {
    const statement = this.db.prepare('SELECT * FROM tiers WHERE installation_id = ?');
    for (const row of statement.iterate(installationId) as Iterable<Row>) yield tierOf(row);
    await Promise.resolve();
  }

  applyTierChanges(installationId: string, runId: string, changes: readonly TierChange[], at: number): Promise<void> {
    return later(() => {
      if (changes.length === 0) return;
      const current = this.prepared('SELECT tier, since FROM tiers WHERE installation_id = ? AND type = ? AND id = ?');
      const upsert = this.prepared(
        `INSERT INTO tiers (installation_id, type, id, tier, reasons, since, written_at) VALUES (?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (installation_id, type, id) DO UPDATE SET
           tier = excluded.tier, reasons = excluded.reasons, since = excluded.since, written_at = NULL`,
      );
      const history = this.prepared(
        `INSERT INTO tier_history (id, installation_id, type, record_id, old_tier, new_tier, reasons, run_id, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.transaction(() => {
        for (const change of changes) {
          const before = current.get(installationId, change.type, change.id) as Row | undefined;
          const oldTier = before === undefined ? null : str(before, 'tier');
          const moved = oldTier !== change.tier;
          const since = moved || before === undefined ? at : num(before, 'since');
          const reasons = JSON.stringify(change.reasons);
          upsert.run(installationId, change.type, change.id, change.tier, reasons, since);
          if (moved) {
            history.run(randomUUID(), installationId, change.type, change.id, oldTier, change.tier, reasons, runId, at);
          }
        }
      });
      return;
    });
  }

  async *unwrittenTiers(installationId: string, type: RecordType, pageSize = 1000): AsyncIterable<StoredTier[]> {
    let after = '';
    for (;;) {
      const rows = this.all(
        `SELECT t.* FROM tiers t
         JOIN mirror_records m ON m.installation_id = t.installation_id AND m.type = t.type AND m.id = t.id
         WHERE t.installation_id = ? AND t.type = ? AND t.written_at IS NULL AND t.id > ?
         ORDER BY t.id LIMIT ?`,
        installationId,
        type,
        after,
        pageSize,
      );
      const last = rows[rows.length - 1];
      if (last === undefined) break;
      yield rows.map(tierOf);
      after = str(last, 'id');
      await Promise.resolve();
    }
  }

  markWritten(installationId: string, type: RecordType, ids: readonly string[], at: number): Promise<void> {
    return later(() => {
      if (ids.length === 0) return;
      const statement = this.prepared(
        'UPDATE tiers SET written_at = ? WHERE installation_id = ? AND type = ? AND id = ?',
      );
      this.transaction(() => {
        for (const id of ids) statement.run(at, installationId, type, id);
      });
      return;
    });
  }

  history(installationId: string, type: RecordType, recordId: string): Promise<HistoryEntry[]> {
    return later(() => {
      const rows = this.all(
        'SELECT * FROM tier_history WHERE installation_id = ? AND type = ? AND record_id = ? ORDER BY at, id',
        installationId,
        type,
        recordId,
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
    });
  }

  startRun(installationId: string, kind: string, at: number): Promise<RunRecord> {
    return later(() => {
      const id = randomUUID();
      // Only one run per installation at a time: one still marked running was cut short.
      this.run(
        `UPDATE runs SET status = 'failed', ended_at = ?, errors = ? WHERE installation_id = ? AND status = 'running'`,
        at,
        JSON.stringify([INTERRUPTED]),
        installationId,
      );
      this.run(
        "INSERT INTO runs (id, installation_id, kind, status, started_at) VALUES (?, ?, ?, 'running', ?)",
        id,
        installationId,
        kind,
        at,
      );
      return {
        id,
        installationId,
        kind,
        status: 'running',
        startedAt: at,
        endedAt: null,
        counts: null,
        errors: null,
      };
    });
  }

  finishRun(
    runId: string,
    result: { status: RunStatus; counts: Record<string, number>; errors: readonly string[] },
    at: number,
  ): Promise<RunRecord> {
    return later(() => {
      this.run(
        'UPDATE runs SET status = ?, ended_at = ?, counts = ?, errors = ? WHERE id = ?',
        result.status,
        at,
        JSON.stringify(result.counts),
        JSON.stringify(result.errors),
        runId,
      );
      const row = this.one('SELECT * FROM runs WHERE id = ?', runId);
      if (row === undefined) throw new Error(`no run ${runId}`);
      return runOf(row);
    });
  }

  listRuns(installationId: string, limit = 50): Promise<RunRecord[]> {
    return later(() => {
      const rows = this.all(
        'SELECT * FROM runs WHERE installation_id = ? ORDER BY started_at DESC, id LIMIT ?',
        installationId,
        limit,
      );
      return rows.map(runOf);
    });
  }

  reject(
    installationId: string,
    runId: string,
    rows: readonly { type: RecordType; recordId: string; error: string; payload?: unknown }[],
    at: number,
  ): Promise<void> {
    return later(() => {
      const statement = this.prepared(
        `INSERT INTO rejected_rows (installation_id, type, record_id, run_id, error, payload, attempts, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT (installation_id, type, record_id) DO UPDATE SET
           run_id = excluded.run_id, error = excluded.error, payload = excluded.payload,
           attempts = rejected_rows.attempts + 1, updated_at = excluded.updated_at`,
      );
      this.transaction(() => {
        for (const row of rows) {
          const payload = row.payload === undefined ? null : JSON.stringify(row.payload);
          statement.run(installationId, row.type, row.recordId, runId, row.error, payload, at);
        }
      });
      return;
    });
  }

  clearRejected(installationId: string, type: RecordType, recordIds: readonly string[]): Promise<void> {
    return later(() => {
      const statement = this.prepared(
        'DELETE FROM rejected_rows WHERE installation_id = ? AND type = ? AND record_id = ?',
      );
      this.transaction(() => {
        for (const id of recordIds) statement.run(installationId, type, id);
      });
      return;
    });
  }

  listRejected(installationId: string): Promise<RejectedRow[]> {
    return later(() => {
      const rows = this.all(
        'SELECT * FROM rejected_rows WHERE installation_id = ? ORDER BY type, record_id',
        installationId,
      );
      return rows.map((row) => ({
        type: str(row, 'type') as RecordType,
        recordId: str(row, 'record_id'),
        runId: str(row, 'run_id'),
        error: str(row, 'error'),
        payload: optJson(row, 'payload'),
        attempts: num(row, 'attempts'),
        updatedAt: num(row, 'updated_at'),
      }));
    });
  }
}
