/**
 * HubSpot's error bodies: `{status:'error', message, correlationId, category, ...}` with the
 * correlation id also in `X-HubSpot-Correlation-Id` (set on every response by server.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';

export interface ErrorDetail {
  readonly message: string;
  readonly code?: string;
  readonly context?: Record<string, string[]>;
}

export interface ErrorFields {
  readonly message: string;
  readonly category?: string;
  readonly subCategory?: string;
  readonly errors?: readonly ErrorDetail[];
  readonly context?: Record<string, string[]>;
  readonly [extra: string]: unknown;
}

/** Thrown by handlers; the error middleware turns it into the response. */
export class HubSpotHttpError extends Error {
  readonly status: number;
  readonly fields: ErrorFields;

  constructor(status: number, fields: ErrorFields) {
    super(fields.message);
    this.name = 'HubSpotHttpError';
    this.status = status;
    this.fields = fields;
  }
}

/** A request value as text, for error messages. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** The request's correlation id (set by the first middleware). */
export function correlationId(res: Response): string {
  const id: unknown = res.locals['correlationId'];
  return typeof id === 'string' ? id : newCorrelationId();
}

export function sendError(res: Response, status: number, fields: ErrorFields): void {
  res.status(status).json({ status: 'error', ...fields, correlationId: correlationId(res) });
}

export function validationError(message: string, extra: Omit<ErrorFields, 'message'> = {}): HubSpotHttpError {
  return new HubSpotHttpError(400, { message, category: 'VALIDATION_ERROR', ...extra });
}

export function notFound(message: string, extra: Omit<ErrorFields, 'message'> = {}): HubSpotHttpError {
  return new HubSpotHttpError(404, { message, category: 'OBJECT_NOT_FOUND', ...extra });
}
