/**
 * One of several processes on one SQLite file (test/store/shared-file.test.ts): at the agreed
 * moment it opens the store and does what `righttouch sync --dry-run` does to it on a fresh file —
 * migrate, register the installation, save the default policy unless there is one, start a run,
 * mirror records and deals page by page, read the mirror and the stored tiers back, finish the
 * run — and, as a real sync running beside it would, records tiers and writes while it pages
 * through them. Prints one JSON line with what it did; any error ends it with code 1.
 *
 * argv[2] is JSON: { path, startAt, worker, policy }.
 */
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { CanonicalRecord, Policy } from '../../src/core/index.ts';

interface SharerArgs {
  readonly path: string;
  readonly startAt: number;
  readonly worker: number;
  readonly policy: Policy;
}

const args = JSON.parse(process.argv[2] ?? '{}') as SharerArgs;
await new Promise((wake) => setTimeout(wake, Math.max(0, args.startAt - Date.now())));

const store = new SqliteStore(args.path);
await store.migrate();
const installation = await store.upsertInstallation('hubspot', 'portal-1', 'Shared portal');
if ((await store.activePolicy(installation.id)) === undefined) await store.savePolicy(installation.id, args.policy);
const run = await store.startRun(installation.id, 'full (dry run)', Date.now());

// Every process mirrors the same records: their writes meet on the same rows.
const page = (n: number): CanonicalRecord[] =>
  Array.from({ length: 200 }, (_, i) => ({
    type: i % 5 === 0 ? 'company' : 'contact',
    id: `r${String(n * 200 + i).padStart(5, '0')}`,
    companyId: null,
    fields: { leadScore: (n * 200 + i + args.worker) % 100 },
  }));
for (let n = 0; n < 10; n++) {
  await store.upsertRecords(installation.id, page(n), Date.now());
  await store.upsertDeals(installation.id, [
    { id: `d${n}`, companyId: 'r00000', amount: 1000 * n, closedWon: n % 2 === 0, closed: true, closeTime: n },
  ]);
}
let mirrored = 0;
for await (const records of store.records(installation.id, 500)) mirrored += records.length;

// Tiers recorded, then written while the stored tiers are being read: a write from a connection
// in the middle of reading, after other processes committed.
const changes = page(args.worker).map((record) => ({
  type: record.type,
  id: record.id,
  tier: `tier-${args.worker}`,
  reasons: ['shared file'],
}));
await store.applyTierChanges(installation.id, run.id, changes, Date.now());
let tiers = 0;
for await (const tier of store.storedTiers(installation.id)) {
  if (tiers++ % 100 === 0) await store.markWritten(installation.id, tier.type, [tier.id], Date.now());
}
let deals = 0;
for await (const deal of store.deals(installation.id)) {
  if (deals++ === 0) await store.setCursor(installation.id, `deals.seen.${args.worker}`, deal.id);
}

const finished = await store.finishRun(
  run.id,
  { status: 'succeeded', counts: { mirrored, tiers }, errors: [] },
  Date.now(),
);
await store.close();
process.stdout.write(
  `${JSON.stringify({ installationId: installation.id, runId: finished.id, mirrored, tiers, deals })}\n`,
);
