/**
 * What `setup` says about the lead score when the mapping discovers it (src/sync/lead-score.ts):
 * the property read and why, the portal's score properties, the ways to choose another, and any
 * warning (a frozen `hubspotscore`, a stored choice the portal no longer lists).
 */
import type { LeadScoreChoice } from '../sync/lead-score.ts';

export function leadScoreLines(choice: LeadScoreChoice, installationId: string, crm: string): string[] {
  const lines: string[] = [];
  const label = (name: string): string => {
    const found = choice.candidates?.find((candidate) => candidate.name === name);
    return found === undefined ? '' : ` (${found.label}, ${found.kind} score)`;
  };
  if (choice.property === null) lines.push('Lead score: no score property found; leadScore reads as missing.');
  else {
    const why = choice.source === 'picked' ? 'picked now by the rule and kept from now on' : 'the stored choice';
    lines.push(`Lead score: read from contacts.${choice.property}${label(choice.property)}; ${why}.`);
  }
  if (choice.candidates !== undefined) {
    const listed = choice.candidates.map((c) => `${c.name} (${c.label}, ${c.kind})`).join(', ');
    lines.push(`  Score properties in the portal: ${listed === '' ? 'none' : listed}`);
  }
  lines.push(
    `  To read another: righttouch setup --crm ${crm} --lead-score <property>, or ` +
      `PUT /api/installations/${installationId}/settings {"leadScoreProperty": "<property>"}, ` +
      'or name the property in the mapping file instead of { "discover": "lead-score" }.',
  );
  for (const warning of choice.warnings) lines.push(`Warning: ${warning}`);
  return lines;
}
