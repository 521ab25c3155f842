/**
 * Schema changes, numbered and applied in order, once each (the `schema_migrations` table records
 * them). The SQL is kept portable between SQLite and PostgreSQL: TEXT/BIGINT/DOUBLE PRECISION
 * columns, ids made by the application, times as epoch milliseconds, JSON as TEXT. Where the
 * engines need different words (an index's operator class), a statement is a function of the
 * driver's words (sql/driver.ts, `SqlWords`).
 */
import type { SqlWords } from './sql/driver.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly (string | ((words: SqlWords) => string))[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    statements: [
      `CREATE TABLE installations (
        id TEXT PRIMARY KEY,
        crm TEXT NOT NULL,
        external_id TEXT NOT NULL,
        name TEXT,
        created_at BIGINT NOT NULL,
        UNIQUE (crm, external_id)
      )`,
      `CREATE TABLE policies (
        installation_id TEXT NOT NULL REFERENCES installations (id),
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (installation_id, version)
      )`,
      `CREATE TABLE mirror_records (
        installation_id TEXT NOT NULL REFERENCES installations (id),
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        company_id TEXT,
        override TEXT,
        fields TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (installation_id, type, id)
      )`,
      `CREATE INDEX mirror_records_company ON mirror_records (installation_id, company_id)`,
      `CREATE TABLE mirror_deals (
        installation_id TEXT NOT NULL REFERENCES installations (id),
        id TEXT NOT NULL,
        company_id TEXT NOT NULL,
        amount DOUBLE PRECISION,
        closed_won INTEGER NOT NULL,
        closed INTEGER NOT NULL,
        close_time BIGINT,
        PRIMARY KEY (installation_id, id)
      )`,
      `CREATE INDEX mirror_deals_company ON mirror_deals (installation_id, company_id)`,
      `CREATE TABLE cursors (
        installation_id TEXT NOT NULL REFERENCES installations (id),
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (installation_id, name)
      )`,
      `CREATE TABLE tiers (
        installation_id TEXT NOT NULL REFERENCES installations (id),
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        tier TEXT NOT NULL,
        reasons TEXT NOT NULL,
        since BIGINT NOT NULL,
        written_at BIGINT,
        PRIMARY KEY (installation_id, type, id)
      )`,
      `CREATE TABLE tier_history (
        id TEXT PRIMARY KEY,
        installation_id TEXT NOT NULL REFERENCES installations (id),
        type TEXT NOT NULL,
        record_id TEXT NOT NULL,
        old_tier TEXT,
        new_tier TEXT NOT NULL,
        reasons TEXT NOT NULL,
        run_id TEXT NOT NULL,
        at BIGINT NOT NULL
      )`,
      `CREATE INDEX tier_history_record ON tier_history (installation_id, type, record_id, at)`,
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        installation_id TEXT NOT NULL REFERENCES installations (id),
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        ended_at BIGINT,
        counts TEXT,
        errors TEXT
      )`,
      `CREATE INDEX runs_installation ON runs (installation_id, started_at)`,
      `CREATE TABLE rejected_rows (
        installation_id TEXT NOT NULL REFERENCES installations (id),
        type TEXT NOT NULL,
        record_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        error TEXT NOT NULL,
        payload TEXT,
        attempts INTEGER NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (installation_id, type, record_id)
      )`,
    ],
  },
  {
    version: 2,
    name: 'secrets',
    statements: [
      // Credentials, sealed (AES-256-GCM) by the application before they get here.
      `CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        sealed TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: 'server',
    statements: [
      // 'active', or 'needs_reconnect' (a revoked refresh token) with what happened in status_detail.
      `ALTER TABLE installations ADD COLUMN status TEXT NOT NULL DEFAULT 'active'`,
      `ALTER TABLE installations ADD COLUMN status_detail TEXT`,
      // Per-installation settings as JSON (schedule, notification webhook).
      `ALTER TABLE installations ADD COLUMN settings TEXT`,
      // One holder may sync an installation at a time; a holder that dies lets the lease expire.
      `CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      // Admin API keys, by SHA-256 of the key; installation_id NULL means every installation.
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        installation_id TEXT REFERENCES installations (id),
        label TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      // Webhook events already taken, so a redelivery is not acted on twice.
      `CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        received_at BIGINT NOT NULL
      )`,
      `CREATE INDEX webhook_events_received ON webhook_events (received_at)`,
    ],
  },
  {
    version: 4,
    name: 'unwritten tiers',
    statements: [
      // The tiers still to write to the CRM, found without scanning every tier (a sync records
      // them first and writes them page by page from here).
      `CREATE INDEX tiers_unwritten ON tiers (installation_id, type, id) WHERE written_at IS NULL`,
    ],
  },
  {
    version: 5,
    name: 'uninstalls',
    statements: [
      // When an installation was uninstalled (status 'uninstalled'): its row and policies are kept
      // for a retention period, then purged (src/store/erase.ts).
      `ALTER TABLE installations ADD COLUMN uninstalled_at BIGINT`,
    ],
  },
  {
    version: 6,
    name: 'display',
    statements: [
      // What people know a record by (src/mapping/display.ts): the text as the CRM holds it (JSON:
      // name, domain, email), and each of them normalized for search (searchKey: NFKC, lower
      // case). Prefix searches are byte-order ranges on these (src/store/sql/find.ts), which the
      // indexes serve on both engines: SQLite compares text byte by byte (BINARY); PostgreSQL
      // does with `text_pattern_ops`, whatever the database's collation.
      `ALTER TABLE mirror_records ADD COLUMN display TEXT`,
      `ALTER TABLE mirror_records ADD COLUMN search_name TEXT`,
      `ALTER TABLE mirror_records ADD COLUMN search_domain TEXT`,
      `ALTER TABLE mirror_records ADD COLUMN search_email TEXT`,
      (words) =>
        `CREATE INDEX mirror_records_search_name ON mirror_records (installation_id, search_name${words.textOps.opclass})`,
      (words) =>
        `CREATE INDEX mirror_records_search_domain ON mirror_records (installation_id, search_domain${words.textOps.opclass})`,
      (words) =>
        `CREATE INDEX mirror_records_search_email ON mirror_records (installation_id, search_email${words.textOps.opclass})`,
      // Records mirrored before have no display yet: forgetting where the company and contact
      // reads stopped (src/sync/phases/pull.ts, CURSOR) makes the next sync read them all once.
      `DELETE FROM cursors WHERE name IN ('companies.modified', 'contacts.modified')`,
    ],
  },
  {
    version: 7,
    name: 'next-tier hint',
    statements: [
      // The next-tier hint sentence written with the tier (spec §8; NULL when there is none), and
      // its relative gap (t − v) / |t| (NULL: no hint, or the field has no value: last in order).
      `ALTER TABLE tiers ADD COLUMN hint TEXT`,
      `ALTER TABLE tiers ADD COLUMN hint_gap DOUBLE PRECISION`,
    ],
  },
  {
    version: 8,
    name: 'incremental tiering state',
    statements: [
      // The state incremental runs continue from (src/core/incremental-rows.ts: one row per record,
      // as JSON), so that any worker can run an installation's next run (sql/tiering-state.ts).
      // Beside the row: the contact's company, when its minDaysInTier hold can end and whether its
      // tier changed in the last run, for queries that need not parse the JSON.
      `CREATE TABLE tiering_state (
        installation_id TEXT NOT NULL REFERENCES installations (id),
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        company_id TEXT,
        hold_until BIGINT,
        pending INTEGER NOT NULL,
        row TEXT NOT NULL,
        PRIMARY KEY (installation_id, type, id)
      )`,
      `CREATE INDEX tiering_state_company ON tiering_state (installation_id, company_id)`,
      `CREATE INDEX tiering_state_hold ON tiering_state (installation_id, hold_until) WHERE hold_until IS NOT NULL`,
      // One per installation: `version` goes up with every save (a save names the version it
      // loaded: optimistic, two workers never both save); `state_key` identifies the policy and
      // mapping the rows were built under; `now_ms` is the last run's clock.
      `CREATE TABLE tiering_state_meta (
        installation_id TEXT PRIMARY KEY REFERENCES installations (id),
        version BIGINT NOT NULL,
        state_key TEXT NOT NULL,
        now_ms BIGINT NOT NULL,
        row_count BIGINT NOT NULL,
        saved_at BIGINT NOT NULL
      )`,
      // Deals crossing the deal-size window's edge between two runs are found by close time.
      `CREATE INDEX mirror_deals_close_time ON mirror_deals (installation_id, close_time)`,
    ],
  },
  {
    version: 10,
    name: 'crm lists',
    statements: [
      // The lists per tier setup keeps in the CRM (HubSpot lists, Salesforce list views): the
      // CRM's id, so the next setup finds a list again by id however it was renamed, and the name
      // and URL the admin UI shows. One row per object and tier, replaced whole after each setup.
      `CREATE TABLE crm_lists (
        installation_id TEXT NOT NULL,
        object TEXT NOT NULL,
        tier TEXT NOT NULL,
        list_id TEXT NOT NULL,
        name TEXT NOT NULL,
        url TEXT,
        position INTEGER NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (installation_id, object, tier)
      )`,
    ],
  },
  {
    version: 11,
    name: 'tiering state loaded on demand',
    statements: [
      // A worker loads an installation's companies and, per run, only the contacts it needs
      // (sql/tiering-state.ts): by id, by company (company_id), pending, or hold ending (hold_until).
      // Pending rows are few (the records whose tier changed in the last run): a partial index.
      `CREATE INDEX tiering_state_pending ON tiering_state (installation_id, type) WHERE pending = 1`,
      // How many records of each type are in each tier (JSON: {"company": {"tier": n}, …}), kept
      // by every save, so that a run's summary does not need every row. NULL: a state saved before
      // this migration, built again by its next run.
      `ALTER TABLE tiering_state_meta ADD COLUMN tier_counts TEXT`,
    ],
  },
  {
    version: 12,
    name: 'tiering state company snapshot',
    statements: [
      // Every company's place in the incremental state (tier, seat, hold, ranking keys) in one
      // compact binary form, base64 (src/core/incremental-snapshot.ts): a worker that holds nothing
      // loads it instead of a JSON row per company. Written by every save in the same transaction as
      // the rows, with the meta row's version and saved_at it belongs to (a snapshot of another
      // version is not used: the worker loads the rows).
      `CREATE TABLE tiering_state_companies (
        installation_id TEXT PRIMARY KEY REFERENCES installations (id),
        version BIGINT NOT NULL,
        saved_at BIGINT NOT NULL,
        data TEXT NOT NULL
      )`,
    ],
  },
];
