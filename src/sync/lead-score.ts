/**
 * Which contact property the lead score is read from, when the mapping says
 * `"leadScore": { "property": { "discover": "lead-score" }, … }`.
 *
 * A CRM's lead-scoring tool may make score properties of its own whose internal names come from
 * each score's configuration, while its old score property stops updating (the HubSpot connector's
 * `scores.ts` says which, and why: reference hubspot-api.md §9, fidelity row 5). So the name is
 * found in the account, not written in the mapping:
 *
 * - the installation's stored choice (`settings.leadScoreProperty`: set by the admin through
 *   `setup --lead-score`, the admin API, or picked earlier) wins, so the choice is stable across
 *   runs and never re-picked silently;
 * - otherwise the connector lists the portal's score properties and one is picked by a fixed rule
 *   — a combined score first, then a fit score, then an engagement score, then any other score
 *   property, each by internal name; a `legacy` one (the connector's `frozenScoreProperties`)
 *   only when there is nothing else, with a warning that it is frozen — and stored;
 * - with no score property at all the field stays unread and reads as missing.
 */
import { undiscoveredFields, withDiscovered, type Mapping } from '../mapping/mapping.ts';
import type { InstallationSettings, Store } from '../store/store.ts';
import type { Connector, ScoreProperty } from './connector.ts';

const RANK: Readonly<Record<ScoreProperty['kind'], number>> = {
  combined: 0,
  fit: 1,
  engagement: 2,
  other: 3,
  legacy: 4,
};

/** The score property the rule picks among these, or undefined when there is none. */
export function pickLeadScore(candidates: readonly ScoreProperty[]): ScoreProperty | undefined {
  return [...candidates].sort(
    (a, b) => RANK[a.kind] - RANK[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  )[0];
}

export interface LeadScoreChoice {
  /** The property read, or null (the field reads as missing). */
  readonly property: string | null;
  /** `stored`: the installation's earlier choice; `picked`: chosen now by the rule (and stored). */
  readonly source: 'stored' | 'picked' | 'none';
  /** The portal's score properties, when they were listed. */
  readonly candidates: readonly ScoreProperty[] | undefined;
  readonly warnings: readonly string[];
}

export interface ResolvedMapping {
  readonly mapping: Mapping;
  /** Undefined when the mapping discovers nothing. */
  readonly leadScore: LeadScoreChoice | undefined;
}

/** A warning when the CRM no longer updates this score property (`Connector.frozenScoreProperties`). */
function frozenWarning(connector: Connector, property: string): string[] {
  const frozen = connector.frozenScoreProperties ?? {};
  const since = Object.hasOwn(frozen, property) ? frozen[property] : undefined;
  return since === undefined ? [] : [`${property} ${since}: lead scores read from it are frozen`];
}

/**
 * The mapping with its discovered properties filled in. `list: true` (setup) lists the portal's
 * score properties even when a choice is stored, to report them and check the choice.
 */
export async function resolveMapping(
  store: Store,
  connector: Connector,
  installationId: string,
  mapping: Mapping,
  options: { readonly list?: boolean; readonly settings?: InstallationSettings | undefined } = {},
): Promise<ResolvedMapping> {
  // `lead-score` is the only thing a mapping can discover so far.
  if (undiscoveredFields(mapping).length === 0) {
    return { mapping, leadScore: undefined };
  }
  const settings = options.settings ?? (await store.getInstallation(installationId))?.settings ?? {};
  const stored = settings.leadScoreProperty;
  const list = stored === undefined || options.list === true;
  const candidates = list && connector.scoreProperties !== undefined ? await connector.scoreProperties() : undefined;
  if (stored !== undefined) {
    const warnings = frozenWarning(connector, stored);
    if (candidates !== undefined && !candidates.some((candidate) => candidate.name === stored)) {
      warnings.push(`${stored} is not among the portal's score properties: check that it still exists`);
    }
    const choice: LeadScoreChoice = { property: stored, source: 'stored', candidates, warnings };
    return { mapping: withDiscovered(mapping, { 'lead-score': stored }), leadScore: choice };
  }
  const picked = pickLeadScore(candidates ?? []);
  if (picked === undefined) {
    const warnings = ['the portal has no score property on contacts: leadScore reads as missing'];
    return { mapping, leadScore: { property: null, source: 'none', candidates, warnings } };
  }
  // Merged into the settings as stored when writing (one transaction): listing the candidates
  // asked the CRM, and an admin may have changed the settings meanwhile (e.g. the cadence, right
  // after installing); those must not be lost. An admin's choice made meanwhile wins over the pick.
  const updated = await store.updateSettings(installationId, (current) =>
    current.leadScoreProperty === undefined ? { ...current, leadScoreProperty: picked.name } : current,
  );
  const chosen = updated?.after.leadScoreProperty;
  if (chosen !== undefined && chosen !== picked.name) {
    const choice: LeadScoreChoice = {
      property: chosen,
      source: 'stored',
      candidates,
      warnings: frozenWarning(connector, chosen),
    };
    return { mapping: withDiscovered(mapping, { 'lead-score': chosen }), leadScore: choice };
  }
  const choice: LeadScoreChoice = {
    property: picked.name,
    source: 'picked',
    candidates,
    warnings: frozenWarning(connector, picked.name),
  };
  return { mapping: withDiscovered(mapping, { 'lead-score': picked.name }), leadScore: choice };
}
