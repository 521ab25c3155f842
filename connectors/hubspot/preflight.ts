/**
 * `preflight(properties)`: before a sync, the mapped properties the portal lacks and what stands
 * in the way (missing scopes, a refused token, setup not run). It reads, per object type, the
 * property list and one record. Write scopes cannot be checked without writing; a missing one
 * shows as a 403 on the first batch update, which throws. A mapping that reads `hubspotscore`
 * is told that it stopped updating on 2025-08-31 (reference hubspot-api.md §9).
 */
import type { ObjectType, PreflightReport } from '../../src/sync/connector.ts';
import type { HubSpotContext } from './client.ts';
import { HubSpotError } from './errors.ts';
import { LEGACY_LEAD_SCORE } from './scores.ts';
import { PROPERTY_NAMES } from './setup.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `errors[].context.requiredGranularScopes` of a MISSING_SCOPES 403. */
function requiredScopes(body: unknown): string[] {
  const scopes = new Set<string>();
  const details = isRecord(body) && Array.isArray(body['errors']) ? (body['errors'] as unknown[]) : [];
  for (const detail of details) {
    const context = isRecord(detail) ? detail['context'] : undefined;
    const named = isRecord(context) ? context['requiredGranularScopes'] : undefined;
    if (Array.isArray(named)) for (const scope of named) if (typeof scope === 'string') scopes.add(scope);
  }
  return [...scopes];
}

function describeProblem(err: unknown, what: string): string {
  if (!(err instanceof HubSpotError)) throw err;
  if (err.status === 403 && err.category === 'MISSING_SCOPES') {
    const scopes = requiredScopes(err.body);
    return `cannot ${what}: the app lacks a scope${scopes.length > 0 ? ` (needs ${scopes.join(' or ')})` : ''}`;
  }
  if (err.status === 401) return `cannot ${what}: HubSpot refused the access token (${err.detail})`;
  return `cannot ${what}: ${err.message}`;
}

export async function preflight(
  context: HubSpotContext,
  properties: Readonly<Partial<Record<ObjectType, readonly string[]>>>,
): Promise<PreflightReport> {
  const missingProperties: Partial<Record<ObjectType, readonly string[]>> = {};
  const problems: string[] = [];
  if (properties.contacts?.includes(LEGACY_LEAD_SCORE) === true) {
    problems.push(
      `contacts: ${LEGACY_LEAD_SCORE} stopped updating on 2025-08-31 (HubSpot's lead-scoring tool replaced it): ` +
        'map the lead score to your portal\'s score property, or to { "discover": "lead-score" }',
    );
  }
  for (const type of ['companies', 'contacts', 'deals'] as const) {
    const wanted = properties[type];
    if (wanted === undefined) continue;
    try {
      const listing = await context.throttle.run(`list properties of ${type}`, () =>
        context.sdk.properties.coreApi.getAll(type),
      );
      const names = new Set(listing.results.map((property) => property.name));
      const missing = wanted.filter((name) => !names.has(name));
      if (missing.length > 0) missingProperties[type] = missing;
      if (type !== 'deals') {
        const notSetUp = Object.values(PROPERTY_NAMES).filter((name) => !names.has(name));
        if (notSetUp.length > 0) problems.push(`${type} lack ${notSetUp.join(', ')}: run setup first`);
      }
    } catch (err) {
      problems.push(describeProblem(err, `read the ${type} properties`));
    }
    try {
      await context.throttle.run(`read one of ${type}`, () =>
        context.sdk.objects.basicApi.getPage(type, 1, undefined, undefined, undefined, undefined, false),
      );
    } catch (err) {
      problems.push(describeProblem(err, `read ${type}`));
    }
  }
  return { missingProperties, problems };
}
