/**
 * Overview of one installation: its tiers now and over time, capacity per capacity tier (with the
 * CSM shortfall), the companies closest to their next tier, the sync queue (queued, running,
 * failing), the last runs and the rows the CRM rejected; "Run now" queues a sync and waits.
 */
import { useMemo, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, installationPath } from '../api.ts';
import { ChartView } from '../components/chart.tsx';
import {
  crmName,
  Empty,
  ErrorBox,
  InstallationStatusBadge,
  Loading,
  Notice,
  tierColor,
} from '../components/common.tsx';
import { NextTierPanel } from '../components/next-tier.tsx';
import { QueuePanel } from '../components/queue.tsx';
import { count, RejectedTable, RunsTable } from './overview-tables.tsx';
import { CapacityTable, DistributionChart, tiersFor, TYPE_NAMES } from '../components/tiers.tsx';
import { href, useLoad } from '../hooks.ts';
import { formatNumber, formatShortTime, formatTime, plural } from '../lib/format.ts';
import type {
  DistributionPoint,
  DistributionResponse,
  Installation,
  InstallationResponse,
  Policy,
  PolicyResponse,
  PreviewResponse,
  RejectedResponse,
  RejectedRow,
  RunRecord,
  RunsResponse,
  Tier,
} from '../types.ts';

interface OverviewData {
  readonly installation: Installation;
  readonly runs: readonly RunRecord[];
  readonly points: readonly DistributionPoint[];
  readonly policy: PolicyResponse;
  readonly rejected: readonly RejectedRow[];
}

export function Overview({ installationId }: { installationId: string }) {
  const data = useLoad<OverviewData>(
    async (signal) => {
      const [detail, distribution, policy, rejected] = await Promise.all([
        api<InstallationResponse>(installationPath(installationId), { signal }),
        api<DistributionResponse>(installationPath(installationId, '/distribution'), { signal }),
        api<PolicyResponse>(installationPath(installationId, '/policy'), { signal }),
        api<RejectedResponse>(installationPath(installationId, '/rejected'), { signal }),
      ]);
      return {
        installation: detail.installation,
        runs: detail.runs,
        points: distribution.points,
        policy,
        rejected: rejected.rejected,
      };
    },
    [installationId],
  );
  if (data.state === 'loading') return <Loading what="the overview" />;
  if (data.state === 'error')
    return <ErrorBox error={data.error} title="The overview could not be loaded." onRetry={data.reload} />;
  const { installation, runs, points, policy, rejected } = data.data;
  const tiers = policy.active?.policy.tiers ?? [];
  const latest = points.at(-1);
  return (
    <div class="overview" aria-busy={data.refreshing}>
      <div class="page-head">
        <div>
          <p class="muted">
            {crmName(installation.crm)} {installation.crm === 'hubspot' ? 'portal' : 'org'} {installation.externalId}{' '}
            <InstallationStatusBadge status={installation.status} />
          </p>
        </div>
        <RunNow installation={installation} runs={runs} onFinished={data.reload} />
      </div>
      {installation.status === 'needs_reconnect' ? (
        <Notice kind="warning">
          <p>
            <strong>RightTouch lost access to this {crmName(installation.crm)} account.</strong>{' '}
            {installation.statusDetail ?? ''} Tiers are not kept current until it is{' '}
            <a href={href('connections')}>reconnected</a>.
          </p>
        </Notice>
      ) : null}

      <section aria-labelledby="h-distribution" class="card">
        <h2 id="h-distribution">Tier distribution</h2>
        {latest === undefined ? (
          <Empty>No sync has finished yet, so there are no tiers to show. Use “Run now” to run the first one.</Empty>
        ) : (
          <>
            <p class="muted">After the run that ended {formatTime(latest.at)}.</p>
            <div class="grid-2">
              <DistributionChart
                name="company-tiers"
                title={TYPE_NAMES.company}
                tiers={tiers}
                counts={latest.tiers.company}
              />
              <DistributionChart
                name="contact-tiers"
                title={TYPE_NAMES.contact}
                tiers={tiers}
                counts={latest.tiers.contact}
              />
            </div>
          </>
        )}
      </section>

      <section aria-labelledby="h-capacity" class="card">
        <h2 id="h-capacity">Capacity</h2>
        {policy.active === null ? (
          <Empty>No policy is saved yet: the default policy is saved with the first sync.</Empty>
        ) : (
          <CurrentCapacity
            installationId={installationId}
            policy={policy.active.policy}
            version={policy.active.version}
          />
        )}
      </section>

      <section aria-labelledby="h-next-tier" class="card">
        <h2 id="h-next-tier">Closest to the next tier</h2>
        <NextTierPanel installationId={installationId} tiers={tiers} />
      </section>

      <section aria-labelledby="h-mix" class="card">
        <h2 id="h-mix">Tier mix over time</h2>
        {points.length === 0 ? (
          <Empty>The mix over time appears after the first sync.</Empty>
        ) : (
          <>
            {points.length === 1 ? <p class="muted">Only one run so far: each later run adds a point.</p> : null}
            <div class="grid-2">
              <MixChart type="company" tiers={tiers} points={points} />
              <MixChart type="contact" tiers={tiers} points={points} />
            </div>
          </>
        )}
      </section>

      <section aria-labelledby="h-queue" class="card">
        <h2 id="h-queue">Sync queue</h2>
        <QueuePanel installationId={installationId} />
      </section>

      <section aria-labelledby="h-runs" class="card">
        <h2 id="h-runs">Recent runs</h2>
        <RunsTable runs={runs} />
      </section>

      <section aria-labelledby="h-rejected" class="card">
        <h2 id="h-rejected">Rejected rows</h2>
        <RejectedTable rows={rejected} />
      </section>
    </div>
  );
}

function CurrentCapacity({
  installationId,
  policy,
  version,
}: {
  installationId: string;
  policy: Policy;
  version: number;
}) {
  const preview = useLoad<PreviewResponse>(
    (signal) =>
      api<PreviewResponse>(installationPath(installationId, '/preview'), { method: 'POST', body: policy, signal }),
    [installationId, version],
  );
  if (preview.state === 'loading') return <Loading what="capacity" />;
  if (preview.state === 'error')
    return <ErrorBox error={preview.error} title="Capacity could not be computed." onRetry={preview.reload} />;
  return (
    <>
      <p class="muted">
        Policy version {version} on the latest synced data.
        {preview.data.changed > 0
          ? ` ${plural(preview.data.changed, 'record')} will change tier on the next sync.`
          : ''}
      </p>
      <CapacityTable reports={preview.data.summary.capacity} policy={policy} name="current" />
    </>
  );
}

function MixChart({
  type,
  tiers,
  points,
}: {
  type: 'company' | 'contact';
  tiers: readonly Tier[];
  points: readonly DistributionPoint[];
}) {
  const shown = useMemo(() => tiersFor(tiers, ...points.map((point) => point.tiers[type])), [tiers, points, type]);
  const data = useMemo(
    () => ({
      labels: points.map((point) => formatShortTime(point.at)),
      datasets: shown.map((tier) => ({
        label: tier.label,
        data: points.map((point) => point.tiers[type][tier.value] ?? 0),
        borderColor: tierColor(tiers, tier.value),
        backgroundColor: tierColor(tiers, tier.value),
        pointRadius: points.length === 1 ? 4 : 2,
        tension: 0.2,
      })),
    }),
    [shown, points, type, tiers],
  );
  const title = TYPE_NAMES[type];
  const last = points.at(-1);
  return (
    <figure class="chart-card">
      <figcaption>
        <h3>{title}</h3>
      </figcaption>
      <ChartView
        type="line"
        name={`${type}-mix`}
        data={data}
        height={220}
        label={`${title} per tier over ${plural(points.length, 'run')}${
          last === undefined
            ? ''
            : `; latest: ${shown.map((t) => `${t.label} ${formatNumber(last.tiers[type][t.value] ?? 0)}`).join(', ')}`
        }`}
      />
      <details>
        <summary>Show as a table</summary>
        <div class="table-scroll">
          <table class="compact">
            <thead>
              <tr>
                <th scope="col">Run ended</th>
                {shown.map((tier) => (
                  <th scope="col" class="num" key={tier.value}>
                    {tier.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[...points].reverse().map((point) => (
                <tr key={point.runId}>
                  <th scope="row">{formatTime(point.at)}</th>
                  {shown.map((tier) => (
                    <td class="num" key={tier.value}>
                      {formatNumber(point.tiers[type][tier.value] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

const POLL_MS = 1000;
const WAIT_MS = 120_000;

function RunNow({
  installation,
  runs,
  onFinished,
}: {
  installation: Installation;
  runs: readonly RunRecord[];
  onFinished: () => void;
}) {
  const [state, setState] = useState<
    | { kind: 'idle' }
    | { kind: 'waiting' }
    | { kind: 'done'; run: RunRecord }
    | { kind: 'slow' }
    | { kind: 'error'; message: string }
  >({ kind: 'idle' });
  const start = async (full: boolean): Promise<void> => {
    const seen = new Set(runs.map((run) => run.id));
    setState({ kind: 'waiting' });
    try {
      await api(installationPath(installation.id, '/runs'), { method: 'POST', body: { full } });
      const deadline = Date.now() + WAIT_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        const latest = await api<RunsResponse>(installationPath(installation.id, '/runs'));
        const run = latest.runs.find((candidate) => !seen.has(candidate.id) && candidate.status !== 'running');
        if (run !== undefined) {
          setState({ kind: 'done', run });
          onFinished();
          return;
        }
      }
      setState({ kind: 'slow' });
    } catch (error) {
      setState({
        kind: 'error',
        message: error instanceof ApiError && error.status === 409 ? error.message : errorMessage(error),
      });
    }
  };
  const busy = state.kind === 'waiting';
  return (
    <div class="run-now">
      <div class="buttons">
        <button
          type="button"
          class="primary"
          onClick={() => void start(false)}
          disabled={busy}
          aria-describedby="run-now-status"
        >
          {busy ? 'Syncing…' : 'Run now'}
        </button>
        <button type="button" class="secondary" onClick={() => void start(true)} disabled={busy}>
          Full sync
        </button>
      </div>
      <p id="run-now-status" class="run-now-status" role="status">
        {state.kind === 'waiting'
          ? 'Sync queued; waiting for it to finish…'
          : state.kind === 'done'
            ? state.run.status === 'failed'
              ? `Sync failed: ${state.run.errors?.[0] ?? 'see Recent runs'}`
              : `Sync ${state.run.status === 'succeeded' ? 'finished' : 'finished with rejected rows'}: ${count(state.run, 'changed')} changed, ${count(state.run, 'written')} written.`
            : state.kind === 'slow'
              ? 'The sync is still running; reload this page later to see it.'
              : state.kind === 'error'
                ? state.message
                : ''}
      </p>
    </div>
  );
}
