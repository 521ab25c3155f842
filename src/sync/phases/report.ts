/**
 * Phase 6, report: what the run did — counted as it goes (`Tally`: decisions, tier moves with the
 * first `MOVES_SHOWN` of them to show, the connector's API calls and 429s since the start) — as
 * the `SyncReport` returned, and as the run's row in the store: its status (`partial` when the CRM
 * refused records), counts, the tier mix it left (for "distribution over time") and the first
 * errors. A run that throws is recorded as failed with the error.
 */
import type { Decision, Policy, RunSummary } from '../../core/index.ts';
import type { Store } from '../../store/store.ts';
import type { Connector } from '../connector.ts';
import type { LastWritten } from '../last-written.ts';
import type { SyncReport, TierMove } from '../types.ts';
import { isMove } from './diff.ts';
import type { Reconcile } from './reconcile.ts';
import type { WriteBack } from './write-back.ts';

/** Tier moves a report lists (it counts them all). */
export const MOVES_SHOWN = 100;
/** Rejections a run's row keeps as errors. */
const ERRORS_KEPT = 100;

/** Counts a run keeps as it goes. */
export class Tally {
  decided = 0;
  moved = 0;
  readonly moves: TierMove[] = [];
  private readonly connector: Connector;
  private readonly callsBefore: number;
  private readonly limitedBefore: number;

  constructor(connector: Connector) {
    this.connector = connector;
    this.callsBefore = connector.apiCalls;
    this.limitedBefore = connector.rateLimited ?? 0;
  }

  /** One decision, with what was last written for its record. */
  decision(decision: Decision, before: LastWritten | undefined): void {
    this.decided++;
    if (!isMove(decision, before)) return;
    this.moved++;
    if (this.moves.length < MOVES_SHOWN) {
      this.moves.push({
        type: decision.type,
        id: decision.id,
        from: before?.tier ?? null,
        to: decision.tier,
        reasons: decision.reasons,
      });
    }
  }

  /** API calls the connector made since the tally started. */
  get apiCalls(): number {
    return this.connector.apiCalls - this.callsBefore;
  }

  /** 429 answers the connector met since the tally started. */
  get rateLimited(): number {
    return (this.connector.rateLimited ?? 0) - this.limitedBefore;
  }
}

export interface ReportParts {
  readonly runId: string;
  readonly kind: SyncReport['kind'];
  readonly dryRun: boolean;
  readonly classifiedAt: number;
  readonly pulled: SyncReport['pulled'];
  readonly deleted: number;
  readonly tally: Tally;
  readonly changed: number;
  readonly writes: WriteBack;
  readonly writeCalls: number;
  readonly summary: RunSummary;
  /** Records decided (steps 1–5): all of them on a full run, what the changes affect otherwise. */
  readonly decided: number;
  readonly policy: Policy;
  /** A full run's check of the incremental state. */
  readonly reconcile?: Reconcile | undefined;
  /** Why an incremental run built the state again. */
  readonly rebuilt?: string | undefined;
  readonly leadScore:
    { readonly property: string | null; readonly source: string; readonly warnings: readonly string[] } | undefined;
}

export function buildReport(parts: ReportParts): SyncReport {
  const { tally, writes, leadScore } = parts;
  return {
    runId: parts.runId,
    kind: parts.kind,
    dryRun: parts.dryRun,
    classifiedAt: parts.classifiedAt,
    pulled: parts.pulled,
    deleted: parts.deleted,
    decided: parts.decided,
    changed: parts.changed,
    moves: tally.moves,
    moved: tally.moved,
    tierLabels: Object.fromEntries(parts.policy.tiers.map((tier) => [tier.value, tier.label])),
    written: writes.written,
    rejected: writes.rejected,
    writeCalls: parts.writeCalls,
    apiCalls: tally.apiCalls,
    rateLimited: tally.rateLimited,
    summary: parts.summary,
    ...(parts.reconcile === undefined ? {} : { reconcile: parts.reconcile }),
    ...(parts.rebuilt === undefined ? {} : { rebuilt: parts.rebuilt }),
    ...(leadScore === undefined
      ? {}
      : { leadScore: { property: leadScore.property, source: leadScore.source, warnings: leadScore.warnings } }),
  };
}

/** The run's row: succeeded, or partial when the CRM refused records. */
export async function finishRun(store: Store, report: SyncReport, finishedAt: number): Promise<void> {
  const { pulled, summary, rejected } = report;
  await store.finishRun(
    report.runId,
    {
      status: rejected.length > 0 ? 'partial' : 'succeeded',
      counts: {
        companies: pulled.companies,
        contacts: pulled.contacts,
        deals: pulled.deals,
        deleted: report.deleted,
        decided: report.decided,
        changed: report.changed,
        written: report.written,
        rejected: rejected.length,
        apiCalls: report.apiCalls,
        ...(report.reconcile?.compared === true ? { 'reconcile.differences': report.reconcile.differences } : {}),
        // The tier mix after the run, for "distribution over time".
        ...Object.fromEntries(
          (['company', 'contact'] as const).flatMap((type) =>
            Object.entries(summary[type].tiers).map(([tier, count]) => [`tiers.${type}.${tier}`, count]),
          ),
        ),
      },
      errors: rejected.slice(0, ERRORS_KEPT).map((r) => `${r.type} ${r.id}: ${r.error}`),
    },
    finishedAt,
  );
}

/** The run's row when it threw: failed, with the error. */
export async function failRun(store: Store, runId: string, error: unknown, finishedAt: number): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await store.finishRun(runId, { status: 'failed', counts: {}, errors: [message] }, finishedAt);
}
