/**
 * `righttouch classify`: canonical records in (JSON Lines), one decision per record out, in input
 * order. Two passes over the records file keep memory to the companies: pass 1 checks every line
 * and decides the companies (capacity needs them all), pass 2 re-reads the file and decides each
 * contact as it goes. Nothing reaches stdout before every line has been checked.
 */
import type { Writable } from 'node:stream';
import { checkPreviousTier, checkRecord, RunInputError, TieringRun } from '../core/index.ts';
import type { CanonicalRecord, RunSummary } from '../core/index.ts';
import { InputError, lineError } from './errors.ts';
import { displayName, isBlank, parseLine, readLines } from './jsonl.ts';
import type { Line } from './jsonl.ts';
import { LineWriter } from './output.ts';
import { loadPolicy } from './policy-file.ts';
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

const BLANK = 0;
const COMPANY = 1;
const CONTACT = 2;

/** A growable byte per line: what pass 1 saw on it, so pass 2 knows which lines to parse. */
class LineKinds {
  private bytes = new Uint8Array(1 << 16);
  length = 0;

  push(kind: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = kind;
  }

  at(index: number): number | undefined {
    return index < this.length ? this.bytes[index] : undefined;
  }
}

export function parseNow(value: string | undefined, clock: () => Date): Date {
  if (value === undefined) return clock();
  const now = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(now.getTime())) {
    throw new InputError(`--now: expected an ISO 8601 time such as 2026-11-20T00:00:00Z, got ${JSON.stringify(value)}`);
  }
  return now;
}

function checkedRecord(path: string, line: Line): CanonicalRecord {
  const checked = checkRecord(parseLine(path, line));
  if (!checked.ok) throw lineError(displayName(path), line.number, checked.problem);
  return checked.value;
}

async function loadPrevious(run: TieringRun, path: string): Promise<void> {
  for await (const line of readLines(path)) {
    if (isBlank(line.text)) continue;
    const checked = checkPreviousTier(parseLine(path, line));
    if (!checked.ok) throw lineError(displayName(path), line.number, checked.problem);
    run.addPrevious(checked.value);
  }
}

export async function runClassify(options: ClassifyOptions, io: Io): Promise<RunSummary> {
  const policy = await loadPolicy(options.policy);
  const now = parseNow(options.now, io.clock ?? (() => new Date()));
  const run = new TieringRun(policy, { now, withPrevious: options.previous !== undefined });
  if (options.previous !== undefined) await loadPrevious(run, options.previous);

  // Pass 1: check every line; decide companies; remember each line's kind.
  const path = options.records;
  const name = displayName(path);
  const kinds = new LineKinds();
  const contactIds = new Map<string, number>();
  const companyLines = new Map<string, number>();
  const bufferedContacts: Line[] | undefined = path === '-' ? [] : undefined;
  for await (const line of readLines(path)) {
    if (isBlank(line.text)) {
      kinds.push(BLANK);
      continue;
    }
    const record = checkedRecord(path, line);
    if (record.type === 'company') {
      const first = companyLines.get(record.id);
      if (first !== undefined) {
        throw lineError(name, line.number, `company id ${JSON.stringify(record.id)} already appears on line ${first}`);
      }
      companyLines.set(record.id, line.number);
      run.addCompany(record);
      kinds.push(COMPANY);
    } else {
      const first = contactIds.get(record.id);
      if (first !== undefined) {
        throw lineError(name, line.number, `contact id ${JSON.stringify(record.id)} already appears on line ${first}`);
      }
      contactIds.set(record.id, line.number);
      bufferedContacts?.push(line);
      kinds.push(CONTACT);
    }
  }
  companyLines.clear();
  contactIds.clear();
  run.settleCompanies();

  // Pass 2: write decisions in input order.
  const out = new LineWriter(io.stdout);
  let companyNumber = 0;
  const decideContactLine = async (line: Line): Promise<void> => {
    try {
      await out.writeLine(JSON.stringify(run.decideContact(checkedRecord(path, line))));
    } catch (error) {
      if (error instanceof InputError || error instanceof RunInputError) {
        throw new Error(`${name} changed while it was being read (line ${line.number})`, { cause: error });
      }
      throw error;
    }
  };
  if (bufferedContacts !== undefined) {
    let next = 0;
    for (let index = 0; index < kinds.length; index++) {
      const kind = kinds.at(index);
      if (kind === COMPANY) await out.writeLine(JSON.stringify(run.companyDecisionAt(companyNumber++)));
      else if (kind === CONTACT) {
        const line = bufferedContacts[next++];
        if (line !== undefined) await decideContactLine(line);
      }
    }
  } else {
    let seen = 0;
    for await (const line of readLines(path)) {
      seen++;
      const kind = kinds.at(line.number - 1);
      if (kind === COMPANY) await out.writeLine(JSON.stringify(run.companyDecisionAt(companyNumber++)));
      else if (kind === CONTACT) await decideContactLine(line);
      else if (kind === undefined || !isBlank(line.text)) {
        throw new Error(`${name} changed while it was being read (line ${line.number})`);
      }
    }
    if (seen !== kinds.length)
      throw new Error(`${name} changed while it was being read (${seen} lines, was ${kinds.length})`);
  }
  await out.flush();

  const summary = run.summary();
  if (options.summary === true) io.stderr.write(renderSummary(summary));
  return summary;
}
