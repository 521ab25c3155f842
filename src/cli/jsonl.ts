/**
 * Reading JSON Lines files (or stdin, as `-`) in batches of lines, with line numbers for messages.
 * Batches, not single lines: one await per chunk of the file instead of one per line.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { displayName, unreadable } from '../app/json-file.ts';
import { InputError } from '../app/errors.ts';
import { lineError } from './errors.ts';

export { displayName };

export interface Line {
  /** 1-based. */
  readonly number: number;
  readonly text: string;
}

export interface LineBatch {
  /** The 1-based number of `lines[0]`. */
  readonly firstNumber: number;
  readonly lines: readonly string[];
}

function openInput(path: string): Readable {
  if (path === '-') {
    process.stdin.setEncoding('utf8');
    return process.stdin;
  }
  return createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
}

/** Every line of a file (blank ones too, so numbers stay true), a chunk's worth at a time. */
export async function* readLineBatches(path: string): AsyncGenerator<LineBatch> {
  const input = openInput(path);
  let rest = '';
  let next = 1;
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] ?? '';
        if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
      }
      if (lines.length > 0) {
        yield { firstNumber: next, lines };
        next += lines.length;
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw unreadable(path, error);
  } finally {
    if (path !== '-') input.destroy();
  }
  if (rest !== '') yield { firstNumber: next, lines: [rest.endsWith('\r') ? rest.slice(0, -1) : rest] };
}

/** Every line of a file, one at a time (convenient where speed does not matter). */
export async function* readLines(path: string): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(path)) {
    for (let i = 0; i < batch.lines.length; i++) yield { number: batch.firstNumber + i, text: batch.lines[i] ?? '' };
  }
}

/** Parses one non-blank line as JSON, or says where and why it is not. */
export function parseLine(path: string, number: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw lineError(displayName(path), number, `not valid JSON (${reason})`);
  }
}

export function isBlank(text: string): boolean {
  return text.trim() === '';
}
