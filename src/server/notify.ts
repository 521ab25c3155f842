/**
 * Tier-change notifications: when an installation has a `notifyUrl` (e.g. a Slack incoming
 * webhook), each run that moved records posts one message: "Account 123 moved Mid-touch →
 * High-touch: Deal size 120,000 ≥ 100,000; 3 High-touch seats left". Failures are logged, never
 * fatal to the sync.
 */
import { platformFor } from '../../connectors/platforms.ts';
import type { SyncReport } from '../sync/engine.ts';
import type { Installation } from '../store/store.ts';

const SHOWN = 10;

export function notificationText(installation: Installation, report: SyncReport): string | undefined {
  if (report.moved === 0) return undefined;
  const label = (tier: string | null): string => (tier === null ? 'none' : (report.tierLabels[tier] ?? tier));
  const noun = platformFor(installation.crm).nouns;
  const seats = report.summary.capacity
    .map((c) => `${Math.max(0, c.seats - c.seated)} ${c.label} seat${c.seats - c.seated === 1 ? '' : 's'} left`)
    .join(', ');
  const lines = report.moves.slice(0, SHOWN).map((move) => {
    const why = move.reasons.join('; ');
    return `${noun[move.type]} ${move.id} moved ${label(move.from)} → ${label(move.to)}: ${why}${seats === '' ? '' : `; ${seats}`}`;
  });
  if (report.moved > lines.length) lines.push(`… and ${report.moved - lines.length} more`);
  return lines.join('\n');
}

export async function notify(
  installation: Installation,
  report: SyncReport,
  fetchFn: typeof fetch = fetch,
): Promise<boolean> {
  const url = installation.settings.notifyUrl;
  if (url === undefined || report.dryRun) return false;
  const text = notificationText(installation, report);
  if (text === undefined) return false;
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`the notification webhook answered ${response.status}`);
  return true;
}
