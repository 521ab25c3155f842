/**
 * The embedded store: SQLite in a file under ./data/ by default. The SQL is the shared one
 * (sql/); here are only the bulk writes, each one write transaction repeating a prepared
 * single-row statement (SQLite runs in-process: a statement per row costs microseconds, no round
 * trip). The connection and the rules for sharing the file between processes: sqlite-driver.ts.
 */
import { randomUUID } from 'node:crypto';
import type { RecordType } from '../core/index.ts';
import type { DisplayedRecord } from '../mapping/display.ts';
import {
  DELETE_DEAL_SQL,
  DELETE_RECORD_SQL,
  displayColumns,
  overrideOf,
  UPSERT_DEAL_SQL,
  UPSERT_RECORD_SQL,
} from './sql/mirror.ts';
import { num, str } from './sql/row.ts';
import type { Row } from './sql/row.ts';
import { CLEAR_REJECTED_SQL, REJECT_SQL } from './sql/runs.ts';
import { SqlStore } from './sql/sql-store.ts';
import type { RejectInput } from './sql/sql-store.ts';
import {
  CURRENT_TIER_SQL,
  INSERT_HISTORY_SQL,
  MARK_WRITTEN_SQL,
  storedGap,
  storedHint,
  UPSERT_TIER_SQL,
} from './sql/tiers.ts';
import { SqliteDriver } from './sqlite-driver.ts';
import type { MirrorDeal, TierChange } from './store.ts';

export class SqliteStore extends SqlStore {
  private readonly sqlite: SqliteDriver;

  /** `path` is a file (its folder is created) or `:memory:`. */
  constructor(path: string) {
    const driver = new SqliteDriver(path);
    super(driver);
    this.sqlite = driver;
  }

  async upsertRecords(installationId: string, records: readonly DisplayedRecord[], at: number): Promise<void> {
    if (records.length === 0) return;
    await this.sqlite.batch((db) => {
      const upsert = db.statement(UPSERT_RECORD_SQL);
      for (const record of records) {
        const fields = JSON.stringify(record.fields);
        const { type, id } = record;
        upsert.run(
          installationId,
          type,
          id,
          record.companyId ?? null,
          overrideOf(record),
          fields,
          at,
          ...displayColumns(record),
        );
      }
    });
  }

  async deleteRecords(installationId: string, type: RecordType, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sqlite.batch((db) => {
      const remove = db.statement(DELETE_RECORD_SQL);
      for (const id of ids) remove.run(installationId, type, id);
    });
  }

  async upsertDeals(installationId: string, deals: readonly MirrorDeal[]): Promise<void> {
    if (deals.length === 0) return;
    await this.sqlite.batch((db) => {
      const upsert = db.statement(UPSERT_DEAL_SQL);
      for (const deal of deals) {
        const { id, companyId, amount, closeTime } = deal;
        upsert.run(installationId, id, companyId, amount, deal.closedWon ? 1 : 0, deal.closed ? 1 : 0, closeTime);
      }
    });
  }

  async deleteDeals(installationId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sqlite.batch((db) => {
      const remove = db.statement(DELETE_DEAL_SQL);
      for (const id of ids) remove.run(installationId, id);
    });
  }

  async applyTierChanges(
    installationId: string,
    runId: string,
    changes: readonly TierChange[],
    at: number,
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.sqlite.batch((db) => {
      const current = db.statement(CURRENT_TIER_SQL);
      const upsert = db.statement(UPSERT_TIER_SQL);
      const history = db.statement(INSERT_HISTORY_SQL);
      for (const change of changes) {
        const before = current.get(installationId, change.type, change.id) as Row | undefined;
        const oldTier = before === undefined ? null : str(before, 'tier');
        const moved = oldTier !== change.tier;
        const since = moved || before === undefined ? at : num(before, 'since');
        const reasons = JSON.stringify(change.reasons);
        upsert.run(
          installationId,
          change.type,
          change.id,
          change.tier,
          reasons,
          storedHint(change),
          storedGap(change),
          since,
        );
        if (moved) {
          history.run(randomUUID(), installationId, change.type, change.id, oldTier, change.tier, reasons, runId, at);
        }
      }
    });
  }

  async markWritten(installationId: string, type: RecordType, ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.sqlite.batch((db) => {
      const mark = db.statement(MARK_WRITTEN_SQL);
      for (const id of ids) mark.run(at, installationId, type, id);
    });
  }

  async reject(installationId: string, runId: string, rows: RejectInput, at: number): Promise<void> {
    if (rows.length === 0) return;
    await this.sqlite.batch((db) => {
      const reject = db.statement(REJECT_SQL);
      for (const row of rows) {
        const payload = row.payload === undefined ? null : JSON.stringify(row.payload);
        reject.run(installationId, row.type, row.recordId, runId, row.error, payload, at);
      }
    });
  }

  async clearRejected(installationId: string, type: RecordType, recordIds: readonly string[]): Promise<void> {
    if (recordIds.length === 0) return;
    await this.sqlite.batch((db) => {
      const clear = db.statement(CLEAR_REJECTED_SQL);
      for (const id of recordIds) clear.run(installationId, type, id);
    });
  }
}
