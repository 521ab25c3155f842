/**
 * Generates the benchmark input, deterministically from a seed: policy.json, records.jsonl
 * (companies each followed by their contacts, some contacts orphaned or pointing at unknown
 * companies) and previous.jsonl (an earlier run's tiers for about half the records).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChunkedFile } from './chunked-file.ts';
import { BENCH_POLICY, benchPolicy, TIER_VALUES } from './policy.ts';
import { Random } from './prng.ts';
import { makeCompany, makeContact } from './records.ts';

export interface GenerateOptions {
  readonly dir: string;
  readonly companies: number;
  readonly contacts: number;
  readonly seed: number;
  /** The run clock the previous tiers' `since` times lead up to. */
  readonly now: Date;
}

export interface Generated {
  readonly policy: string;
  readonly records: string;
  readonly previous: string;
  readonly companies: number;
  readonly contacts: number;
  readonly previousTiers: number;
  readonly recordsBytes: number;
  readonly ms: number;
}

const DAY_MS = 86_400_000;
const PREVIOUS_RATE = 0.5;
const RETIRED_TIER = 'enterprise_touch';

/** Contacts per company: even at first, then shuffled by random one-contact moves (exact total kept). */
function contactCounts(random: Random, companies: number, contacts: number): Uint8Array {
  const counts = new Uint8Array(companies);
  const base = Math.floor(contacts / companies);
  const extra = contacts - base * companies;
  for (let i = 0; i < companies; i++) counts[i] = base + (i < extra ? 1 : 0);
  for (let move = 0; move < companies; move++) {
    const from = random.int(companies);
    const to = random.int(companies);
    const have = counts[from] ?? 0;
    const get = counts[to] ?? 0;
    if (from !== to && have > 0 && get < 255) {
      counts[from] = have - 1;
      counts[to] = get + 1;
    }
  }
  return counts;
}

/** An earlier run's tier: mostly what the numbers say, sometimes one off, rarely a retired tier. */
function previousLine(random: Random, type: string, id: string, roughRank: number, nowMs: number): string {
  const r = random.next();
  const rank = r < 0.7 ? roughRank : r < 0.85 ? Math.min(roughRank + 1, 3) : Math.max(roughRank - 1, 0);
  const tier = random.chance(0.002) ? RETIRED_TIER : (TIER_VALUES[rank] ?? 'tech_touch');
  const since = new Date(nowMs - random.int(365 * DAY_MS)).toISOString();
  return JSON.stringify({ type, id, tier, since });
}

/** The contact's `companyId`: its company, or (7%) absent, null or a company not in the file. */
function contactCompanyId(random: Random, companyId: string): string | null | undefined {
  const r = random.next();
  if (r < 0.03) return undefined;
  if (r < 0.05) return null;
  if (r < 0.07) return String(90_000_000 + random.int(1_000_000));
  return companyId;
}

export async function generate(options: GenerateOptions): Promise<Generated> {
  const started = performance.now();
  const random = new Random(options.seed);
  const nowMs = options.now.getTime();
  await mkdir(options.dir, { recursive: true });
  const paths = {
    policy: join(options.dir, 'policy.json'),
    records: join(options.dir, 'records.jsonl'),
    previous: join(options.dir, 'previous.jsonl'),
  };
  benchPolicy(); // validates it as the CLI will, and throws with every problem if it is not valid
  await writeFile(paths.policy, `${JSON.stringify(BENCH_POLICY, null, 2)}\n`);

  const records = new ChunkedFile(paths.records);
  const previous = new ChunkedFile(paths.previous);
  const counts = contactCounts(random, options.companies, options.contacts);
  let contactNumber = 0;
  for (let i = 0; i < options.companies; i++) {
    const companyId = String(10_000_000 + i);
    const company = makeCompany(random, companyId);
    records.line(company.line);
    if (random.chance(PREVIOUS_RATE))
      previous.line(previousLine(random, 'company', companyId, company.roughRank, nowMs));
    const count = counts[i] ?? 0;
    for (let c = 0; c < count; c++) {
      const contactId = String(50_000_000 + contactNumber++);
      const linkedTo = contactCompanyId(random, companyId);
      const contact = makeContact(random, contactId, linkedTo);
      records.line(contact.line);
      if (random.chance(PREVIOUS_RATE)) {
        const rough = linkedTo === companyId ? Math.max(contact.roughRank, company.roughRank) : contact.roughRank;
        previous.line(previousLine(random, 'contact', contactId, rough, nowMs));
      }
    }
    await records.flushIfFull();
    await previous.flushIfFull();
  }
  await Promise.all([records.close(), previous.close()]);
  return {
    ...paths,
    companies: options.companies,
    contacts: contactNumber,
    previousTiers: previous.lines,
    recordsBytes: (await stat(paths.records)).size,
    ms: performance.now() - started,
  };
}
