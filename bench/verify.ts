/** Reads classify's output back: one decision per record, tiers per type, and what capacity did. */
import { readLines } from '../src/cli/jsonl.ts';

export interface OutputCheck {
  readonly lines: number;
  /** type → tier → count. */
  readonly tiers: Record<string, Record<string, number>>;
  /** Capacity tier label → companies that kept a seat by ranking / moved down. */
  readonly capacity: Record<string, { kept: number; movedDown: number }>;
}

const KEPT = /^Kept a (.+) seat \(/;
const OVER = /^Over (.+) capacity \(/;

interface DecisionLine {
  readonly type: string;
  readonly tier: string;
  readonly reasons: readonly string[];
}

export async function checkOutput(path: string): Promise<OutputCheck> {
  let lines = 0;
  const tiers: Record<string, Record<string, number>> = {};
  const capacity: Record<string, { kept: number; movedDown: number }> = {};
  for await (const line of readLines(path)) {
    if (line.text === '') continue;
    lines++;
    const decision = JSON.parse(line.text) as DecisionLine;
    const byTier = (tiers[decision.type] ??= {});
    byTier[decision.tier] = (byTier[decision.tier] ?? 0) + 1;
    if (decision.type !== 'company') continue;
    for (const reason of decision.reasons) {
      const kept = KEPT.exec(reason)?.[1];
      const over = OVER.exec(reason)?.[1];
      const label = kept ?? over;
      if (label === undefined) continue;
      const entry = (capacity[label] ??= { kept: 0, movedDown: 0 });
      if (kept !== undefined) entry.kept++;
      else entry.movedDown++;
    }
  }
  return { lines, tiers, capacity };
}
