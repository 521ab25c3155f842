/** Errors the CLI reports with exit code 2: bad input that the user can fix. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** `records.jsonl:12: "id" must be a non-empty string` */
export function lineError(file: string, line: number, problem: string): InputError {
  return new InputError(`${file}:${line}: ${problem}`);
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
