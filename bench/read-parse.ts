/**
 * The baseline, run as its own process: read JSON Lines files with the CLI's own reader
 * (`readLineBatches`, same stream settings) and JSON.parse every non-blank line. Prints the counts.
 * Given the records and the previous tiers, it reads exactly the input `classify` reads.
 */
import { isBlank, readLineBatches } from '../src/cli/jsonl.ts';

const paths = process.argv.slice(2);
if (paths.length === 0) throw new Error('usage: node bench/read-parse.ts FILE...');
const counts: { path: string; lines: number; companies: number }[] = [];
for (const path of paths) {
  let lines = 0;
  let companies = 0;
  for await (const batch of readLineBatches(path)) {
    for (const text of batch.lines) {
      if (isBlank(text)) continue;
      lines++;
      if ((JSON.parse(text) as { type?: unknown }).type === 'company') companies++;
    }
  }
  counts.push({ path, lines, companies });
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
