/**
 * The `Store` both engines share: every method that is the same SQL on SQLite and PostgreSQL,
 * delegated to the capability modules of this folder over the engine's driver (driver.ts). An
 * engine (../sqlite.ts, ../postgres.ts) supplies the driver, its migration runner where it adds
 * to the shared one, and the bulk writes, which are where the engines really differ (a prepared
 * statement repeated in one transaction on SQLite; many rows per statement from arrays on
 * PostgreSQL).
 */
import type { CanonicalRecord, IncrementalRow, Policy, PreviousTier, RecordType } from '../../core/index.ts';
import * as erase from '../erase.ts';
import type {
  ApiKey,
  Crm,
  DisplayedRecord,
  FoundRecords,
  HistoryEntry,
  Installation,
  InstallationSettings,
  InstallationStatus,
  MirrorDeal,
  NextTierCandidate,
  PolicyVersion,
  RecordQuery,
  RejectedRow,
  RunRecord,
  RunStatus,
  Store,
  StoredCrmList,
  StoredTier,
  TierChange,
  TieringStateCompanies,
  TieringStateContactQuery,
  TieringStateMeta,
  TieringStateSave,
} from '../store.ts';
import type { SqlDriver } from './driver.ts';
import * as crmLists from './crm-lists.ts';
import * as find from './find.ts';
import * as installations from './installations.ts';
import { applyMigrations } from './migrate.ts';
import * as mirror from './mirror.ts';
import * as policies from './policies.ts';
import * as runs from './runs.ts';
import * as secrets from './secrets.ts';
import * as state from './tiering-state.ts';
import * as tiers from './tiers.ts';

export type RejectInput = readonly { type: RecordType; recordId: string; error: string; payload?: unknown }[];

export abstract class SqlStore implements Store {
  protected readonly db: SqlDriver;

  protected constructor(db: SqlDriver) {
    this.db = db;
  }

  migrate(): Promise<number> {
    return applyMigrations(this.db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // The bulk writes, per engine.
  abstract upsertRecords(installationId: string, records: readonly DisplayedRecord[], at: number): Promise<void>;
  abstract deleteRecords(installationId: string, type: RecordType, ids: readonly string[]): Promise<void>;
  abstract upsertDeals(installationId: string, deals: readonly MirrorDeal[]): Promise<void>;
  abstract deleteDeals(installationId: string, ids: readonly string[]): Promise<void>;
  abstract applyTierChanges(
    installationId: string,
    runId: string,
    changes: readonly TierChange[],
    at: number,
  ): Promise<void>;
  abstract markWritten(installationId: string, type: RecordType, ids: readonly string[], at: number): Promise<void>;
  abstract reject(installationId: string, runId: string, rows: RejectInput, at: number): Promise<void>;
  abstract clearRejected(installationId: string, type: RecordType, recordIds: readonly string[]): Promise<void>;

  upsertInstallation(crm: Crm, externalId: string, name: string | null = null): Promise<Installation> {
    return installations.upsertInstallation(this.db, crm, externalId, name);
  }
  getInstallation(id: string): Promise<Installation | undefined> {
    return installations.getInstallation(this.db, id);
  }
  listInstallations(): Promise<Installation[]> {
    return installations.listInstallations(this.db);
  }
  countInstallations(): Promise<number> {
    return installations.countInstallations(this.db);
  }
  setInstallationStatus(id: string, status: InstallationStatus, detail: string | null): Promise<void> {
    return installations.setInstallationStatus(this.db, id, status, detail);
  }
  saveSettings(id: string, settings: InstallationSettings): Promise<void> {
    return installations.saveSettings(this.db, id, settings);
  }
  updateSettings(
    id: string,
    change: (current: InstallationSettings) => InstallationSettings,
  ): Promise<{ readonly before: InstallationSettings; readonly after: InstallationSettings } | undefined> {
    return installations.updateSettings(this.db, id, change);
  }
  crmLists(installationId: string): Promise<StoredCrmList[]> {
    return crmLists.crmLists(this.db, installationId);
  }
  saveCrmLists(installationId: string, lists: readonly StoredCrmList[], at: number): Promise<void> {
    return crmLists.saveCrmLists(this.db, installationId, lists, at);
  }
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return installations.acquireLease(this.db, name, holder, ttlMs, now);
  }
  releaseLease(name: string, holder: string): Promise<void> {
    return installations.releaseLease(this.db, name, holder);
  }
  leaseHolder(name: string): Promise<{ readonly holder: string; readonly expiresAt: number } | undefined> {
    return installations.leaseHolder(this.db, name);
  }
  takeOverLease(name: string, from: string, to: string, ttlMs: number, now: number): Promise<boolean> {
    return installations.takeOverLease(this.db, name, from, to, ttlMs, now);
  }
  createApiKey(keyHash: string, installationId: string | null, label: string, at: number): Promise<ApiKey> {
    return installations.createApiKey(this.db, keyHash, installationId, label, at);
  }
  findApiKey(keyHash: string): Promise<ApiKey | undefined> {
    return installations.findApiKey(this.db, keyHash);
  }
  recordWebhookEvent(id: string, at: number): Promise<boolean> {
    return installations.recordWebhookEvent(this.db, id, at);
  }
  pruneWebhookEvents(before: number): Promise<number> {
    return installations.pruneWebhookEvents(this.db, before);
  }

  savePolicy(installationId: string, policy: Policy): Promise<PolicyVersion> {
    return policies.savePolicy(this.db, installationId, policy);
  }
  activePolicy(installationId: string): Promise<PolicyVersion | undefined> {
    return policies.activePolicy(this.db, installationId);
  }
  listPolicies(installationId: string): Promise<PolicyVersion[]> {
    return policies.listPolicies(this.db, installationId);
  }

  eraseRecord(installationId: string, type: RecordType, id: string): Promise<number> {
    return erase.eraseRecord(this.db, installationId, type, id);
  }
  forgetInstallation(installationId: string, at: number): Promise<void> {
    return erase.forgetInstallation(this.db, installationId, at);
  }
  purgeUninstalled(before: number): Promise<string[]> {
    return erase.purgeUninstalled(this.db, before);
  }

  carryOver(installationId: string, type: RecordType, fromId: string, toId: string): Promise<void> {
    return mirror.carryOver(this.db, installationId, type, fromId, toId);
  }
  records(installationId: string, pageSize?: number): AsyncIterable<CanonicalRecord[]> {
    return mirror.records(this.db, installationId, pageSize);
  }
  findRecords(installationId: string, query: RecordQuery): Promise<FoundRecords> {
    return find.findRecords(this.db, installationId, query);
  }
  deals(installationId: string): AsyncIterable<MirrorDeal> {
    return mirror.deals(this.db, installationId);
  }

  getSecret(name: string): Promise<string | undefined> {
    return secrets.getSecret(this.db, name);
  }
  putSecret(name: string, sealed: string, at: number): Promise<void> {
    return secrets.putSecret(this.db, name, sealed, at);
  }
  deleteSecret(name: string): Promise<boolean> {
    return secrets.deleteSecret(this.db, name);
  }
  getCursor(installationId: string, name: string): Promise<string | undefined> {
    return secrets.getCursor(this.db, installationId, name);
  }
  setCursor(installationId: string, name: string, value: string): Promise<void> {
    return secrets.setCursor(this.db, installationId, name, value);
  }
  getCursors(installationId: string, names: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return secrets.getCursors(this.db, installationId, names);
  }
  setCursors(installationId: string, values: Readonly<Record<string, string>>): Promise<void> {
    return secrets.setCursors(this.db, installationId, values);
  }

  previousTiers(installationId: string): AsyncIterable<PreviousTier> {
    return tiers.previousTiers(this.db, installationId);
  }
  storedTier(installationId: string, type: RecordType, id: string): Promise<StoredTier | undefined> {
    return tiers.storedTier(this.db, installationId, type, id);
  }
  storedTiers(installationId: string): AsyncIterable<StoredTier> {
    return tiers.storedTiers(this.db, installationId);
  }
  unwrittenTiers(installationId: string, type: RecordType, pageSize?: number): AsyncIterable<StoredTier[]> {
    return tiers.unwrittenTiers(this.db, installationId, type, pageSize);
  }
  history(installationId: string, type: RecordType, recordId: string): Promise<HistoryEntry[]> {
    return tiers.history(this.db, installationId, type, recordId);
  }
  closestToNextTier(installationId: string, type: RecordType, limit: number): Promise<NextTierCandidate[]> {
    return tiers.closestToNextTier(this.db, installationId, type, limit);
  }

  tieringStateMeta(installationId: string): Promise<TieringStateMeta | undefined> {
    return state.tieringStateMeta(this.db, installationId);
  }
  tieringStateRows(installationId: string, pageSize?: number, type?: RecordType): AsyncIterable<IncrementalRow[]> {
    return state.tieringStateRows(this.db, installationId, pageSize, type);
  }
  tieringStateContacts(installationId: string, query: TieringStateContactQuery): Promise<IncrementalRow[]> {
    return state.tieringStateContacts(this.db, installationId, query);
  }
  tieringStateCompanyRows(installationId: string, ids: readonly string[]): Promise<IncrementalRow[]> {
    return state.tieringStateCompanyRows(this.db, installationId, ids);
  }
  tieringStateCompanies(installationId: string): Promise<TieringStateCompanies | undefined> {
    return state.tieringStateCompanies(this.db, installationId);
  }
  saveTieringState(installationId: string, save: TieringStateSave, at: number): Promise<TieringStateMeta> {
    return state.saveTieringState(this.db, installationId, save, at);
  }
  clearTieringState(installationId: string): Promise<void> {
    return state.clearTieringState(this.db, installationId);
  }
  recordsByIds(installationId: string, type: RecordType, ids: readonly string[]): Promise<CanonicalRecord[]> {
    return state.recordsByIds(this.db, installationId, type, ids);
  }
  dealsOfCompanies(installationId: string, companyIds: readonly string[]): Promise<MirrorDeal[]> {
    return state.dealsOfCompanies(this.db, installationId, companyIds);
  }
  companiesOfDeals(installationId: string, dealIds: readonly string[]): Promise<string[]> {
    return state.companiesOfDeals(this.db, installationId, dealIds);
  }
  companiesWithWonDealsClosedIn(installationId: string, after: number, upTo: number): Promise<string[]> {
    return state.companiesWithWonDealsClosedIn(this.db, installationId, after, upTo);
  }
  storedTiersOf(installationId: string, type: RecordType, ids: readonly string[]): Promise<StoredTier[]> {
    return state.storedTiersOf(this.db, installationId, type, ids);
  }

  startRun(installationId: string, kind: string, at: number): Promise<RunRecord> {
    return runs.startRun(this.db, installationId, kind, at);
  }
  finishRun(
    runId: string,
    result: { status: RunStatus; counts: Record<string, number>; errors: readonly string[] },
    at: number,
  ): Promise<RunRecord> {
    return runs.finishRun(this.db, runId, result, at);
  }
  listRuns(installationId: string, limit = 50): Promise<RunRecord[]> {
    return runs.listRuns(this.db, installationId, limit);
  }
  listRejected(installationId: string): Promise<RejectedRow[]> {
    return runs.listRejected(this.db, installationId);
  }
}
