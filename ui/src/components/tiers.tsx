/** Tier distributions: a bar chart with the same numbers as a table, and capacity per tier. */
import { useMemo } from 'preact/hooks';
import type { Seats } from '../../../src/core/policy-types.ts';
import { capacityView } from '../lib/capacity.ts';
import { formatNumber, formatPercent } from '../lib/format.ts';
import type { CapacityReport, Policy, Tier } from '../types.ts';
import { ChartView } from './chart.tsx';
import { Empty, tierColor, tierLabel } from './common.tsx';

export const TYPE_NAMES = { company: 'Companies', contact: 'Contacts' } as const;

/** The policy's tiers, then any other tier the counts name (a tier since retired). */
export function tiersFor(tiers: readonly Tier[], ...counts: readonly Readonly<Record<string, number>>[]): Tier[] {
  const known = new Set(tiers.map((tier) => tier.value));
  const extra = [...new Set(counts.flatMap((count) => Object.keys(count)))].filter((value) => !known.has(value));
  return [...tiers, ...extra.map((value) => ({ value, label: value === '(none)' ? 'No tier yet' : value }))];
}

export function DistributionChart({
  name,
  title,
  tiers,
  counts,
}: {
  name: string;
  title: string;
  tiers: readonly Tier[];
  counts: Readonly<Record<string, number>>;
}) {
  const shown = useMemo(() => tiersFor(tiers, counts), [tiers, counts]);
  const total = shown.reduce((sum, tier) => sum + (counts[tier.value] ?? 0), 0);
  const data = useMemo(
    () => ({
      labels: shown.map((tier) => tier.label),
      datasets: [
        {
          label: title,
          data: shown.map((tier) => counts[tier.value] ?? 0),
          backgroundColor: shown.map((tier) => tierColor(tiers, tier.value)),
          borderRadius: 3,
        },
      ],
    }),
    [shown, counts, tiers, title],
  );
  const summary = shown.map((tier) => `${tier.label} ${formatNumber(counts[tier.value] ?? 0)}`).join(', ');
  return (
    <figure class="chart-card">
      <figcaption>
        <h3>{title}</h3>
        <span class="muted">{formatNumber(total)} in all</span>
      </figcaption>
      {total === 0 ? (
        <Empty>None yet.</Empty>
      ) : (
        <ChartView type="bar" name={name} data={data} legend={false} height={190} label={`${title}: ${summary}`} />
      )}
      <table class="compact counts" data-table={name}>
        <caption class="sr-only">{title} per tier</caption>
        <thead>
          <tr>
            <th scope="col">Tier</th>
            <th scope="col" class="num">
              Count
            </th>
            <th scope="col" class="num">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((tier) => (
            <tr key={tier.value} data-tier={tier.value}>
              <th scope="row">
                <span class="swatch" style={{ background: tierColor(tiers, tier.value) }} aria-hidden="true" />
                {tier.label}
              </th>
              <td class="num">{formatNumber(counts[tier.value] ?? 0)}</td>
              <td class="num">{formatPercent(counts[tier.value] ?? 0, total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function maxOf(policy: Policy | undefined, tier: string): Seats | undefined {
  return policy?.company?.capacity?.[tier]?.max;
}

function seatsText(max: Seats | undefined, seats: number): string {
  if (typeof max === 'object') return `${formatNumber(max.csms)} CSMs × ${formatNumber(max.accountsPerCsm)} accounts`;
  return `${formatNumber(seats)} seats`;
}

export function CapacityTable({
  reports,
  policy,
  name,
}: {
  reports: readonly CapacityReport[];
  policy: Policy | undefined;
  name: string;
}) {
  if (reports.length === 0) {
    return <Empty>The policy sets no capacity limit: every eligible company gets its tier.</Empty>;
  }
  const tiers = policy?.tiers ?? [];
  return (
    <div class="capacity" data-capacity={name}>
      {reports.map((report) => {
        const view = capacityView(report, maxOf(policy, report.tier));
        const max = maxOf(policy, report.tier);
        return (
          <section
            key={report.tier}
            class="capacity-tier"
            data-tier={report.tier}
            aria-label={`${report.label} capacity`}
          >
            <h3>
              <span class="swatch" style={{ background: tierColor(tiers, report.tier) }} aria-hidden="true" />
              {tierLabel(tiers, report.tier)}
              <span class="muted"> · {seatsText(max, report.seats)}</span>
            </h3>
            <div class="meter-row">
              <meter
                min={0}
                max={Math.max(report.seats, 1)}
                value={Math.min(report.seated, Math.max(report.seats, 1))}
                low={Math.max(report.seats, 1) * 0.75}
                high={Math.max(report.seats, 1) * 0.95}
                optimum={0}
                aria-label={`${report.label} seats used`}
              />
              <span class="seat-count">
                <strong>{formatNumber(report.seated)}</strong> / {formatNumber(report.seats)} seats used
              </span>
            </div>
            <dl class="stats">
              <div>
                <dt>Eligible</dt>
                <dd>{formatNumber(report.demand)}</dd>
              </div>
              <div>
                <dt>Pinned</dt>
                <dd title="Held by a floor or an override: they always keep a seat">{formatNumber(report.pinned)}</dd>
              </div>
              <div>
                <dt>Waitlisted</dt>
                <dd class={view.waitlisted > 0 ? 'warn-text' : ''}>{formatNumber(view.waitlisted)}</dd>
              </div>
            </dl>
            {view.shortfall === undefined ? (
              <p class="ok-text">Every eligible account has a seat.</p>
            ) : (
              <p class="shortfall" data-shortfall>
                {view.shortfall}.
              </p>
            )}
            {view.pinnedOver === undefined ? null : <p class="warn-text">{view.pinnedOver}.</p>}
          </section>
        );
      })}
    </div>
  );
}
