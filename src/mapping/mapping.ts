/**
 * Declarative CRM-property → canonical-field mappings (`mappings/*.json`): the schema an admin's
 * edits are checked against, and the functions that turn CRM objects into canonical records.
 *
 * A field's property may be `{ "discover": "lead-score" }` instead of a name: the portal's own
 * score property, whose internal name differs per portal (HubSpot's lead-scoring tool names it
 * from the score's configuration; `hubspotscore` stopped updating on 2025-08-31 — reference
 * hubspot-api.md §9). `withDiscovered` puts the name the installation chose in its place before a
 * run; a field still undiscovered is not read and reads as missing.
 */
import * as z from 'zod';
import { formatPath, problemsFromIssue } from '../core/index.ts';
import type { PolicyProblem } from '../core/index.ts';
import { cleanBoolean, cleanNumber, cleanString, cleanTime, cleanValue } from './clean.ts';
import { displayOf, displayProperties, displaySchema } from './display.ts';
import type { DisplayedRecord } from './display.ts';

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a canonical field name (letters, digits, _)' });
const property = z.string().refine((s) => s.trim() !== '', { error: 'must not be empty' });
/** What a `discover` placeholder can stand for. */
export const DISCOVERABLE = ['lead-score'] as const;
export type Discoverable = (typeof DISCOVERABLE)[number];
const discovered = z.strictObject({ discover: z.enum(DISCOVERABLE) });
const fieldSpec = z.strictObject({
  property: z.union([property, discovered]),
  type: z.enum(['number', 'string', 'boolean']),
});

/** Canonical fields computed from deals rather than read from a property. */
export const DEAL_FIELDS = ['dealSize', 'openDealAmount'] as const;

const mappingSchema = z
  .strictObject({
    version: z.literal(1),
    crm: z.enum(['hubspot', 'salesforce']),
    /**
     * Salesforce: `corporate` reads money fields (Amount, AnnualRevenue, any currency field) converted
     * to the org's corporate currency in multi-currency orgs; `record` (the default) reads each
     * record's amount in its own currency, as stored.
     */
    currency: z.enum(['corporate', 'record']).optional(),
    company: z.strictObject({
      fields: z.record(name, fieldSpec),
      override: property.optional(),
      /** What people know a company by (display.ts): kept in the mirror to find it by. */
      display: displaySchema.optional(),
      deals: z
        .strictObject({
          dealSize: z.strictObject({ windowDays: z.int().min(1) }).optional(),
          openDealAmount: z.boolean().optional(),
        })
        .optional(),
    }),
    contact: z.strictObject({
      fields: z.record(name, fieldSpec),
      companyId: property.optional(),
      override: property.optional(),
      /** What people know a contact by (display.ts): kept in the mirror to find it by. */
      display: displaySchema.optional(),
    }),
    deal: z
      .strictObject({
        amount: property,
        /** Multi-currency portals: the amount converted to the home currency; counted where it has a value. */
        amountInHomeCurrency: property.optional(),
        closedWon: property,
        closed: property,
        closeDate: property,
      })
      .optional(),
  })
  .superRefine((mapping, ctx) => {
    for (const field of DEAL_FIELDS) {
      if (Object.hasOwn(mapping.company.fields, field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['company', 'fields', field],
          message: `${field} is computed from deals (company.deals); it cannot also be read from a property`,
        });
      }
    }
    if (mapping.currency !== undefined && mapping.crm !== 'salesforce') {
      ctx.addIssue({
        code: 'custom',
        path: ['currency'],
        message: 'is for Salesforce; in HubSpot map a home-currency property (e.g. amount_in_home_currency) instead',
      });
    }
    if (mapping.company.deals !== undefined && mapping.deal === undefined) {
      ctx.addIssue({ code: 'custom', path: ['deal'], message: 'is required when company.deals is set' });
    }
  });

export type Mapping = z.infer<typeof mappingSchema>;

export type MappingValidation =
  | { readonly ok: true; readonly mapping: Mapping }
  | { readonly ok: false; readonly problems: readonly PolicyProblem[] };

export function validateMapping(input: unknown): MappingValidation {
  const result = mappingSchema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, mapping: result.data };
  return {
    ok: false,
    problems: result.error.issues.flatMap((issue) =>
      problemsFromIssue(issue).map((p) => ({
        path: formatPath(p.segments).replace('(policy)', '(mapping)'),
        message: p.message,
      })),
    ),
  };
}

/** A CRM object as the connectors read it: an id and text-valued properties. */
export interface CrmObject {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null | undefined>>;
}

export type FieldSpec = Mapping['company']['fields'][string];

/** The CRM property a field reads, or undefined while it waits to be discovered. */
export function fieldProperty(spec: FieldSpec): string | undefined {
  return typeof spec.property === 'string' ? spec.property : undefined;
}

/** The fields whose property is still to be discovered, with what to discover. */
export function undiscoveredFields(
  mapping: Mapping,
): { readonly type: 'company' | 'contact'; readonly field: string; readonly discover: Discoverable }[] {
  const found: { type: 'company' | 'contact'; field: string; discover: Discoverable }[] = [];
  for (const type of ['company', 'contact'] as const) {
    for (const [field, spec] of Object.entries(mapping[type].fields)) {
      if (typeof spec.property !== 'string') found.push({ type, field, discover: spec.property.discover });
    }
  }
  return found;
}

/** The mapping with each `discover` placeholder that `names` answers replaced by that property name. */
export function withDiscovered(mapping: Mapping, names: Readonly<Partial<Record<Discoverable, string>>>): Mapping {
  const resolve = (fields: Mapping['company']['fields']): Mapping['company']['fields'] =>
    Object.fromEntries(
      Object.entries(fields).map(([field, spec]) => {
        const name = typeof spec.property === 'string' ? undefined : names[spec.property.discover];
        return [field, name === undefined ? spec : { ...spec, property: name }];
      }),
    );
  return {
    ...mapping,
    company: { ...mapping.company, fields: resolve(mapping.company.fields) },
    contact: { ...mapping.contact, fields: resolve(mapping.contact.fields) },
  };
}

/** The properties to ask the CRM for, per object type. */
export function propertiesToRead(mapping: Mapping, type: 'company' | 'contact' | 'deal'): string[] {
  const names = new Set<string>();
  if (type === 'deal') {
    for (const property of Object.values(mapping.deal ?? {})) if (property !== undefined) names.add(property);
    return [...names];
  }
  const section = mapping[type];
  for (const spec of Object.values(section.fields)) {
    const name = fieldProperty(spec);
    if (name !== undefined) names.add(name);
  }
  if (section.override !== undefined) names.add(section.override);
  for (const name of displayProperties(section.display)) names.add(name);
  if (type === 'contact' && mapping.contact.companyId !== undefined) names.add(mapping.contact.companyId);
  return [...names];
}

function mapFields(
  fields: Mapping['company']['fields'],
  properties: CrmObject['properties'],
): Record<string, number | string | boolean | null> {
  const mapped: Record<string, number | string | boolean | null> = {};
  for (const [field, spec] of Object.entries(fields)) {
    const name = fieldProperty(spec);
    mapped[field] = name === undefined ? null : cleanValue(spec.type, properties[name]);
  }
  return mapped;
}

export interface DealTotals {
  readonly dealSize: number;
  readonly openDealAmount: number;
}

export function mapCompany(mapping: Mapping, object: CrmObject, totals?: DealTotals): DisplayedRecord {
  const fields: Record<string, number | string | boolean | null> = mapFields(mapping.company.fields, object.properties);
  const deals = mapping.company.deals;
  if (deals?.dealSize !== undefined) fields['dealSize'] = totals?.dealSize ?? 0;
  if (deals?.openDealAmount === true) fields['openDealAmount'] = totals?.openDealAmount ?? 0;
  const override =
    mapping.company.override === undefined ? null : cleanString(object.properties[mapping.company.override]);
  return { type: 'company', id: object.id, override, fields, ...withDisplay(mapping.company, object) };
}

export function mapContact(mapping: Mapping, object: CrmObject): DisplayedRecord {
  const { contact } = mapping;
  const companyId = contact.companyId === undefined ? null : cleanString(object.properties[contact.companyId]);
  const override = contact.override === undefined ? null : cleanString(object.properties[contact.override]);
  const fields = mapFields(contact.fields, object.properties);
  return { type: 'contact', id: object.id, companyId, override, fields, ...withDisplay(contact, object) };
}

/** `display` when the mapping has a display section (a mapping without one adds nothing). */
function withDisplay(
  section: Mapping['company'] | Mapping['contact'],
  object: CrmObject,
): Pick<DisplayedRecord, 'display'> {
  return section.display === undefined ? {} : { display: displayOf(section.display, object.properties) };
}

/** What the deal totals need of a deal. */
export interface DealFacts {
  readonly companyId: string;
  readonly amount: number | null;
  readonly closedWon: boolean;
  readonly closed: boolean;
  readonly closeTime: number | null;
}

/** A deal read from the CRM, with the company it counts for (its primary company association). */
export function mapDeal(mapping: Mapping, object: CrmObject, companyId: string): DealFacts {
  const deal = mapping.deal;
  if (deal === undefined) throw new Error('the mapping has no deal section');
  const { properties } = object;
  // In a multi-currency portal `amount` is in the deal's own currency; the home-currency amount
  // (HubSpot calculates it) is what adds up. A deal without one counts its `amount`.
  const home = deal.amountInHomeCurrency === undefined ? null : cleanNumber(properties[deal.amountInHomeCurrency]);
  return {
    companyId,
    amount: home ?? cleanNumber(properties[deal.amount]),
    closedWon: cleanBoolean(properties[deal.closedWon]) === true,
    closed: cleanBoolean(properties[deal.closed]) === true,
    closeTime: cleanTime(properties[deal.closeDate]),
  };
}

const DAY_MS = 86_400_000;

/**
 * Per company: `dealSize`, the amounts of deals won with a close date in the `windowDays` before
 * `nowMs` (a deal closing later than now does not count yet); `openDealAmount`, the amounts of
 * deals not closed. Deals without an amount count as 0.
 */
export function dealTotals(deals: Iterable<DealFacts>, nowMs: number, windowDays: number): Map<string, DealTotals> {
  const since = nowMs - windowDays * DAY_MS;
  const totals = new Map<string, { dealSize: number; openDealAmount: number }>();
  for (const deal of deals) {
    let entry = totals.get(deal.companyId);
    if (entry === undefined) {
      entry = { dealSize: 0, openDealAmount: 0 };
      totals.set(deal.companyId, entry);
    }
    const amount = deal.amount ?? 0;
    if (deal.closedWon && deal.closeTime !== null && deal.closeTime > since && deal.closeTime <= nowMs) {
      entry.dealSize += amount;
    }
    if (!deal.closed) entry.openDealAmount += amount;
  }
  return totals;
}
