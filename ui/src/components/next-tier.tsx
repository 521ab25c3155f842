/**
 * The overview's "Closest to the next tier": the companies whose next-tier hint (spec §8) has the
 * smallest relative gap `(t − v) / |t|`, those whose field has no value last, with the hint
 * sentence the CRM record shows, each by its name (its id without one) linked to its record view. Read from the tiers the syncs stored (`GET …/next-tier`), so
 * loading the overview classifies nothing.
 */
import { api, installationPath } from '../api.ts';
import { href, useLoad } from '../hooks.ts';
import type { NextTierResponse, Tier } from '../types.ts';
import { Empty, ErrorBox, Loading, TierBadge } from './common.tsx';

/** Companies listed. */
const SHOWN = 10;

/** "12% short", "at the threshold", or "no value" for a gap. */
function gapText(gap: number | null): string {
  if (gap === null) return 'no value';
  if (gap <= 0) return 'at the threshold';
  const percent = gap * 100;
  return `${percent < 1 ? percent.toFixed(1) : Math.round(percent)}% short`;
}

export function NextTierPanel({ installationId, tiers }: { installationId: string; tiers: readonly Tier[] }) {
  const data = useLoad<NextTierResponse>(
    (signal) => api<NextTierResponse>(installationPath(installationId, `/next-tier?limit=${SHOWN}`), { signal }),
    [installationId],
  );
  if (data.state === 'loading') return <Loading what="the companies closest to their next tier" />;
  if (data.state === 'error')
    return <ErrorBox error={data.error} title="The next-tier list could not be loaded." onRetry={data.reload} />;
  const { companies } = data.data;
  if (companies.length === 0) {
    return <Empty>No company has a next-tier hint yet: the list fills in with the next sync.</Empty>;
  }
  return (
    <div class="table-scroll">
      <table data-table="next-tier">
        <thead>
          <tr>
            <th scope="col">Company</th>
            <th scope="col">Tier now</th>
            <th scope="col">Gap</th>
            <th scope="col">What would move it up</th>
          </tr>
        </thead>
        <tbody>
          {companies.map((company) => (
            <tr key={company.id} data-next-tier={company.id}>
              <td>
                <a href={href('records', { type: 'company', id: company.id })}>
                  {company.display?.name ?? company.display?.domain ?? company.id}
                </a>
              </td>
              <td>
                <TierBadge tiers={tiers} value={company.tier} />
              </td>
              <td>{gapText(company.gap)}</td>
              <td>{company.hint}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
