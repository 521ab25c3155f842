/** Shared set-up for the sandbox tests: a running sandbox and a real SDK client pointed at it. */
import { Client } from '@hubspot/api-client';
import {
  BatchInputSimplePublicObjectBatchInput,
  BatchReadInputSimplePublicObjectId,
  Filter,
  FilterGroup,
  PublicObjectSearchRequest,
  SimplePublicObjectBatchInput,
  SimplePublicObjectId,
  type FilterOperatorEnum,
} from '@hubspot/api-client/lib/codegen/crm/objects/index.js';
import { createSandbox, type RunningSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/hubspot/server.ts';

export interface Harness {
  readonly sandbox: Sandbox;
  readonly running: RunningSandbox;
  readonly client: Client;
}

export async function start(options: SandboxOptions, accessToken = 'sandbox-token'): Promise<Harness> {
  const sandbox = createSandbox(options);
  const running = await sandbox.listen(0);
  // No numberOfApiCallRetries / limiterOptions: every call is exactly one request.
  const client = new Client({ accessToken, basePath: running.url });
  return { sandbox, running, client };
}

/** What the SDK's ApiException carries. */
export interface ApiFailure {
  readonly code: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/** Awaits a call that must fail with an HTTP status, and returns the SDK's ApiException fields. */
export async function failure(call: Promise<unknown>): Promise<ApiFailure> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: unknown; body?: unknown; headers?: unknown };
    if (typeof e.code !== 'number') throw err;
    return {
      code: e.code,
      body: (typeof e.body === 'object' && e.body !== null ? e.body : {}) as Record<string, unknown>,
      headers: (e.headers ?? {}) as Record<string, string>,
    };
  }
  throw new Error('expected the call to fail');
}

/** `errors[].code` of a HubSpot error body. */
export function errorCodes(body: Record<string, unknown>): unknown[] {
  const errors = Array.isArray(body['errors']) ? (body['errors'] as { code?: unknown }[]) : [];
  return errors.map((e) => e.code);
}

/** The entries of the JSON list inside a `Property values were not valid: […]` message. */
export function messageEntries(body: Record<string, unknown>): Record<string, unknown>[] {
  const message = typeof body['message'] === 'string' ? body['message'] : '';
  const prefix = 'Property values were not valid: ';
  if (!message.startsWith(prefix)) return [];
  return JSON.parse(message.slice(prefix.length)) as Record<string, unknown>[];
}

/** A search sort in the wire's object form (the SDK types sorts as strings; reference §1.4). */
export function sortBy(propertyName: string, direction: 'ASCENDING' | 'DESCENDING' = 'ASCENDING'): string {
  return { propertyName, direction } as unknown as string;
}

/** The fields of one of the SDK's model classes, as a plain object type. */
export type Fields<T> = { [K in keyof T]: T[K] };

/** An instance of an SDK request model (plain data classes; the lint rules want real instances). */
export function model<T extends object>(Model: new () => T, fields: Fields<T>): T {
  return Object.assign(new Model(), fields);
}

export function filter(propertyName: string, operator: FilterOperatorEnum, value?: string): Filter {
  return model(Filter, { propertyName, operator, ...(value === undefined ? {} : { value }) });
}

/** A search body: OR between the filter lists, AND within one. */
export function searchBody(
  groups: readonly (readonly Filter[])[] = [],
  rest: Omit<Fields<PublicObjectSearchRequest>, 'filterGroups'> = {},
): PublicObjectSearchRequest {
  return model(PublicObjectSearchRequest, {
    ...rest,
    ...(groups.length === 0
      ? {}
      : { filterGroups: groups.map((filters) => model(FilterGroup, { filters: [...filters] })) }),
  });
}

export function updates(
  inputs: readonly (readonly [string, Record<string, string>])[],
): BatchInputSimplePublicObjectBatchInput {
  return model(BatchInputSimplePublicObjectBatchInput, {
    inputs: inputs.map(([id, properties]) => model(SimplePublicObjectBatchInput, { id, properties })),
  });
}

export function reads(
  ids: readonly string[],
  properties: string[],
  propertiesWithHistory: string[] = [],
): BatchReadInputSimplePublicObjectId {
  return model(BatchReadInputSimplePublicObjectId, {
    inputs: ids.map((id) => model(SimplePublicObjectId, { id })),
    properties,
    propertiesWithHistory,
  });
}
