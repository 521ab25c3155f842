/** Prometheus metrics (`GET /metrics`), one registry per app so tests and processes do not share. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueObserver, QueueSnapshot } from '../jobs/index.ts';
import type { StreamMetrics } from '../../connectors/salesforce/streams.ts';

/**
 * What a run's metrics read of its report: a SyncReport, or its figures as the runs' thread sends
 * them (run-thread.ts: `runFigures`).
 */
export interface RunFigures {
  readonly decided: number;
  readonly written: number;
  readonly apiCalls: number;
  readonly rateLimited: number;
  readonly rejected: { readonly length: number };
  readonly reconcile?: { readonly compared: boolean; readonly differences: number } | undefined;
}

/** What the runs record (runner.ts), wherever they run: the server's metrics or the runs' thread's messages. */
export interface RunMetrics {
  recordRun(crm: string, status: string, report?: RunFigures): void;
  /** Hears the run queue's runs: waiting time, duration, failures. */
  readonly queueObserver: QueueObserver;
  /** Where the queue depth gauge reads from at each scrape. */
  watchQueue(snapshot: () => Promise<QueueSnapshot>): void;
}

export interface Metrics extends StreamMetrics, RunMetrics {
  readonly registry: Registry;
  recordWebhook(lagSeconds: number, events: number): void;
}

/** The figures of a report that the metrics read, as plain data (to post between threads). */
export function runFigures(report: RunFigures): RunFigures {
  return {
    decided: report.decided,
    written: report.written,
    apiCalls: report.apiCalls,
    rateLimited: report.rateLimited,
    rejected: { length: report.rejected.length },
    ...(report.reconcile === undefined
      ? {}
      : { reconcile: { compared: report.reconcile.compared, differences: report.reconcile.differences } }),
  };
}

/** Seconds buckets for waits and runs: a second to an hour. */
const SECONDS_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

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
  let queueSnapshot: (() => Promise<QueueSnapshot>) | undefined;
  new Gauge({
    name: 'righttouch_queue_depth',
    help: "Runs on this worker's queue by state (queued, retrying, running); on pg-boss queued/retrying count every worker's",
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      if (queueSnapshot === undefined) return;
      const snapshot = await queueSnapshot();
      this.set({ state: 'queued' }, snapshot.queued.filter((entry) => entry.state === 'queued').length);
      this.set({ state: 'retrying' }, snapshot.queued.filter((entry) => entry.state === 'retrying').length);
      this.set({ state: 'running' }, snapshot.running.length);
    },
  });
  const waited = new Histogram({
    name: 'righttouch_queue_wait_seconds',
    help: 'Time from a run being queued to its start, by reason (tick, nightly, webhook, now)',
    labelNames: ['reason'],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'righttouch_run_duration_seconds',
    help: 'Duration of the runs of the queue, by reason and outcome (ran, skipped, failed)',
    labelNames: ['reason', 'status'],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'righttouch_run_failures_total',
    help: 'Runs of the queue that failed, by reason and error code (each attempt of a retried run counts)',
    labelNames: ['reason', 'code'],
    registers: [registry],
  });
  return {
    registry,
    queueObserver: {
      started(request, waitedMs) {
        waited.observe({ reason: request.reason }, waitedMs / 1000);
      },
      finished(request, outcome, durationMs) {
        duration.observe({ reason: request.reason, status: outcome.status }, durationMs / 1000);
        if (outcome.status === 'failed') failures.inc({ reason: request.reason, code: outcome.code });
      },
    },
    watchQueue(snapshot) {
      queueSnapshot = snapshot;
    },
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
