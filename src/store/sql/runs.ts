/** Sync runs and the rows the CRM refused: the shared SQL (the bulk `reject` is per engine). */
import { randomUUID } from 'node:crypto';
import type { RecordType } from '../../core/index.ts';
import type { RejectedRow, RunRecord, RunStatus } from '../store.ts';
import type { SqlDriver, SqlQueries } from './driver.ts';
import { num, optJson, optNum, str } from './row.ts';
import type { Row } from './row.ts';

/**
 * Parameters: installation id, type, record id, run id, error, payload (JSON or null), updated at.
 * A refused row seen again counts one more attempt.
 */
export const REJECT_SQL = `INSERT INTO rejected_rows (installation_id, type, record_id, run_id, error, payload, attempts, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, 1, ?)
  ON CONFLICT (installation_id, type, record_id) DO UPDATE SET
    run_id = excluded.run_id, error = excluded.error, payload = excluded.payload,
    attempts = rejected_rows.attempts + 1, updated_at = excluded.updated_at`;

/** Parameters: installation id, type, record id. */
export const CLEAR_REJECTED_SQL = 'DELETE FROM rejected_rows WHERE installation_id = ? AND type = ? AND record_id = ?';

export const INTERRUPTED =
  'interrupted: the process stopped before the run finished (nothing was lost: the next run picked up)';

export function runOf(row: Row): RunRecord {
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

export async function startRun(db: SqlDriver, installationId: string, kind: string, at: number): Promise<RunRecord> {
  const id = randomUUID();
  await db.transaction(async (tx) => {
    // Only one run per installation at a time: one still marked running was cut short.
    await tx.run(
      `UPDATE runs SET status = 'failed', ended_at = ?, errors = ? WHERE installation_id = ? AND status = 'running'`,
      [at, JSON.stringify([INTERRUPTED]), installationId],
    );
    await tx.run("INSERT INTO runs (id, installation_id, kind, status, started_at) VALUES (?, ?, ?, 'running', ?)", [
      id,
      installationId,
      kind,
      at,
    ]);
  });
  return { id, installationId, kind, status: 'running', startedAt: at, endedAt: null, counts: null, errors: null };
}

export async function finishRun(
  db: SqlQueries,
  runId: string,
  result: { status: RunStatus; counts: Record<string, number>; errors: readonly string[] },
  at: number,
): Promise<RunRecord> {
  const [row] = await db.query(
    'UPDATE runs SET status = ?, ended_at = ?, counts = ?, errors = ? WHERE id = ? RETURNING *',
    [result.status, at, JSON.stringify(result.counts), JSON.stringify(result.errors), runId],
  );
  if (row === undefined) throw new Error(`no run ${runId}`);
  return runOf(row);
}

export async function listRuns(db: SqlQueries, installationId: string, limit: number): Promise<RunRecord[]> {
  const rows = await db.query('SELECT * FROM runs WHERE installation_id = ? ORDER BY started_at DESC, id LIMIT ?', [
    installationId,
    limit,
  ]);
  return rows.map(runOf);
}

export async function listRejected(db: SqlQueries, installationId: string): Promise<RejectedRow[]> {
  const rows = await db.query('SELECT * FROM rejected_rows WHERE installation_id = ? ORDER BY type, record_id', [
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
