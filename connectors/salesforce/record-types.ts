/**
 * Record types: in an object with record types, each record type lists the picklist values its
 * records may hold, and a restricted-picklist value the record's type does not enable is refused
 * like an unknown one (`INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`; Gearset, "Data deployments and
 * picklist errors", case 2; reference/salesforce-api.md: values "must also be enabled per record
 * type"). A value added to the field through the Metadata API is not enabled on the record types,
 * so after saving the fields `setup` reads the record types of Account, Contact and Lead
 * (`RecordType` rows, then the `RecordType` metadata) and adds the tier values each lacks to its
 * `picklistValues` for our two picklists, saving the whole record type as read (so nothing else
 * of it changes). Values are only added, never removed.
 */
import type { SalesforceContext } from './context.ts';

const METADATA_CHUNK = 10;

interface RecordTypeRow {
  DeveloperName: string;
  NamespacePrefix?: string | null;
  SobjectType: string;
}

type Md = Record<string, unknown>;

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isMd(value: unknown): value is Md {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Account.Enterprise`, or `Account.ns__Enterprise` for a managed package's record type. */
function fullNameOf(row: RecordTypeRow): string {
  const prefix =
    typeof row.NamespacePrefix === 'string' && row.NamespacePrefix !== '' ? `${row.NamespacePrefix}__` : '';
  return `${row.SobjectType}.${prefix}${row.DeveloperName}`;
}

export interface RecordTypeOutcome {
  readonly changes: string[];
  /** Record types Salesforce refused to save (its results, not errors), with its reasons. */
  readonly failures: string[];
}

/**
 * Enables the picklist values (`Account.Engagement_Model__c` → values) on every record type of
 * those objects; says what changed and what Salesforce refused.
 */
export async function enableOnRecordTypes(
  context: SalesforceContext,
  values: ReadonlyMap<string, readonly string[]>,
): Promise<RecordTypeOutcome> {
  const byObject = new Map<string, string[]>();
  for (const key of values.keys()) {
    const [object = '', picklist = ''] = key.split('.');
    byObject.set(object, [...(byObject.get(object) ?? []), picklist]);
  }
  const objects = [...byObject.keys()].map((object) => `'${object}'`).join(', ');
  if (objects === '') return { changes: [], failures: [] };
  const rows = await context.call(
    async () =>
      await context.conn.query<RecordTypeRow>(
        `SELECT DeveloperName, NamespacePrefix, SobjectType FROM RecordType WHERE SobjectType IN (${objects})`,
      ),
  );
  const names = rows.records.map(fullNameOf);
  const changes: string[] = [];
  const toSave: Md[] = [];
  for (let i = 0; i < names.length; i += METADATA_CHUNK) {
    const chunk = names.slice(i, i + METADATA_CHUNK);
    const read = asArray(await context.call(() => context.metadata().read('RecordType', chunk)));
    for (const recordType of read) {
      if (!isMd(recordType) || typeof recordType['fullName'] !== 'string' || recordType['fullName'] === '') continue;
      const fullName = recordType['fullName'];
      const object = fullName.slice(0, fullName.indexOf('.'));
      const entries = asArray(recordType['picklistValues']).filter(isMd);
      let changed = false;
      for (const picklist of byObject.get(object) ?? []) {
        const wanted = values.get(`${object}.${picklist}`) ?? [];
        let entry = entries.find((e) => e['picklist'] === picklist);
        if (entry === undefined) {
          entry = { picklist, values: [] };
          entries.push(entry);
        }
        const have = asArray(entry['values']).filter(isMd);
        const missing = wanted.filter((value) => !have.some((v) => v['fullName'] === value));
        if (missing.length === 0) continue;
        entry['values'] = [...have, ...missing.map((value) => ({ fullName: value, default: false }))];
        changed = true;
        changes.push(`enabled ${missing.join(', ')} of ${picklist} on record type ${fullName}`);
      }
      if (changed) toSave.push({ ...recordType, picklistValues: entries });
    }
  }
  const failures: string[] = [];
  for (let i = 0; i < toSave.length; i += METADATA_CHUNK) {
    const chunk = toSave.slice(i, i + METADATA_CHUNK);
    const results = asArray(
      await context.call(() =>
        context.metadata().upsert('RecordType', chunk as unknown as Parameters<typeof context.conn.metadata.upsert>[1]),
      ),
    ).filter(isMd);
    for (const result of results) {
      if (String(result['success']) === 'true') continue;
      const errors = asArray(result['errors'])
        .filter(isMd)
        .map((e) => `${text(e['statusCode']) || 'ERROR'}: ${text(e['message'])}`);
      const fullName = text(result['fullName']);
      failures.push(`${fullName}: ${errors.join('; ') || 'failed'}`);
      const kept = changes.filter((change) => !change.endsWith(` on record type ${fullName}`));
      changes.length = 0;
      changes.push(...kept);
    }
  }
  return { changes, failures };
}
