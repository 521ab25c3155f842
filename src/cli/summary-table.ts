/** The run summary as plain-text tables for a terminal (written to stderr by `classify --summary`). */
import type { RunSummary, SectionSummary, Tier } from '../core/index.ts';

const NUMBER = new Intl.NumberFormat('en-US');

/** Left-aligns the first column and right-aligns the others. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

function movementTable(tiers: readonly Tier[], section: SectionSummary): string {
  const fromValues: (string | null)[] = [null, ...tiers.map((t) => t.value)].filter((from) =>
    section.movements.some((m) => m.from === from),
  );
  const labelOf = (value: string | null): string =>
    value === null ? '(none)' : (tiers.find((t) => t.value === value)?.label ?? value);
  const rows = [['from \\ to', ...tiers.map((t) => t.label)]];
  for (const from of fromValues) {
    rows.push([
      labelOf(from),
      ...tiers.map((to) =>
        NUMBER.format(section.movements.find((m) => m.from === from && m.to === to.value)?.count ?? 0),
      ),
    ]);
  }
  return table(rows);
}

export function renderSummary(summary: RunSummary): string {
  const { tiers } = summary;
  const parts: string[] = [];
  const tierRows = [['Tier', 'Companies', 'Contacts']];
  for (const tier of tiers) {
    tierRows.push([
      tier.label,
      NUMBER.format(summary.company.tiers[tier.value] ?? 0),
      NUMBER.format(summary.contact.tiers[tier.value] ?? 0),
    ]);
  }
  tierRows.push(['Total', NUMBER.format(summary.company.total), NUMBER.format(summary.contact.total)]);
  parts.push(`Engagement models\n${table(tierRows)}`);

  if (summary.withPrevious) {
    for (const [name, section] of [
      ['Companies', summary.company],
      ['Contacts', summary.contact],
    ] as const) {
      if (section.total === 0) continue;
      parts.push(
        `${name}: ${NUMBER.format(section.changed)} of ${NUMBER.format(section.total)} changed tier (previous → now)\n${movementTable(tiers, section)}`,
      );
    }
  }

  if (summary.capacity.length > 0) {
    const rows = [['Tier', 'Seats', 'Wanted', 'Pinned', 'Seated', 'Moved down']];
    const warnings: string[] = [];
    for (const report of summary.capacity) {
      rows.push([
        report.label,
        NUMBER.format(report.seats),
        NUMBER.format(report.demand),
        NUMBER.format(report.pinned),
        NUMBER.format(report.seated),
        NUMBER.format(report.movedDown),
      ]);
      if (report.exceededByPinned) {
        warnings.push(
          `  ! ${report.label} capacity exceeded by pinned records: ${NUMBER.format(report.pinned)} pinned for ${NUMBER.format(report.seats)} seats`,
        );
      }
    }
    parts.push(`Capacity\n${table(rows)}${warnings.length > 0 ? `\n${warnings.join('\n')}` : ''}`);
  }
  return `${parts.join('\n\n')}\n`;
}
