/**
 * Phase 5, write back: what is recorded and not marked written yet — this run's changes and any a
 * crashed or stopped run left — to the CRM, a batch (the connector's `writeBatchSize`) at a time,
 * companies then contacts. Each batch's written records are marked written (and their earlier
 * rejections cleared); the records the CRM refused are kept as rejected with its reason, and stay
 * unwritten for the next run to try again.
 */
import type { RecordType } from '../../core/index.ts';
import type { Store } from '../../store/store.ts';
import type { Connector, RecordUpdate, TierProperties } from '../connector.ts';
import { reasonText } from '../tier-value.ts';
import type { SyncProgress } from '../types.ts';

export interface WriteBackOptions {
  readonly store: Store;
  readonly connector: Connector;
  readonly installationId: string;
  readonly runId: string;
  readonly properties: TierProperties;
  /** Records per `update` call. */
  readonly batchSize: number;
  /** The run's classification time: written to `updatedAt` and as the time written. */
  readonly at: number;
  /** Records the diff changed, for the progress total (earlier leftovers come on top). */
  readonly total: number;
  readonly onProgress?: ((progress: SyncProgress) => void) | undefined;
}

export interface Rejection {
  readonly type: RecordType;
  readonly id: string;
  readonly error: string;
}

export interface WriteBack {
  readonly written: number;
  readonly rejected: readonly Rejection[];
}

export async function writeBack(options: WriteBackOptions): Promise<WriteBack> {
  const { store, connector, installationId, properties, at } = options;
  let written = 0;
  let attempted = 0;
  const rejected: Rejection[] = [];
  for (const type of ['company', 'contact'] as const) {
    for await (const batch of store.unwrittenTiers(installationId, type, options.batchSize)) {
      const updates: RecordUpdate[] = batch.map((tier) => ({
        id: tier.id,
        properties: {
          [properties.tier]: tier.tier,
          [properties.reason]: reasonText(tier.reasons),
          // Empty clears a hint the record no longer has.
          [properties.next]: tier.hint ?? '',
          [properties.updatedAt]: (properties.formatTime ?? String)(at),
        },
      }));
      const result = await connector.update(type, updates);
      await store.markWritten(installationId, type, result.written, at);
      await store.clearRejected(installationId, type, result.written);
      await store.reject(
        installationId,
        options.runId,
        result.rejected.map((r) => ({ type, recordId: r.id, error: r.error })),
        at,
      );
      written += result.written.length;
      attempted += batch.length;
      options.onProgress?.({ phase: 'write', done: attempted, total: Math.max(options.total, attempted) });
      for (const r of result.rejected) rejected.push({ type, id: r.id, error: r.error });
    }
  }
  return { written, rejected };
}

/** Update calls writing these counts cost: the connector's estimate, else one per batch. */
export function estimateWriteCalls(
  connector: Connector,
  changed: Readonly<Record<RecordType, number>>,
  batchSize: number,
): number {
  const estimate = (count: number, type: RecordType): number =>
    connector.estimateWriteCalls?.(count, type) ?? Math.ceil(count / batchSize);
  return estimate(changed.company, 'company') + estimate(changed.contact, 'contact');
}
