/** Prometheus metrics (`GET /metrics`), one registry per app so tests and processes do not share. */
import { Counter, Gauge, Registry } from 'prom-client';
import type { SyncReport } from '../sync/engine.ts';
import type { StreamMetrics } from '../../connectors/salesforce/streams.ts';

export interface Metrics extends StreamMetrics {
  readonly registry: Registry;
  recordRun(crm: string, status: string, report?: SyncReport): void;
  recordWebhook(lagSeconds: number, events: number): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const runs = new Counter({
    name: 'righttouch_runs_total',
    help: 'Sync runs by CRM and status',
    labelNames: ['crm', 'status'],
    registers: [registry],
  });
  const records = new Counter({
    name: 'righttouch_records_processed_total',
    help: 'Records decided in syncs',
    labelNames: ['crm'],
    registers: [registry],
  });
  const writes = new Counter({
    name: 'righttouch_records_written_total',
    help: 'Records written to the CRM',
    labelNames: ['crm'],
    registers: [registry],
  });
  const apiCalls = new Counter({
    name: 'righttouch_api_calls_total',
    help: 'CRM API calls made by syncs',
    labelNames: ['crm'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'righttouch_rejected_rows_total',
    help: 'Records the CRM refused',
    labelNames: ['crm'],
    registers: [registry],
  });
  const limited = new Counter({
    name: 'righttouch_rate_limited_total',
    help: '429 answers seen',
    labelNames: ['crm'],
    registers: [registry],
  });
  // The nightly full run's check of the incremental state (src/sync/phases/reconcile.ts): records
  // whose incremental decision was not the full classification's (should stay 0; each one corrected).
  const reconcileDifferences = new Counter({
    name: 'righttouch_reconcile_differences_total',
    help: 'Records the full reconcile found decided otherwise by incremental runs (corrected)',
    labelNames: ['crm'],
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'righttouch_webhook_events_total',
    help: 'Webhook events taken',
    registers: [registry],
  });
  const webhookLag = new Gauge({
    name: 'righttouch_webhook_lag_seconds',
    help: 'Time from the CRM change to its webhook arriving (last batch)',
    registers: [registry],
  });
  const streamFailures = new Counter({
    name: 'righttouch_salesforce_cdc_failures_total',
    help: 'Salesforce change streams refused or stopped: invalid-replay (replay id past retention), subscribe, connect',
    labelNames: ['kind'],
    registers: [registry],
  });
  const replayResets = new Counter({
    name: 'righttouch_salesforce_cdc_replay_resets_total',
    help: 'Salesforce change streams resubscribed from new events after their replay id expired (a sync covered the gap)',
    registers: [registry],
  });
  const streams = new Gauge({
    name: 'righttouch_salesforce_cdc_streams',
    help: 'Salesforce change streams by state (subscribed, failing)',
    labelNames: ['state'],
    registers: [registry],
  });
  return {
    registry,
    recordStreamFailure(kind) {
      streamFailures.inc({ kind });
    },
    recordReplayReset() {
      replayResets.inc();
    },
    setStreams(subscribed, failing) {
      streams.set({ state: 'subscribed' }, subscribed);
      streams.set({ state: 'failing' }, failing);
    },
    recordRun(crm, status, report) {
      runs.inc({ crm, status });
      if (report === undefined) return;
      records.inc({ crm }, report.decided);
      writes.inc({ crm }, report.written);
      apiCalls.inc({ crm }, report.apiCalls);
      rejected.inc({ crm }, report.rejected.length);
      limited.inc({ crm }, report.rateLimited);
      if (report.reconcile?.compared === true) reconcileDifferences.inc({ crm }, report.reconcile.differences);
    },
    recordWebhook(lagSeconds, events) {
      webhookEvents.inc(events);
      webhookLag.set(lagSeconds);
    },
  };
}
