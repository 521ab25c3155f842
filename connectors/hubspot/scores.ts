/**
 * The contacts' score properties, for a mapping whose lead score says
 * `{ "discover": "lead-score" }` (src/sync/lead-score.ts picks one and stores the choice).
 *
 * Found through the properties API (`GET /crm/v3/properties/contacts`, the scope setup already
 * needs) rather than the lead-scoring API (`/marketing/lead-scoring/2026-09-beta/scores`: beta,
 * and it needs the extra scope `mh-lead-scoring-view`). A score property is one of field type
 * `calculation_score` — what HubSpot's score properties carry (`hubspotscore` itself, in property
 * listings of real portals published on GitHub) — or a calculated number property whose name says
 * "score". The lead-scoring tool names its properties from each score's configuration (reference
 * hubspot-api.md §9), so the kind is read from the internal name and label: "combined"/"total",
 * "fit", "engagement". Assumed, not documented: that the tool's outputs are `calculation_score`
 * or calculated numbers and that their names or labels say which part they are; an admin whose
 * portal differs chooses the property with `setup --lead-score`. HubSpot's predictive score
 * (`hs_predictivecontactscore…`, "likelihood to close") is not a lead score and is left out.
 */
import type { Property } from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import type { ScoreProperty } from '../../src/sync/connector.ts';
import type { HubSpotContext } from './client.ts';

/** HubSpot's legacy score: it stopped updating on 2025-08-31 (reference hubspot-api.md §9). */
export const LEGACY_LEAD_SCORE = 'hubspotscore';

/** The connector's `frozenScoreProperties`: a lead score read from these comes with a warning. */
export const FROZEN_SCORE_PROPERTIES: Readonly<Record<string, string>> = {
  [LEGACY_LEAD_SCORE]: 'stopped updating on 2025-08-31',
};

function isScore(property: Property): boolean {
  if (property.archived === true || property.hidden) return false;
  if (property.name.startsWith('hs_predictive')) return false;
  if (property.fieldType === 'calculation_score') return true;
  const calculated = property.calculated === true || property.modificationMetadata?.readOnlyValue === true;
  return property.type === 'number' && calculated && /score/i.test(property.name);
}

/**
 * What a score property is, from its name and label ("fit", "engagement") and, for a combined
 * score's total, also its description ("combined", "total") or its name heading others' (a
 * combined score `x` comes with its parts, e.g. `x_fit` and `x_engagement`).
 */
export function scoreKind(
  property: Pick<Property, 'name' | 'label' | 'description'>,
  names: readonly string[] = [],
): ScoreProperty['kind'] {
  if (property.name === LEGACY_LEAD_SCORE) return 'legacy';
  const text = `${property.name} ${property.label}`.toLowerCase();
  if (/(^|[^a-z])fit([^a-z]|$)/.test(text)) return 'fit';
  if (/engagement/.test(text)) return 'engagement';
  if (/combined|total/.test(`${text} ${property.description}`.toLowerCase())) return 'combined';
  if (names.some((name) => name.startsWith(`${property.name}_`))) return 'combined';
  return 'other';
}

/** The score properties among a property listing. */
export function scorePropertiesOf(listing: readonly Property[]): ScoreProperty[] {
  const scores = listing.filter(isScore);
  const names = scores.map((property) => property.name);
  return scores.map((property) => ({
    name: property.name,
    label: property.label,
    kind: scoreKind(property, names),
  }));
}

export async function scoreProperties(context: HubSpotContext): Promise<ScoreProperty[]> {
  const listing = await context.throttle.run('list properties of contacts', () =>
    context.sdk.properties.coreApi.getAll('contacts'),
  );
  return scorePropertiesOf(listing.results);
}
