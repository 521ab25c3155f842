/** What the capacity numbers mean for the CS team: who waits for a seat, and what would seat them. */
import type { CapacityReport } from '../../../src/core/capacity.ts';
import type { Seats } from '../../../src/core/policy-types.ts';
import { plural } from './format.ts';

export interface CapacityView {
  readonly report: CapacityReport;
  /** Accounts eligible for the tier that did not get a seat (demand − seated). */
  readonly waitlisted: number;
  /** seated / seats, capped at 1 for the meter (pinned accounts can exceed the seats). */
  readonly used: number;
  /** The CSM or seat shortfall in words, when anyone waits. */
  readonly shortfall: string | undefined;
  /** When pinned accounts alone need more seats than there are. */
  readonly pinnedOver: string | undefined;
}

export function capacityView(report: CapacityReport, max: Seats | undefined): CapacityView {
  const waitlisted = Math.max(0, report.demand - report.seated);
  let shortfall: string | undefined;
  if (waitlisted > 0) {
    const who = `${plural(waitlisted, 'eligible account')} ${waitlisted === 1 ? 'waits' : 'wait'} for a ${report.label} seat`;
    const them = waitlisted === 1 ? 'it' : 'them';
    if (typeof max === 'object' && max.accountsPerCsm > 0) {
      const more = Math.ceil(waitlisted / max.accountsPerCsm);
      shortfall = `${who} — ${more} more ${more === 1 ? 'CSM' : 'CSMs'} at ${plural(max.accountsPerCsm, 'account')} ${more === 1 ? 'covers' : 'cover'} ${them}`;
    } else {
      shortfall = `${who} — ${plural(waitlisted, 'more seat')} would cover ${them}`;
    }
  }
  const pinnedOver = report.exceededByPinned
    ? `${plural(report.pinned, 'pinned account')} (floors and overrides) need more than the ${plural(report.seats, 'seat')}: they keep their tier anyway`
    : undefined;
  return {
    report,
    waitlisted,
    used: report.seats === 0 ? (report.seated > 0 ? 1 : 0) : Math.min(1, report.seated / report.seats),
    shortfall,
    pinnedOver,
  };
}
