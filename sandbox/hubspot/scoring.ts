/**
 * Lead scores the way portals look since HubSpot's lead-scoring tool replaced the legacy score:
 *
 * - `hubspotscore` ("HubSpot Score", field type `calculation_score`) is still there with the
 *   values it had, but read-only and frozen: it stopped being editable in July 2025 and stopped
 *   updating on 2025-08-31 (reference hubspot-api.md §9). `mutate()` never changes it.
 * - A combined score made with the tool ("Inbound lead score") writes three properties of its own:
 *   the fit part, the engagement part and their total. Their internal names come from the
 *   score's configuration (so they differ per portal; never hard-code them). Modelled as
 *   calculated, read-only number properties of field type `calculation_score` in a group of
 *   their own — assumed from `hubspotscore`'s definition, as HubSpot documents no listing of them.
 *   Generated portals are given one (`leadScoring: 'combined'`, the default), a fit score only
 *   (`'fit'`), or none (`'none'`: a portal without the tool, where only the frozen score remains).
 *
 * Values come from their own random stream, so companies, contacts and deals are the same for a
 * seed whatever the scoring.
 */
import type { CrmRecord, PropertyDefinition, Schema } from './model.ts';
import type { Rng } from '../shared/prng.ts';

export type LeadScoring = 'combined' | 'fit' | 'none';

export const SCORE_GROUP = { name: 'lead_scores', label: 'Lead scores', displayOrder: 10, archived: false };

/** The score properties a portal's scoring writes: total first (absent for a fit-only score). */
export interface ScoreNames {
  readonly total: string | undefined;
  readonly fit: string;
  readonly engagement: string | undefined;
}

export function scoreNames(scoring: LeadScoring): ScoreNames | undefined {
  switch (scoring) {
    case 'combined':
      return {
        total: 'inbound_lead_score',
        fit: 'inbound_lead_score_fit',
        engagement: 'inbound_lead_score_engagement',
      };
    case 'fit':
      return { total: undefined, fit: 'contact_fit_score', engagement: undefined };
    case 'none':
      return undefined;
  }
}

function scoreProperty(
  name: string,
  label: string,
  description: string,
  at: number,
  order: number,
): PropertyDefinition {
  return {
    name,
    label,
    type: 'number',
    fieldType: 'calculation_score',
    description,
    groupName: SCORE_GROUP.name,
    options: [],
    displayOrder: order,
    calculated: true,
    externalOptions: false,
    hasUniqueValue: false,
    hidden: false,
    hubspotDefined: false,
    formField: false,
    readOnlyValue: true,
    archived: false,
    createdAt: at,
    updatedAt: at,
  };
}

/** Adds the scoring's properties (and their group) to the contacts' schema. */
export function addScoreProperties(schema: Schema, scoring: LeadScoring, at: number): void {
  const names = scoreNames(scoring);
  if (names === undefined) return;
  schema.groups.set(SCORE_GROUP.name, { ...SCORE_GROUP });
  const add = (property: PropertyDefinition): void => {
    schema.properties.set(property.name, property);
  };
  if (names.total !== undefined) {
    add(
      scoreProperty(
        names.total,
        'Inbound lead score',
        'Combined score: the fit and engagement scores added up.',
        at,
        0,
      ),
    );
  }
  const fitLabel = names.total === undefined ? 'Contact fit score' : 'Inbound lead score: fit';
  add(scoreProperty(names.fit, fitLabel, 'How well the contact matches the ideal customer profile.', at, 1));
  if (names.engagement !== undefined) {
    add(scoreProperty(names.engagement, 'Inbound lead score: engagement', 'Recent engagement, with decay.', at, 2));
  }
}

function setTotal(names: ScoreNames, record: CrmRecord): void {
  if (names.total === undefined || names.engagement === undefined) return;
  const p = record.properties;
  p[names.total] = String(Number(p[names.fit] ?? 0) + Number(p[names.engagement] ?? 0));
}

/** A contact's scores when the portal is generated. */
export function scoreContact(rng: Rng, names: ScoreNames, record: CrmRecord): void {
  record.properties[names.fit] = String(rng.int(0, 50));
  if (names.engagement !== undefined) record.properties[names.engagement] = String(rng.int(0, 50));
  setTotal(names, record);
}

/** A recalculation that changes the contact's score (the engagement part, else the fit). */
export function rescoreContact(rng: Rng, names: ScoreNames, record: CrmRecord): void {
  const name = names.engagement ?? names.fit;
  const before = record.properties[name];
  let score: string;
  do score = String(rng.int(0, 50));
  while (score === before);
  record.properties[name] = score;
  setTotal(names, record);
}

/** The scoring a portal's contacts carry, found from its schema. */
export function portalScoreNames(schema: Schema): ScoreNames | undefined {
  for (const scoring of ['combined', 'fit'] as const) {
    const names = scoreNames(scoring);
    if (names !== undefined && schema.properties.has(names.fit)) return names;
  }
  return undefined;
}
