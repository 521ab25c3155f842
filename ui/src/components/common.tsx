/** Pieces every page uses: loading, error and empty states, badges, tier names and colours. */
import type { ComponentChildren } from 'preact';
import { ApiError, errorMessage } from '../api.ts';
import type { Tier } from '../types.ts';

/** Tier colours by rank (least touch first), each ≥ 3:1 against white. */
export const TIER_COLORS = ['#5b6b7f', '#1f6fb2', '#b45309', '#7e3aa8', '#1b7a3d', '#b42359', '#0e7490', '#6b5b00'];

export function tierColor(tiers: readonly Tier[], value: string): string {
  const index = tiers.findIndex((tier) => tier.value === value);
  return index < 0 ? '#6b7280' : (TIER_COLORS[index % TIER_COLORS.length] ?? '#6b7280');
}

export function tierLabel(tiers: readonly Tier[], value: string): string {
  if (value === '(none)') return 'No tier yet';
  return tiers.find((tier) => tier.value === value)?.label ?? value;
}

export function TierBadge({ tiers, value }: { tiers: readonly Tier[]; value: string }) {
  return (
    <span class="tier-badge" style={{ '--tier': tierColor(tiers, value) }}>
      {tierLabel(tiers, value)}
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const status = error instanceof ApiError ? error.status : undefined;
  return (
    <div class="notice error" role="alert">
      <p>
        <strong>{title ?? 'Something went wrong.'}</strong> {errorMessage(error)}
        {status !== undefined && status >= 500 ? ' (the server logged the details)' : ''}
      </p>
      {onRetry === undefined ? null : (
        <button type="button" class="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Notice({
  kind,
  children,
}: {
  kind: 'info' | 'success' | 'warning' | 'error';
  children: ComponentChildren;
}) {
  return (
    <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

const RUN_STATUS: Record<string, { label: string; kind: string }> = {
  succeeded: { label: 'Succeeded', kind: 'good' },
  partial: { label: 'Partial', kind: 'warn' },
  failed: { label: 'Failed', kind: 'bad' },
  running: { label: 'Running', kind: 'info' },
};

export function RunStatusBadge({ status }: { status: string }) {
  const known = RUN_STATUS[status] ?? { label: status, kind: 'info' };
  return <span class={`badge ${known.kind}`}>{known.label}</span>;
}

export function InstallationStatusBadge({ status }: { status: string }) {
  if (status === 'active') return <span class="badge good">Connected</span>;
  if (status === 'uninstalled') return <span class="badge bad">Uninstalled</span>;
  return <span class="badge bad">Needs reconnect</span>;
}

export function crmName(crm: string): string {
  return crm === 'hubspot' ? 'HubSpot' : crm === 'salesforce' ? 'Salesforce' : crm;
}
