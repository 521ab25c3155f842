/**
 * The overview's "Sync queue": what the run queue holds now (`GET /api/queue`, src/jobs/queue.ts)
 * for the installations this key sees — runs running, queued, and failing (retrying with their
 * error and next try, or given up until the next scheduled sync) — with this installation's first.
 */
import { api } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { formatAgo, plural } from '../lib/format.ts';
import type { QueueEntry, QueueResponse } from '../types.ts';
import { Empty, ErrorBox, Loading } from './common.tsx';

const STATE: Record<QueueEntry['state'], { label: string; kind: string }> = {
  running: { label: 'Running', kind: 'info' },
  queued: { label: 'Queued', kind: 'info' },
  retrying: { label: 'Retrying', kind: 'warn' },
  failed: { label: 'Failed', kind: 'bad' },
};

const REASON: Record<QueueEntry['reason'], string> = {
  tick: 'scheduled',
  nightly: 'nightly reconcile',
  webhook: 'CRM changes',
  now: 'run now',
};

/** Running first, then queued, then failing; an installation listed once (its failing entry carries the error). */
function rows(queue: QueueResponse): QueueEntry[] {
  const failing = new Map(queue.failing.map((entry) => [entry.installationId, entry]));
  const listed = [...queue.running, ...queue.queued].map((entry) =>
    entry.state === 'retrying' ? (failing.get(entry.installationId) ?? entry) : entry,
  );
  const shown = new Set(listed.map((entry) => `${entry.installationId}:${entry.state}`));
  return [...listed, ...queue.failing.filter((entry) => !shown.has(`${entry.installationId}:${entry.state}`))];
}

export function QueuePanel({ installationId }: { installationId: string }) {
  const data = useLoad<QueueResponse>((signal) => api<QueueResponse>('/api/queue', { signal }), [installationId]);
  if (data.state === 'loading') return <Loading what="the sync queue" />;
  if (data.state === 'error')
    return <ErrorBox error={data.error} title="The sync queue could not be loaded." onRetry={data.reload} />;
  const queue = data.data;
  const now = Date.now();
  const entries = rows(queue).sort(
    (a, b) => Number(b.installationId === installationId) - Number(a.installationId === installationId),
  );
  return (
    <div data-panel="queue">
      <p class="muted">
        {plural(queue.running.length, 'sync')} running, {queue.queued.length} queued (
        {queue.engine === 'pg-boss' ? 'pg-boss, shared by the workers' : 'in this server'}; at most {queue.concurrency}{' '}
        at once per worker).
      </p>
      {entries.length === 0 ? (
        <Empty>Nothing is queued, running or failing.</Empty>
      ) : (
        <div class="table-scroll">
          <table data-table="queue">
            <thead>
              <tr>
                <th scope="col">Installation</th>
                <th scope="col">State</th>
                <th scope="col">Why</th>
                <th scope="col">Since</th>
                <th scope="col">Attempts</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr
                  key={`${entry.installationId}:${entry.state}`}
                  data-installation={entry.installationId}
                  data-state={entry.state}
                >
                  <td>{entry.installationId === installationId ? 'This one' : entry.installationId.slice(0, 8)}</td>
                  <td>
                    <span class={`badge ${STATE[entry.state].kind}`}>{STATE[entry.state].label}</span>
                  </td>
                  <td>
                    {REASON[entry.reason]}
                    {entry.kind === 'full' ? ' (full)' : ''}
                  </td>
                  <td>{formatAgo(entry.since, now)}</td>
                  <td>{entry.attempts}</td>
                  <td>
                    {entry.lastError ?? ''}
                    {entry.retryAt === undefined ? '' : ` — next try ${formatAgo(entry.retryAt, now)}`}
                    {entry.state === 'failed' ? ' — given up until the next scheduled sync' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
