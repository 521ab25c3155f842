/**
 * What a refused batch update says about the records in it.
 *
 * HubSpot refuses a batch update whose values it will not take with one `400 VALIDATION_ERROR` for
 * the whole batch, and the details are JSON **inside `message`**, not a structured `errors[]`:
 *
 *   {"status":"error","category":"VALIDATION_ERROR","correlationId":"…",
 *    "message":"Property values were not valid: [{\"isValid\":false,\"message\":\"platinum was not
 *    one of the allowed options: [low, high]\",\"error\":\"INVALID_OPTION\",\"name\":\"engagement_model\"}]"}
 *
 * (reference/hubspot-api.md §1.3 "Batch update" and fidelity row 4; the same shape recurs in
 * independent captures in public code: INVALID_OPTION "X was not one of the allowed options: […]",
 * dealstage "X is not a valid pipeline stage ID", INVALID_EMAIL "Email address X is invalid",
 * PROPERTY_DOESNT_EXIST `Property "x" does not exist` with `localizedErrorMessage` and `portalId`.)
 * An entry names the property and its error; its human `message` usually quotes the refused value
 * first; no entry names the record. So a refusal is matched to the records of the batch that set
 * that property (to that value, when the message quotes one).
 *
 * Parsed leniently: the JSON list may be cut short or malformed, so whole entries are taken one by
 * one and the rest ignored; a structured `errors[]` (`code` + `context.propertyName`, the shape
 * other endpoints use) is read too; `context.ids` names records outright (the 404 of a batch
 * naming a record that does not exist).
 */

/** One property value HubSpot refused. */
export interface Refusal {
  /** The property. */
  readonly name: string;
  /** HubSpot's code: INVALID_OPTION, PROPERTY_DOESNT_EXIST, INVALID_EMAIL, …; '' when not given. */
  readonly error: string;
  /** HubSpot's human message. */
  readonly message: string;
  /** The refused value, when the message quotes it; undefined when it does not say. */
  readonly value: string | undefined;
  /** Any value of the property is refused (it does not exist or is read-only). */
  readonly anyValue: boolean;
}

/** Errors that refuse the property itself, whatever the value. */
const PROPERTY_WIDE = new Set(['PROPERTY_DOESNT_EXIST', 'READ_ONLY_VALUE']);

/** The ways a captured message quotes the refused value (the value comes first, or after "Email address"). */
const VALUE_FIRST = [' was not one of the allowed options', ' is not a valid ', ' was not a valid '];
const EMAIL = /^Email address (.+) is invalid/s;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The value a refusal's message quotes, if it quotes one in a known way. */
function quotedValue(message: string): string | undefined {
  const email = EMAIL.exec(message);
  if (email !== null) return email[1];
  const at = VALUE_FIRST.map((marker) => message.indexOf(marker)).filter((i) => i > 0);
  return at.length === 0 ? undefined : message.slice(0, Math.min(...at));
}

function refusal(name: string, error: string, message: string): Refusal {
  const anyValue = PROPERTY_WIDE.has(error);
  return { name, error, message, value: anyValue ? undefined : quotedValue(message), anyValue };
}

/**
 * The complete JSON objects at the top level of a list that starts at `start` (the `[`), each
 * parsed on its own: a list cut short, or with one malformed entry, still gives the others.
 */
function listEntries(source: string, start: number): unknown[] {
  const entries: unknown[] = [];
  let depth = 0;
  let inString = false;
  let from = -1;
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) from = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        try {
          entries.push(JSON.parse(source.slice(from, i + 1)) as unknown);
        } catch {
          // a malformed entry: skip it, keep the others
        }
      }
    } else if (c === ']' && depth === 0) break;
  }
  return entries;
}

/** The refusals listed in a `Property values were not valid: […]` message. */
export function messageRefusals(message: string): Refusal[] {
  const start = message.indexOf('[');
  if (start < 0) return [];
  const refusals: Refusal[] = [];
  for (const entry of listEntries(message, start)) {
    if (!isRecord(entry) || entry['isValid'] === true) continue;
    const name = text(entry['name']);
    const said = text(entry['message']) ?? text(entry['localizedErrorMessage']);
    if (name === undefined) continue;
    const error = text(entry['error']) ?? '';
    refusals.push(refusal(name, error, said ?? error));
  }
  return refusals;
}

/** Refusals in a structured `errors[]` (`code` + `context.propertyName`), as other endpoints send them. */
function structuredRefusals(body: Record<string, unknown>): Refusal[] {
  const details = Array.isArray(body['errors']) ? (body['errors'] as unknown[]) : [];
  const refusals: Refusal[] = [];
  for (const detail of details) {
    if (!isRecord(detail)) continue;
    const context = detail['context'];
    const names = isRecord(context) && Array.isArray(context['propertyName']) ? context['propertyName'] : [];
    const error = text(detail['code']) ?? '';
    const message = text(detail['message']) ?? error;
    for (const name of names) if (typeof name === 'string') refusals.push(refusal(name, error, message));
  }
  return refusals;
}

/** Every property refusal a refused batch's body carries (none when it says nothing usable). */
export function refusalsOf(body: unknown): Refusal[] {
  if (!isRecord(body)) return typeof body === 'string' ? messageRefusals(body) : [];
  const message = text(body['message']);
  return [...(message === undefined ? [] : messageRefusals(message)), ...structuredRefusals(body)];
}

/** The record ids a refused batch's body names (`context.ids`). */
export function idsNamed(body: unknown): string[] {
  const context = isRecord(body) ? body['context'] : undefined;
  const ids = isRecord(context) && Array.isArray(context['ids']) ? context['ids'] : [];
  return ids.filter((id): id is string => typeof id === 'string');
}

/** How a refusal reads on the record it rejects. */
export function describeRefusal(refusal: Refusal): string {
  return `${refusal.name}: ${refusal.message}${refusal.error === '' ? '' : ` (${refusal.error})`}`;
}

/** Whether a value written to a property is the one a refusal names (one of a multi-checkbox's `;` values too). */
export function refusesValue(refusal: Refusal, value: string): boolean {
  if (refusal.anyValue) return true;
  if (refusal.value === undefined) return false;
  return value === refusal.value || value.trim() === refusal.value || value.split(';').includes(refusal.value);
}
