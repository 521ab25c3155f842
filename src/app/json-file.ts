/** Reading a whole JSON file (a policy, a mapping) with errors that name the file (`-` is stdin). */
import { readFile } from 'node:fs/promises';
import { InputError } from './errors.ts';

export function displayName(path: string): string {
  return path === '-' ? '(stdin)' : path;
}

export function unreadable(path: string, error: unknown): InputError {
  const reason = error instanceof Error ? error.message.replace(/^[A-Z]+: /, '') : String(error);
  return new InputError(`${displayName(path)}: cannot read: ${reason}`);
}

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
