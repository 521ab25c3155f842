/**
 * `setup(tiers, options)`: the "engagement_model" property group and the five engagement-model properties
 * on companies and contacts (tier, override, reason, next-tier hint, updated at). Idempotent: run it again with a changed policy and it merges the
 * tier options into the existing properties. Then, unless `options.lists` is false, the lists per
 * tier (lists.ts).
 */
import {
  OptionInput,
  PropertyCreate,
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
  PropertyGroupCreate,
  PropertyUpdate,
  type Option,
  type Property,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import type { Tier } from '../../src/core/index.ts';
import type { SetupOptions, SetupReport } from '../../src/sync/connector.ts';
import { model, type AccountDetails, type Fields, type HubSpotContext } from './client.ts';
import { HubSpotError } from './errors.ts';
import { ensureTierLists } from './lists.ts';

export const GROUP = { name: 'engagement_model', label: 'Engagement model' } as const;
export const SETUP_OBJECTS = ['companies', 'contacts'] as const;
type SetupObject = (typeof SETUP_OBJECTS)[number];

/** The properties setup creates, by name (the engine writes all but the override). */
export const PROPERTY_NAMES = {
  tier: 'engagement_model',
  override: 'engagement_model_override',
  reason: 'engagement_model_reason',
  next: 'engagement_model_next',
  updatedAt: 'engagement_model_updated_at',
} as const;

function option(fields: Fields<OptionInput>): OptionInput {
  const { description, ...rest } = fields;
  // An empty description is what HubSpot returns for none; sending it back is noise.
  return model(OptionInput, description === undefined || description === '' ? rest : fields);
}

function tierOptions(tiers: readonly Tier[]): OptionInput[] {
  return tiers.map((tier, index) =>
    option({ label: tier.label, value: tier.value, displayOrder: index, hidden: false }),
  );
}

export function propertyDefinitions(tiers: readonly Tier[]): PropertyCreate[] {
  const enumeration = {
    groupName: GROUP.name,
    type: PropertyCreateTypeEnum.Enumeration,
    fieldType: PropertyCreateFieldTypeEnum.Select,
    // formField: usable on forms and, with hidden false, in views, filters, lists and reports.
    formField: true,
    hidden: false,
    options: tierOptions(tiers),
  };
  const definitions: Fields<PropertyCreate>[] = [
    {
      ...enumeration,
      name: PROPERTY_NAMES.tier,
      label: 'Engagement model',
      description: 'Set by RightTouch from the engagement-model policy.',
      displayOrder: 0,
    },
    {
      ...enumeration,
      name: PROPERTY_NAMES.override,
      label: 'Engagement model override',
      description: 'Set by hand to override the engagement model the policy decides. Leave empty to follow the policy.',
      displayOrder: 1,
    },
    {
      name: PROPERTY_NAMES.reason,
      label: 'Engagement model reason',
      description: 'Why the policy chose this engagement model (set by RightTouch).',
      groupName: GROUP.name,
      type: PropertyCreateTypeEnum.String,
      fieldType: PropertyCreateFieldTypeEnum.Textarea,
      formField: false,
      hidden: false,
      displayOrder: 2,
    },
    {
      name: PROPERTY_NAMES.updatedAt,
      label: 'Engagement model updated at',
      description: 'When RightTouch last wrote the engagement model.',
      groupName: GROUP.name,
      type: PropertyCreateTypeEnum.Datetime,
      fieldType: PropertyCreateFieldTypeEnum.Date,
      formField: false,
      hidden: false,
      displayOrder: 3,
    },
    {
      // One sentence (spec §8), empty when nothing would move the record up: a single-line text
      // string (HubSpot string values hold up to 65,536 characters). Added after the first four,
      // so existing portals get it from setup without the others' display order changing.
      name: PROPERTY_NAMES.next,
      label: 'Engagement model next tier',
      description: 'What would move the record to the next engagement model up (set by RightTouch).',
      groupName: GROUP.name,
      type: PropertyCreateTypeEnum.String,
      fieldType: PropertyCreateFieldTypeEnum.Text,
      formField: false,
      hidden: false,
      displayOrder: 4,
    },
  ];
  return definitions.map((definition) => model(PropertyCreate, definition));
}

function sameOption(a: OptionInput, b: Option): boolean {
  return a.value === b.value && a.label === b.label && a.hidden === b.hidden && a.displayOrder === b.displayOrder;
}

export interface OptionMerge {
  readonly options: OptionInput[];
  readonly added: string[];
  readonly relabelled: string[];
  readonly changed: boolean;
}

/**
 * The option list to PATCH: a PATCH replaces the whole list, and an option dropped from it is
 * gone from HubSpot while records may still hold its value. So every existing option stays. The
 * policy's tiers come first, in policy order, with the policy's labels and visible; options no
 * longer in the policy follow, kept as they were (label, hidden flag) — we do not hide them, so
 * records still carrying a retired value stay findable in filters until they are re-tiered.
 */
export function mergeOptions(existing: readonly Option[], tiers: readonly Tier[]): OptionMerge {
  const byValue = new Map(existing.map((option) => [option.value, option]));
  const wanted = new Set(tiers.map((tier) => tier.value));
  const added: string[] = [];
  const relabelled: string[] = [];
  const options: OptionInput[] = tiers.map((tier, index) => {
    const before = byValue.get(tier.value);
    if (before === undefined) added.push(tier.value);
    else if (before.label !== tier.label) relabelled.push(tier.value);
    return option({
      label: tier.label,
      value: tier.value,
      displayOrder: index,
      hidden: false,
      ...(before?.description === undefined ? {} : { description: before.description }),
    });
  });
  for (const old of [...existing].sort((a, b) => (a.displayOrder ?? 0) - (b.displayOrder ?? 0))) {
    if (wanted.has(old.value)) continue;
    options.push(
      option({
        label: old.label,
        value: old.value,
        displayOrder: options.length,
        hidden: old.hidden,
        ...(old.description === undefined ? {} : { description: old.description }),
      }),
    );
  }
  const changed =
    options.length !== existing.length ||
    options.some((option) => {
      const before = byValue.get(option.value);
      return before === undefined || !sameOption(option, before);
    });
  return { options, added, relabelled, changed };
}

async function ensureGroup(context: HubSpotContext, type: SetupObject): Promise<string | null> {
  try {
    await context.throttle.run(`create property group on ${type}`, () =>
      context.sdk.properties.groupsApi.create(
        type,
        model(PropertyGroupCreate, { name: GROUP.name, label: GROUP.label }),
      ),
    );
  } catch (err) {
    if (err instanceof HubSpotError && err.status === 409) return null; // exists
    if (!(err instanceof HubSpotError && isSuccess(err.status))) throw err;
  }
  return `created property group ${GROUP.name} on ${type}`;
}

/**
 * The SDK throws on a 2xx it does not expect (create expects exactly 201); HubSpot has flipped
 * such codes before (reference gotcha 14), so any 2xx counts as done.
 */
function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

async function createProperty(
  context: HubSpotContext,
  type: SetupObject,
  definition: PropertyCreate,
): Promise<'created' | 'exists'> {
  try {
    await context.throttle.run(`create property ${definition.name} on ${type}`, () =>
      context.sdk.properties.coreApi.create(type, definition),
    );
  } catch (err) {
    if (err instanceof HubSpotError && err.status === 409) return 'exists'; // created meanwhile
    if (!(err instanceof HubSpotError && isSuccess(err.status))) throw err;
  }
  return 'created';
}

async function reconcile(
  context: HubSpotContext,
  type: SetupObject,
  definition: PropertyCreate,
  existing: Property,
  tiers: readonly Tier[],
): Promise<string | null> {
  const where = `${definition.name} on ${type}`;
  const wantedType: string = definition.type;
  if (existing.type !== wantedType) {
    context.logger.warn(
      `HubSpot property ${where} exists with type ${existing.type}, not ${definition.type}; left as it is`,
    );
    return null;
  }
  if (definition.type !== PropertyCreateTypeEnum.Enumeration) return null;
  const merge = mergeOptions(existing.options, tiers);
  if (!merge.changed) return null;
  await context.throttle.run(`update options of ${where}`, () =>
    context.sdk.properties.coreApi.update(type, definition.name, model(PropertyUpdate, { options: merge.options })),
  );
  const details = [
    merge.added.length > 0 ? `added ${merge.added.join(', ')}` : '',
    merge.relabelled.length > 0 ? `relabelled ${merge.relabelled.join(', ')}` : '',
  ].filter((part) => part !== '');
  return `updated options of property ${where}${details.length > 0 ? ` (${details.join('; ')})` : ' (order or visibility)'}`;
}

async function getProperty(context: HubSpotContext, type: SetupObject, name: string): Promise<Property> {
  return context.throttle.run(`read property ${name} on ${type}`, () =>
    context.sdk.properties.coreApi.getByName(type, name),
  );
}

export async function setup(
  context: HubSpotContext,
  tiers: readonly Tier[],
  options: SetupOptions,
  account: () => Promise<AccountDetails>,
): Promise<SetupReport> {
  const changes: string[] = [];
  const definitions = propertyDefinitions(tiers);
  for (const type of SETUP_OBJECTS) {
    const group = await ensureGroup(context, type);
    if (group !== null) changes.push(group);
    // One listing tells which of the five exist (no 404s to count against the error rate).
    const listing = await context.throttle.run(`list properties of ${type}`, () =>
      context.sdk.properties.coreApi.getAll(type),
    );
    const existing = new Map(listing.results.map((property) => [property.name, property]));
    for (const definition of definitions) {
      let current = existing.get(definition.name);
      if (current === undefined) {
        const outcome = await createProperty(context, type, definition);
        if (outcome === 'created') {
          changes.push(`created property ${definition.name} on ${type}`);
          continue;
        }
        current = await getProperty(context, type, definition.name);
      }
      const change = await reconcile(context, type, definition, current, tiers);
      if (change !== null) changes.push(change);
    }
  }
  if (options.lists === false) {
    for (const change of changes) context.logger.info(`HubSpot setup: ${change}`);
    return { changes };
  }
  const details = await account();
  const lists = await ensureTierLists(context, {
    tiers,
    known: options.knownLists ?? [],
    property: PROPERTY_NAMES.tier,
    urlOf: (listId) => `https://${details.uiDomain}/contacts/${details.portalId}/objectLists/${listId}`,
  });
  changes.push(...lists.changes);
  for (const change of changes) context.logger.info(`HubSpot setup: ${change}`);
  for (const warning of lists.warnings) context.logger.warn(`HubSpot setup: ${warning}`);
  return { changes, lists: lists.lists, warnings: lists.warnings };
}
