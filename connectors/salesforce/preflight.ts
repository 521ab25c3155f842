/**
 * Before a sync: the mapped fields each object must have, the engagement-model fields visible and
 * writable for this user (a field without field-level security does not exist for the API), and
 * in a multi-currency org the integration user's currency being the corporate one (currency.ts),
 * API access with room in the org's daily allocation (reading it needs View Setup and Configuration);
 * with Change Data Capture on, the warnings of preflight-cdc.ts (selection, RightTouch's channel,
 * the user's View All permissions).
 */
import type { ObjectType, PreflightReport } from '../../src/sync/connector.ts';
import type { SalesforceContext } from './context.ts';
import { checkUserCurrency } from './currency.ts';
import { changeEventWarnings } from './preflight-cdc.ts';
import { SOBJECT } from './read.ts';
import { EDIT_PERMISSION_SET, FIELDS, TIERED_OBJECTS } from './setup.ts';

interface DescribedField {
  name: string;
  updateable: boolean;
}

async function describe(context: SalesforceContext, object: string): Promise<Map<string, DescribedField>> {
  // describe(), not describe$(): the cached one would miss fields setup just created.
  const result = await context.call(() => context.conn.sobject(object).describe());
  return new Map(
    result.fields.map((field) => [field.name.toLowerCase(), { name: field.name, updateable: field.updateable }]),
  );
}

export async function preflight(
  context: SalesforceContext,
  properties: Readonly<Partial<Record<ObjectType, readonly string[]>>>,
  /** With Change Data Capture on: the integration user, whose CDC selection and permissions are checked. */
  changeEventsUser?: string,
): Promise<PreflightReport> {
  const problems: string[] = [];
  const missing: Partial<Record<ObjectType, string[]>> = {};
  const described = new Map<string, Map<string, DescribedField>>();
  for (const object of [SOBJECT.company, SOBJECT.contact, SOBJECT.lead, SOBJECT.deal]) {
    try {
      described.set(object, await describe(context, object));
    } catch (error) {
      problems.push(`cannot describe ${object}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const check = (type: ObjectType, object: string, names: readonly string[]): void => {
    const fields = described.get(object);
    if (fields === undefined) return;
    const absent = names.filter((name) => !fields.has(name.toLowerCase()));
    if (absent.length > 0)
      missing[type] = [...new Set([...(missing[type] ?? []), ...absent.map((n) => `${object}.${n}`)])];
  };
  check('companies', SOBJECT.company, properties.companies ?? []);
  check('contacts', SOBJECT.contact, properties.contacts ?? []);
  check(
    'contacts',
    SOBJECT.lead,
    (properties.contacts ?? []).filter((name) => name.toLowerCase() !== 'accountid'),
  );
  check('deals', SOBJECT.deal, properties.deals ?? []);

  const unusable: string[] = [];
  for (const object of TIERED_OBJECTS) {
    const fields = described.get(object);
    if (fields === undefined) continue;
    for (const field of [FIELDS.tier, FIELDS.reason, FIELDS.next, FIELDS.updatedAt]) {
      if (fields.get(field.toLowerCase())?.updateable !== true) unusable.push(`${object}.${field}`);
    }
  }
  if (unusable.length > 0) {
    problems.push(
      `not visible or not writable for this user: ${unusable.join(', ')} — run setup first (it creates them and ` +
        `assigns the ${EDIT_PERMISSION_SET} permission set; without field-level security Salesforce hides a field from the API)`,
    );
  }
  // Multi-currency org: amounts read in the corporate currency need the integration user's to be it.
  if ([...described.values()].some((fields) => fields.has('currencyisocode'))) {
    try {
      await checkUserCurrency(context);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      problems.push(`multi-currency org: ${message} (until then, syncs with "currency": "corporate" stop)`);
    }
  }
  try {
    const limits = await context.call(() => context.conn.limits());
    const daily = limits.DailyApiRequests;
    if (daily !== undefined && daily.Remaining < daily.Max * 0.05) {
      problems.push(`only ${daily.Remaining} of the org's ${daily.Max} daily API calls are left`);
    }
  } catch (error) {
    problems.push(limitsProblem(error, described.size > 0));
  }
  if (changeEventsUser === undefined) return { missingProperties: missing, problems };
  return { missingProperties: missing, problems, warnings: await changeEventWarnings(context, changeEventsUser) };
}

/**
 * What a failed `/limits` means. The resource needs "View Setup and Configuration" (REST API
 * Developer Guide, "Limits": "available … for API users with the 'View Setup and Configuration'
 * permission"), and without it the answer can name an API-access error (API_DISABLED_FOR_ORG,
 * forceworkbench/forceworkbench #681) although every other call works: when the describes above
 * worked, API access is not the problem.
 */
function limitsProblem(error: unknown, apiWorks: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null ? (error as { errorCode?: unknown }).errorCode : undefined;
  if (code === 'REQUEST_LIMIT_EXCEEDED') return `the org's daily API allocation is used up: ${message}`;
  if (!apiWorks) return `no API access: ${message}`;
  return (
    `cannot read the org's limits (${typeof code === 'string' ? `${code}: ` : ''}${message}): ` +
    `the integration user needs the "View Setup and Configuration" permission for that; API access itself works, ` +
    `and syncs still watch the daily allocation through each response's Sforce-Limit-Info header`
  );
}
