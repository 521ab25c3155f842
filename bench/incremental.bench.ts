/**
 * `node bench/incremental.bench.ts`: a micro-benchmark of incremental runs (src/core/incremental.ts),
 * in memory, no I/O. Builds a book of 100,000 companies and 300,000 contacts (the generator of
 * `npm run bench`, the bench policy: capacity on the two top tiers, hysteresis, inheritance), brings
 * an incremental state to a steady state, then changes 100 records (deal sizes and lead scores,
 * some across thresholds) and times, in CPU, a full `classify` of the changed book against the
 * incremental run of the same changes. Target: the incremental run uses ≤ 5% of the full one's
 * CPU. It also checks that both give the same decisions, next-tier hints included (rank text of
 * over-capacity reasons aside, as documented in incremental.ts). Not a test: it reports and exits 0.
 *
 * Options: --companies N (default 100,000), --contacts N (default 300,000), --changes N (default 100),
 * --runs N (median of N measured pairs, default 3).
 */
import { parseArgs } from 'node:util';
import { classify, createIncremental } from '../src/core/index.ts';
import type { CanonicalRecord, Decision, PreviousTier } from '../src/core/index.ts';
import { benchPolicy } from './policy.ts';
import { Random } from './prng.ts';
import { makeCompany, makeContact } from './records.ts';

const DAY_MS = 86_400_000;
const TARGET = 0.05;

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive whole number, got ${value}`);
  return n;
}

const { values } = parseArgs({
  options: {
    companies: { type: 'string' },
    contacts: { type: 'string' },
    changes: { type: 'string' },
    runs: { type: 'string' },
  },
});
const companyCount = count(values.companies, 100_000, 'companies');
const contactCount = count(values.contacts, 300_000, 'contacts');
const changeCount = count(values.changes, 100, 'changes');
const runs = count(values.runs, 3, 'runs');

const log = (text: string): void => void process.stdout.write(`${text}\n`);

function cpuMs<T>(work: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** The previous tiers of the next run: these decisions, `since` kept where the tier stayed. */
function nextPrevious(previous: Map<string, PreviousTier>, decisions: readonly Decision[], now: Date) {
  const next = new Map<string, PreviousTier>();
  for (const d of decisions) {
    const key = `${d.type}\u0000${d.id}`;
    const before = previous.get(key);
    next.set(
      key,
      before?.tier === d.tier ? before : { type: d.type, id: d.id, tier: d.tier, since: now.toISOString() },
    );
  }
  return next;
}

const OVER_RANK = /(ranked )[\d,]+(?:st|nd|rd|th)( by )/;
function sameDecisions(a: readonly Decision[], b: ReadonlyMap<string, Decision>): number {
  let differences = 0;
  for (const d of a) {
    const other = b.get(`${d.type}\u0000${d.id}`);
    const norm = (reasons: readonly string[]) => reasons.map((r) => r.replace(OVER_RANK, '$1#$2')).join('\n');
    const hint = (x: Decision) => JSON.stringify(x.next ?? null);
    if (other?.tier !== d.tier || norm(other.reasons) !== norm(d.reasons) || hint(other) !== hint(d)) differences++;
  }
  return differences;
}

const policy = benchPolicy();
const random = new Random(20261207);
log(
  `building ${companyCount.toLocaleString('en-US')} companies and ${contactCount.toLocaleString('en-US')} contacts ...`,
);
const records: CanonicalRecord[] = [];
for (let i = 0; i < companyCount; i++) records.push(JSON.parse(makeCompany(random, `co${i}`).line) as CanonicalRecord);
for (let i = 0; i < contactCount; i++) {
  const companyId = `co${random.int(companyCount)}`;
  records.push(JSON.parse(makeContact(random, `ct${i}`, companyId).line) as CanonicalRecord);
}
const index = new Map(records.map((r, i) => [`${r.type}\u0000${r.id}`, i]));

// A steady state: the book was classified long ago (holds expired), then once more at `now`.
let nowMs = Date.parse('2026-11-20T00:00:00Z');
const first = classify(policy, records, undefined, new Date(nowMs - 90 * DAY_MS)).decisions;
let previous = nextPrevious(new Map(), first, new Date(nowMs - 90 * DAY_MS));
const state = createIncremental(policy);
const built = cpuMs(() => state.fullClassify(records, previous.values(), new Date(nowMs)));
previous = nextPrevious(previous, built.result, new Date(nowMs));
log(`state built (fullClassify): ${built.ms.toFixed(0)} ms CPU`);
// The records whose tier moved in that run, and that it left pending, are decided again in the
// next: settle them first (since 2026-12-08 `fullClassify` settles most itself: incremental-settled.ts).
nowMs += DAY_MS / 24;
const settleRun = cpuMs(() => state.apply({ now: new Date(nowMs) }));
const settleFull = cpuMs(() => classify(policy, records, previous.values(), new Date(nowMs)).decisions);
previous = nextPrevious(previous, settleFull.result, new Date(nowMs));
log(`settling run: ${settleRun.result.decided} records decided again, ${settleRun.ms.toFixed(0)} ms CPU`);

const fullMs: number[] = [];
const incrementalMs: number[] = [];
for (let run = 1; run <= runs; run++) {
  nowMs += DAY_MS;
  const now = new Date(nowMs);
  const upserts: CanonicalRecord[] = [];
  for (let i = 0; i < changeCount; i++) {
    const company = i % 2 === 0;
    const id = company ? `co${random.int(companyCount)}` : `ct${random.int(contactCount)}`;
    const at = index.get(`${company ? 'company' : 'contact'}\u0000${id}`) ?? -1;
    const before = records[at];
    if (before === undefined) continue;
    const fields = company
      ? { ...before.fields, dealSize: Math.round(random.logNormal(20000, 1.5)) }
      : { ...before.fields, leadScore: random.int(101) };
    const record = { ...before, fields };
    records[at] = record;
    upserts.push(record);
  }
  const incremental = cpuMs(() => state.apply({ upserts, now }));
  const full = cpuMs(() => classify(policy, records, previous.values(), now).decisions);
  previous = nextPrevious(previous, full.result, now);
  const differences = sameDecisions(full.result, new Map(state.decisions().map((d) => [`${d.type}\u0000${d.id}`, d])));
  fullMs.push(full.ms);
  incrementalMs.push(incremental.ms);
  log(
    `run ${run}: full classify ${full.ms.toFixed(0)} ms CPU; incremental ${incremental.ms.toFixed(1)} ms CPU ` +
      `(${incremental.result.decided} records decided, ${incremental.result.changed.length} decisions changed); ` +
      (differences === 0 ? 'same decisions' : `${differences} DIFFERENT decisions`),
  );
}
const ratio = median(incrementalMs) / median(fullMs);
log(
  `median: full ${median(fullMs).toFixed(0)} ms, incremental ${median(incrementalMs).toFixed(1)} ms CPU → ` +
    `${(ratio * 100).toFixed(2)}% (target ≤ ${TARGET * 100}%: ${ratio <= TARGET ? 'met' : 'NOT met'})`,
);
