/**
 * The server's error answers: application error codes (src/app/errors.ts) to HTTP statuses in one
 * table, and `sendError`, the one JSON error body every route answers with:
 * `{ "error": "<message>", …details }` (details such as a policy's `problems`). An `internal`
 * error's message is not sent (it may name files, hosts or worse): the body says "internal error".
 */
import type { Response } from 'express';
import { AppError, classifyError, type AppErrorCode } from '../app/errors.ts';

export const HTTP_STATUS: Readonly<Record<AppErrorCode, number>> = {
  bad_input: 400,
  unauthorized: 401,
  not_found: 404,
  needs_reconnect: 409,
  conflict: 409,
  budget_exhausted: 429,
  internal: 500,
  crm_error: 502,
  rate_limited: 503,
  stopped: 503,
};

/** The JSON error body every route sends. */
export interface ErrorBody {
  readonly error: string;
  readonly [detail: string]: unknown;
}

/** Answers with `error`'s status and the JSON error body (plus `details`). */
export function sendError(res: Response, error: unknown, details: Readonly<Record<string, unknown>> = {}): void {
  const code = classifyError(error);
  const message = code === 'internal' || !(error instanceof Error) ? 'internal error' : error.message;
  const body: ErrorBody = { error: message, ...details };
  res.status(HTTP_STATUS[code]).json(body);
}

/** Shorthand: `sendError(res, new AppError(code, message), details)`. */
export function sendErrorCode(
  res: Response,
  code: AppErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
): void {
  sendError(res, new AppError(code, message), details);
}
