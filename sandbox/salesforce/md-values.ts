/**
 * Metadata API component values as the fake org handles them (what `xml.ts` parses: text for
 * leaves, objects for parents, arrays for repeats) and the results of CRUD calls: a component
 * Salesforce refuses is a `success=false` result with `errors`, never a fault.
 */
import type { MdObject, MdValue } from './model.ts';

export interface ComponentError {
  readonly statusCode: string;
  readonly message: string;
  readonly fields?: string;
}

export interface SaveOutcome {
  readonly fullName: string;
  readonly created: boolean;
  readonly errors: ComponentError[];
}

export type Mode = 'create' | 'update' | 'upsert';

/**
 * A request the Metadata API's SOAP layer itself refuses (an element its schema does not have):
 * a fault for the whole call, not a component error.
 */
export class MetadataFault extends Error {
  readonly faultcode: string;
  constructor(faultcode: string, message: string) {
    super(message);
    this.name = 'MetadataFault';
    this.faultcode = faultcode;
  }
}

export function text(md: MdObject, key: string): string | undefined {
  const value = md[key];
  return typeof value === 'string' ? value : undefined;
}

export function list(value: MdValue | undefined): MdValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

export function obj(value: MdValue | undefined): MdObject | undefined {
  return typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

/** The objects among a repeated element (text items dropped). */
export function objects(value: MdValue | undefined): MdObject[] {
  return list(value)
    .map(obj)
    .filter((o): o is MdObject => o !== undefined);
}

/** The text items of a repeated element. */
export function texts(value: MdValue | undefined): string[] {
  return list(value).filter((v): v is string => typeof v === 'string');
}

export function integrity(message: string, fields?: string): ComponentError {
  return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message, ...(fields === undefined ? {} : { fields }) };
}

export function refused(fullName: string, error: ComponentError): SaveOutcome {
  return { fullName, created: false, errors: [error] };
}

export function notFound(type: string, fullName: string): SaveOutcome {
  return refused(fullName, {
    statusCode: 'INVALID_CROSS_REFERENCE_KEY',
    message: `In field: fullName - no ${type} named ${fullName} found`,
  });
}

/** A developer name: a letter, then letters, digits and single underscores, not ending in one. */
export const DEVELOPER_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$/;

export function validDeveloperName(name: string, max: number): boolean {
  return DEVELOPER_NAME.test(name) && !name.endsWith('_') && name.length <= max;
}
