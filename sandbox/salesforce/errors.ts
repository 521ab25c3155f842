/**
 * Salesforce REST error bodies: a JSON array of `{message, errorCode, fields?}` (what jsforce's
 * HttpApi turns into an `HttpApiError` named after the errorCode).
 */
import type { Response } from 'express';

export interface SfErrorBody {
  readonly message: string;
  readonly errorCode: string;
  readonly fields?: readonly string[];
}

/** Thrown by handlers; the error middleware turns it into the response. */
export class SfHttpError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly fields: readonly string[] | undefined;

  constructor(status: number, errorCode: string, message: string, fields?: readonly string[]) {
    super(message);
    this.name = 'SfHttpError';
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  body(): SfErrorBody[] {
    return [
      {
        message: this.message,
        errorCode: this.errorCode,
        ...(this.fields === undefined ? {} : { fields: this.fields }),
      },
    ];
  }
}

export function sendSfError(res: Response, status: number, errorCode: string, message: string): void {
  res.status(status).json([{ message, errorCode }]);
}

export const INVALID_SESSION = 'Session expired or invalid';

/** A per-record error in collection (and Bulk API) results. */
export interface RecordError {
  readonly statusCode: string;
  readonly message: string;
  readonly fields: string[];
}

export function recordError(statusCode: string, message: string, fields: string[] = []): RecordError {
  return { statusCode, message, fields };
}
