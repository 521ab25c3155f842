/** The overview's tables: the last runs (what each read, decided and wrote) and the rows the CRM rejected. */
import { Empty, RunStatusBadge } from '../components/common.tsx';
import { href } from '../hooks.ts';
import { formatAgo, formatDuration, formatNumber, formatTime, plural } from '../lib/format.ts';
import type { RejectedRow, RunRecord } from '../types.ts';

/** A run's count by name, formatted ('–' when the run did not report it). */
export function count(run: RunRecord, name: string): string {
  const value = run.counts?.[name];
  return value === undefined ? '–' : formatNumber(value);
}

export function RunsTable({ runs }: { runs: readonly RunRecord[] }) {
  if (runs.length === 0) return <Empty>No run yet.</Empty>;
  const now = Date.now();
  return (
    <div class="table-scroll">
      <table data-table="runs">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Took
            </th>
            <th scope="col" class="num">
              Decided
            </th>
            <th scope="col" class="num">
              Changed
            </th>
            <th scope="col" class="num">
              Written
            </th>
            <th scope="col" class="num">
              API calls
            </th>
            <th scope="col" class="num">
              Rejected
            </th>
            <th scope="col">Errors</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-run={run.id} data-status={run.status}>
              <td>
                <time dateTime={new Date(run.startedAt).toISOString()} title={formatTime(run.startedAt)}>
                  {formatAgo(run.startedAt, now)}
                </time>
              </td>
              <td>{run.kind}</td>
              <td>
                <RunStatusBadge status={run.status} />
              </td>
              <td class="num">{run.endedAt === null ? '…' : formatDuration(run.endedAt - run.startedAt)}</td>
              <td class="num">{count(run, 'decided')}</td>
              <td class="num">{count(run, 'changed')}</td>
              <td class="num">{count(run, 'written')}</td>
              <td class="num">{count(run, 'apiCalls')}</td>
              <td class="num">{count(run, 'rejected')}</td>
              <td class="errors">
                {run.errors === null || run.errors.length === 0 ? (
                  <span class="muted">none</span>
                ) : (
                  <details>
                    <summary>{plural(run.errors.length, 'error')}</summary>
                    <ul>
                      {run.errors.map((error, index) => (
                        <li key={index}>{error}</li>
                      ))}
                    </ul>
                  </details>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RejectedTable({ rows }: { rows: readonly RejectedRow[] }) {
  if (rows.length === 0) return <Empty>None: the CRM accepted every tier RightTouch wrote.</Empty>;
  return (
    <div class="table-scroll">
      <p class="muted">Rows the CRM refused to update; each is retried on the next sync.</p>
      <table data-table="rejected">
        <thead>
          <tr>
            <th scope="col">Record</th>
            <th scope="col">Error</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Last tried</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.type}:${row.recordId}`}>
              <td>
                <a href={href('records', { type: row.type, id: row.recordId })}>
                  {row.type} {row.recordId}
                </a>
              </td>
              <td>{row.error}</td>
              <td class="num">{formatNumber(row.attempts)}</td>
              <td>{formatTime(row.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
