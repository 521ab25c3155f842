/** Reading JSON Lines files (or stdin, as `-`) line by line, with line numbers for messages. */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InputError, lineError } from './errors.ts';

export interface Line {
  /** 1-based. */
  readonly number: number;
  readonly text: string;
}

function displayName(path: string): string {
  return path === '-' ? '(stdin)' : path;
}

function unreadable(path: string, error: unknown): InputError {
  const reason = error instanceof Error ? error.message.replace(/^[A-Z]+: /, '') : String(error);
  return new InputError(`${displayName(path)}: cannot read: ${reason}`);
}

/** Every line of a file (blank ones too, so numbers stay true), streamed. */
export async function* readLines(path: string): AsyncGenerator<Line> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let failure: unknown;
  input.on('error', (error: Error) => (failure = error));
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      yield { number, text };
    }
  } catch (error) {
    throw unreadable(path, error);
  } finally {
    lines.close();
    if (input !== process.stdin) (input as ReturnType<typeof createReadStream>).destroy();
  }
  if (failure !== undefined) throw unreadable(path, failure);
}

/** Parses one non-blank line as JSON, or says where and why it is not. */
export function parseLine(path: string, line: Line): unknown {
  try {
    return JSON.parse(line.text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw lineError(displayName(path), line.number, `not valid JSON (${reason})`);
  }
}

export function isBlank(text: string): boolean {
  return text.trim() === '';
}

/** Reads a whole JSON file (a policy), with file-named errors. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${displayName(path)}: not valid JSON (${reason})`);
  }
}

export { displayName };
