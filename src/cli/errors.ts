/**
 * The CLI's exit codes, from the application's error codes (src/app/errors.ts) in one table:
 * 0 done, 2 bad input or usage (something the user can fix), 3 the installation is busy (another
 * sync holds its lease: try again later), 1 anything else.
 */
import { AppError, classifyError, InputError, type AppErrorCode } from '../app/errors.ts';

export { InputError };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_BUSY = 3;

/** Another sync of the installation holds its lease (the server's, or another command's); nothing was done. */
export class InstallationBusyError extends AppError {
  override name = 'InstallationBusyError';
  constructor(message: string) {
    super('conflict', message);
  }
}

export const EXIT_CODES: Readonly<Record<AppErrorCode, number>> = {
  bad_input: EXIT_BAD_INPUT,
  not_found: EXIT_FAILURE,
  needs_reconnect: EXIT_FAILURE,
  rate_limited: EXIT_FAILURE,
  budget_exhausted: EXIT_FAILURE,
  stopped: EXIT_FAILURE,
  conflict: EXIT_FAILURE,
  unauthorized: EXIT_FAILURE,
  crm_error: EXIT_FAILURE,
  internal: EXIT_FAILURE,
};

/** The exit code of a command that failed with `error`. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof InstallationBusyError) return EXIT_BUSY;
  return EXIT_CODES[classifyError(error)];
}

/** `records.jsonl:12: "id" must be a non-empty string` */
export function lineError(file: string, line: number, problem: string): InputError {
  return new InputError(`${file}:${line}: ${problem}`);
}
