/**
 * `righttouch classify`: canonical records in (JSON Lines), one decision per record out, in input
 * order. The records are read once, as a stream. Pass 1 decides each company up to its floors as
 * it arrives (capacity needs them all) and keeps each contact's line as text; then capacity is
 * applied; pass 2 parses, checks and decides each contact. Every JSON line is parsed once. Nothing
 * reaches stdout before every line has been checked. Each decision carries the next-tier hint of
 * spec §8 as `next`, null when there is none (the output lists every record).
 */
import type { Writable } from 'node:stream';
import { checkPreviousTier, checkRecord, RunInputError, TieringRun } from '../core/index.ts';
import type { CanonicalRecord, RunSummary } from '../core/index.ts';
import { InputError, lineError } from './errors.ts';
import { displayName, isBlank, parseLine, readLineBatches } from './jsonl.ts';
import { HeldOutput } from './output.ts';
import { IdSet } from './id-set.ts';
import { U32List } from './u32-list.ts';
import { loadPolicy } from '../app/policy.ts';
import { renderSummary } from './summary-table.ts';

export interface ClassifyOptions {
  readonly policy: string;
  readonly records: string;
  readonly previous?: string | undefined;
  readonly now?: string | undefined;
  readonly summary?: boolean | undefined;
}

export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** The clock used when `--now` is not given. */
  readonly clock?: () => Date;
}

export function parseNow(value: string | undefined, clock: () => Date): Date {
  if (value === undefined) return clock();
  const now = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(now.getTime())) {
    throw new InputError(`--now: expected an ISO 8601 time such as 2026-11-20T00:00:00Z, got ${JSON.stringify(value)}`);
  }
  return now;
}

async function loadPrevious(run: TieringRun, path: string): Promise<void> {
  const name = displayName(path);
  for await (const { firstNumber, lines } of readLineBatches(path)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i] ?? '';
      if (isBlank(text)) continue;
      const checked = checkPreviousTier(parseLine(path, firstNumber + i, text));
      if (!checked.ok) throw lineError(name, firstNumber + i, checked.problem);
      run.addPrevious(checked.value);
    }
  }
}

/**
 * A line that starts `{"type":"contact",` is a contact: its first key is the record's own type.
 * Such lines are kept as text and parsed once, when their decision is written; every other line
 * (companies, and anything unusual) is parsed as it is read.
 */
const CONTACT_LINE = /^\s*\{\s*"type"\s*:\s*"contact"\s*[,}]/;
const COMPANY = 1;
const CONTACT = 2;

interface LoadedRecords {
  /** Per record in input order: COMPANY or CONTACT, and its line number. */
  readonly kinds: U32List;
  readonly lines: U32List;
  /** The text of each contact line, in input order. */
  readonly contactTexts: string[];
}

function checkedRecord(path: string, number: number, text: string): CanonicalRecord {
  const checked = checkRecord(parseLine(path, number, text));
  if (!checked.ok) throw lineError(displayName(path), number, checked.problem);
  return checked.value;
}

/** Pass 1: reads every line; decides each company up to its floors; keeps contact lines. */
async function loadRecords(run: TieringRun, path: string): Promise<LoadedRecords> {
  const name = displayName(path);
  const loaded: LoadedRecords = { kinds: new U32List(), lines: new U32List(), contactTexts: [] };
  const companyLines = new U32List();
  for await (const { firstNumber, lines } of readLineBatches(path)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i] ?? '';
      const number = firstNumber + i;
      if (CONTACT_LINE.test(text)) {
        loaded.contactTexts.push(text);
        loaded.kinds.push(CONTACT);
      } else {
        if (isBlank(text)) continue;
        const record = checkedRecord(path, number, text);
        if (record.type === 'contact') {
          loaded.contactTexts.push(text);
          loaded.kinds.push(CONTACT);
        } else {
          try {
            run.addCompany(record);
          } catch (error) {
            if (!(error instanceof RunInputError) || error.firstIndex === undefined) throw error;
            throw lineError(name, number, `${error.message} (first on line ${companyLines.at(error.firstIndex)})`);
          }
          companyLines.push(number);
          loaded.kinds.push(COMPANY);
        }
      }
      loaded.lines.push(number);
    }
  }
  return loaded;
}

/** Pass 2: every decision in input order; contacts parsed, checked and decided here. */
function decideAll(run: TieringRun, path: string, loaded: LoadedRecords, out: HeldOutput): void {
  const name = displayName(path);
  const { kinds, lines, contactTexts } = loaded;
  const contactLines = new U32List();
  const ids = new IdSet((index) => checkedRecord(path, contactLines.at(index), contactTexts[index] ?? '').id);
  let company = 0;
  let contact = 0;
  for (let position = 0; position < kinds.length; position++) {
    if (kinds.at(position) === COMPANY) {
      const decision = run.companyDecisionAt(company++);
      out.pushDecision('company', decision.id, decision.tier, decision.reasons, decision.next);
      continue;
    }
    const number = lines.at(position);
    const record = checkedRecord(path, number, contactTexts[contact] ?? '');
    if (record.type !== 'contact') throw lineError(name, number, '"type" appears more than once');
    contactLines.push(number);
    const first = ids.add(record.id, contact);
    if (first >= 0) {
      throw lineError(
        name,
        number,
        `contact id ${JSON.stringify(record.id)} appears twice (first on line ${contactLines.at(first)})`,
      );
    }
    const decision = run.decideContact(record);
    out.pushDecision('contact', decision.id, decision.tier, decision.reasons, decision.next);
    contact++;
  }
}

export async function runClassify(options: ClassifyOptions, io: Io): Promise<RunSummary> {
  const policy = await loadPolicy(options.policy);
  const now = parseNow(options.now, io.clock ?? (() => new Date()));
  const run = new TieringRun(policy, { now, withPrevious: options.previous !== undefined });
  if (options.previous !== undefined) await loadPrevious(run, options.previous);
  const loaded = await loadRecords(run, options.records);
  run.settle();

  // Nothing reaches stdout until every line has been checked: the decisions are held until then.
  const out = new HeldOutput();
  decideAll(run, options.records, loaded, out);
  loaded.contactTexts.length = 0;
  await out.writeTo(io.stdout);

  const summary = run.summary();
  if (options.summary === true) io.stderr.write(renderSummary(summary));
  return summary;
}
