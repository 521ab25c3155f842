/** Telling a write that time alone explains (a won deal left the deal-size window) from the rest. */
import type { RecordType } from '../src/core/index.ts';
import type { Store } from '../src/store/store.ts';

/**
 * Of the records a sync wrote, those a won deal leaving the deal-size window does not explain: no
 * deal of the company (of a contact's company) with an amount closed won between the window's
 * start at `fromMs` and at `toMs` (the two runs' classification times). The rest changed because
 * time passed (the company's deal size dropped), not because the sync misjudged anything.
 */
export async function notLeftTheWindow(
  store: Store,
  installationId: string,
  written: readonly { type: RecordType; id: string }[],
  times: { fromMs: number; toMs: number; windowDays: number },
): Promise<{ type: RecordType; id: string }[]> {
  if (written.length === 0) return [];
  const windowMs = times.windowDays * 86_400_000;
  const companies = new Set<string>();
  for await (const deal of store.deals(installationId)) {
    const close = deal.closeTime ?? Number.NaN;
    const counted = deal.closedWon && (deal.amount ?? 0) !== 0;
    if (counted && close > times.fromMs - windowMs && close <= times.toMs - windowMs) {
      companies.add(deal.companyId);
    }
  }
  const contacts = new Set(written.filter((w) => w.type === 'contact').map((w) => w.id));
  const companyOf = new Map<string, string | null>();
  if (contacts.size > 0) {
    for await (const page of store.records(installationId)) {
      for (const record of page) if (contacts.has(record.id)) companyOf.set(record.id, record.companyId ?? null);
    }
  }
  return written.filter((w) => !companies.has(w.type === 'company' ? w.id : (companyOf.get(w.id) ?? '')));
}
