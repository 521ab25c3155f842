/** The admin API from the browser: the key as a bearer token, JSON in and out, errors as ApiError. */
import { getKey } from './auth.ts';
import type { PolicyProblem } from './types.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly problems: readonly PolicyProblem[];

  constructor(status: number, message: string, problems: readonly PolicyProblem[] = []) {
    super(message);
    this.status = status;
    this.problems = problems;
  }
}

const unauthorizedListeners = new Set<(message: string) => void>();

/** Called when the API refuses the key (401): the app asks for another. */
export function onUnauthorized(listener: (message: string) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT';
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Use this key instead of the stored one (checking a pasted key). */
  readonly key?: string;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const key = options.key ?? getKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'The RightTouch server cannot be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const answer = (typeof body === 'object' && body !== null ? body : {}) as {
      error?: unknown;
      problems?: unknown;
    };
    const message =
      typeof answer.error === 'string' ? answer.error : `The server answered ${response.status} ${response.statusText}`;
    const problems = Array.isArray(answer.problems) ? (answer.problems as PolicyProblem[]) : [];
    if (response.status === 401 && options.key === undefined) {
      for (const listener of unauthorizedListeners) listener(message);
    }
    throw new ApiError(response.status, message, problems);
  }
  return body as T;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function installationPath(id: string, rest = ''): string {
  return `/api/installations/${encodeURIComponent(id)}${rest}`;
}
