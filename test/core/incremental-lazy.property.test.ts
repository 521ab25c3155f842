/**
 * The oracle of incremental runs on a state whose contacts are loaded on demand
 * (src/core/incremental.ts: `loadCompanies`, `applyCompanies` → `applyContacts`), as a worker runs
 * it from the store: before every run the state is either loaded afresh from the saved rows — the
 * companies and the saved tier counts only — or kept from the last run with its contacts dropped
 * (a worker's cache). The run is then given only the contact rows a loader finds for what it asks,
 * as the store's queries find them: the changed and deleted contacts by id before the companies
 * phase, then the contacts of the companies it names, and those pending or whose hold ends by
 * `dueBy`. After every run, the decisions a consumer holds must equal a full `classify` of the
 * same records with the same previous tiers (the over-capacity rank exempt, as in
 * incremental.property.test.ts), and so must a state loaded whole from the saved rows, the tier
 * counts (the summary's tier mix), and the capacity reports. The clock does not go back here: a
 * worker builds the state again then (src/sync/phases/state.ts), tested in the sibling oracle.
 *
 * The second oracle loads a fresh worker from the company snapshot saved beside the rows
 * (`companySnapshot` → `loadSnapshot`: every company's place, no company row) and gives it only the
 * company rows it asks for, as a worker does: of the companies changed or deleted and those
 * `companiesToLoad` names before the run, then those `seatCompanies` names (capacity moved them)
 * before `settleCompanies`.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { classify, createIncremental } from '../../src/core/index.ts';
import type {
  ContactsToLoad,
  IncrementalRow,
  IncrementalTiering,
  Policy,
  PreviousTier,
  TierCounts,
} from '../../src/core/index.ts';
import {
  applyChanges,
  DAY_MS,
  expectSame,
  keyOf,
  lines,
  loaded,
  nextPrevious,
  save,
  scenarioArb,
  START,
} from './incremental-scenario.ts';

/** The saved contact rows a store's queries return (tiering_state: id, company_id, pending, hold_until). */
function contactRows(
  saved: Map<string, IncrementalRow>,
  query: { readonly ids?: readonly string[] } & Partial<ContactsToLoad>,
): IncrementalRow[] {
  const ids = new Set(query.ids ?? []);
  const companies = new Set(query.companyIds ?? []);
  const rows = [...saved.values()].filter(
    (row) =>
      row.type === 'contact' &&
      (ids.has(row.id) ||
        (typeof row.record.companyId === 'string' && companies.has(row.record.companyId)) ||
        (query.dueBy !== undefined && (row.pending || (row.holdUntilMs !== null && row.holdUntilMs <= query.dueBy)))),
  );
  return JSON.parse(JSON.stringify(rows)) as IncrementalRow[];
}

/** The saved company rows with these ids (tiering_state by id), as JSON gives them back. */
function companyRows(saved: Map<string, IncrementalRow>, ids: Iterable<string>): IncrementalRow[] {
  const rows = [...new Set(ids)].flatMap((id) => {
    const row = saved.get(keyOf('company', id));
    return row === undefined ? [] : [row];
  });
  return JSON.parse(JSON.stringify(rows)) as IncrementalRow[];
}

/** A worker that holds nothing: the companies' rows and the saved counts. */
function companiesOnly(saved: Map<string, IncrementalRow>, counts: TierCounts, policy: Policy): IncrementalTiering {
  const state = createIncremental(policy);
  const companies = [...saved.values()].filter((row) => row.type === 'company');
  state.loadCompanies(JSON.parse(JSON.stringify(companies)) as IncrementalRow[], counts);
  return state;
}

/** Tier value → records, per type, of a full classification's decisions. */
function countsOf(policy: Policy, decisions: readonly { type: string; tier: string }[]): TierCounts {
  const of = (type: string): Record<string, number> =>
    Object.fromEntries(
      policy.tiers.map((t) => [t.value, decisions.filter((d) => d.type === type && d.tier === t.value).length]),
    );
  return { company: of('company'), contact: of('contact') };
}

/**
 * `rows`: a fresh worker loads every company's row; `snapshot`: the company snapshot, and the
 * company rows its run asks for.
 */
function oracle(mode: 'rows' | 'snapshot'): {
  partialRuns: number;
  contactsLeftOut: number;
  companiesLeftOut: number;
  movedStubs: number;
} {
  let partialRuns = 0;
  let contactsLeftOut = 0;
  let companiesLeftOut = 0;
  let movedStubs = 0;
  fc.assert(
    fc.property(scenarioArb, ({ policy, initial, initialPrevious, steps }) => {
      let nowMs = START;
      const world = new Map(initial.map((r) => [keyOf(r.type, r.id), r]));
      let previous = new Map<string, PreviousTier>();
      initial.forEach((r, i) => {
        const p = initialPrevious[i];
        if (p === undefined) return;
        const since = new Date(START - p.ageDays * DAY_MS).toISOString();
        previous.set(keyOf(r.type, r.id), { type: r.type, id: r.id, tier: p.tier, since });
      });
      let state = createIncremental(policy);
      const now0 = new Date(nowMs);
      const first = state.fullClassify(initial, previous.values(), now0);
      const expected0 = classify(policy, initial, previous.values(), now0);
      const view = new Map(first.map((d) => [keyOf(d.type, d.id), d]));
      const saved = new Map<string, IncrementalRow>();
      save(saved, state);
      let snapshot = state.companySnapshot();
      let counts = state.tierCounts();
      expect(counts).toEqual(countsOf(policy, expected0.decisions));
      previous = nextPrevious(previous, expected0.decisions, now0);

      steps.forEach((step, n) => {
        nowMs += Math.max(0, step.days) * DAY_MS;
        const now = new Date(nowMs);
        const { upserts, deletes, deleted } = applyChanges(world, step.changes);
        for (const key of deleted) previous.delete(key);
        const expected = classify(policy, [...world.values()], previous.values(), now);
        // A fresh worker (the companies and counts), or the same one with its contacts dropped.
        if (step.handOff && mode === 'rows') {
          state = companiesOnly(saved, counts, policy);
        } else if (step.handOff) {
          state = createIncremental(policy);
          if (snapshot === undefined || !state.loadSnapshot(snapshot, counts)) throw new Error('no snapshot');
        } else {
          state.dropContacts();
        }
        const changedContacts = [...upserts, ...deletes].filter((r) => r.type === 'contact').map((r) => r.id);
        state.addContacts(contactRows(saved, { ids: changedContacts }));
        let toLoad: ContactsToLoad;
        if (mode === 'rows') {
          toLoad = state.applyCompanies({ upserts, deletes, now });
        } else {
          const changedCompanies = [...upserts, ...deletes].filter((r) => r.type === 'company').map((r) => r.id);
          const asked = [...changedCompanies, ...state.companiesToLoad(now)];
          let rowsLoaded = companyRows(saved, asked).length;
          state.addCompanies(companyRows(saved, asked));
          const moved = state.seatCompanies({ upserts, deletes, now });
          movedStubs += moved.length;
          rowsLoaded += companyRows(saved, moved).length;
          state.addCompanies(companyRows(saved, moved));
          toLoad = state.settleCompanies();
          if (step.handOff) companiesLeftOut += companyCount(saved) - rowsLoaded;
        }
        state.addContacts(contactRows(saved, toLoad));
        const { changed } = state.applyContacts();
        partialRuns++;
        contactsLeftOut += world.size - state.held;
        save(saved, state);
        snapshot = state.companySnapshot();
        counts = state.tierCounts();
        for (const key of deleted) view.delete(key);
        for (const d of changed) view.set(keyOf(d.type, d.id), d);
        const context = `after step ${n + 1}`;
        const want = lines(expected.decisions);
        expectSame(lines(view.values()), want, `${context}: the decisions a consumer holds`);
        expectSame(lines(loaded(saved.values(), policy).decisions()), want, `${context}: a state loaded from the rows`);
        expect(counts, `${context}: the tier counts`).toEqual(countsOf(policy, expected.decisions));
        const summary = state.summary([]);
        expect(summary.company.tiers, context).toEqual(expected.summary.company.tiers);
        expect(summary.contact.total, context).toBe(expected.summary.contact.total);
        if (JSON.stringify(state.capacityReports()) !== JSON.stringify(expected.summary.capacity)) {
          expect(state.capacityReports(), context).toEqual(expected.summary.capacity);
        }
        previous = nextPrevious(previous, expected.decisions, now);
      });
    }),
    { numRuns: 300 },
  );
  return { partialRuns, contactsLeftOut, companiesLeftOut, movedStubs };
}

function companyCount(saved: Map<string, IncrementalRow>): number {
  return [...saved.values()].filter((row) => row.type === 'company').length;
}

describe('incremental runs with contacts loaded on demand equal a full classify after every run', () => {
  test('oracle: random policies and change sequences, the state loaded partially before every run', () => {
    const { partialRuns, contactsLeftOut } = oracle('rows');
    // The runs did leave contacts unloaded (else this would test nothing new).
    expect(contactsLeftOut).toBeGreaterThan(partialRuns);
  }, 60_000);

  test('oracle: a fresh worker loads the company snapshot and only the company rows its run asks for', () => {
    const { partialRuns, contactsLeftOut, companiesLeftOut, movedStubs } = oracle('snapshot');
    expect(contactsLeftOut).toBeGreaterThan(partialRuns);
    // Fresh workers did run with companies whose rows they never loaded, and capacity did move
    // companies whose rows were loaded only then.
    expect(companiesLeftOut).toBeGreaterThan(partialRuns);
    expect(movedStubs).toBeGreaterThan(0);
  }, 60_000);
});
