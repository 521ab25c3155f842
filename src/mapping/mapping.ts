/**
 * Declarative CRM-property → canonical-field mappings (`mappings/*.json`): the schema an admin's
 * edits are checked against, and the functions that turn CRM objects into canonical records.
 */
import * as z from 'zod';
import { formatPath, problemsFromIssue } from '../core/index.ts';
import type { CanonicalRecord, PolicyProblem } from '../core/index.ts';
import { cleanBoolean, cleanNumber, cleanString, cleanTime, cleanValue } from './clean.ts';

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a canonical field name (letters, digits, _)' });
const property = z.string().refine((s) => s.trim() !== '', { error: 'must not be empty' });
const fieldSpec = z.strictObject({ property, type: z.enum(['number', 'string', 'boolean']) });

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
    }),
    deal: z.strictObject({ amount: property, closedWon: property, closed: property, closeDate: property }).optional(),
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

/** The properties to ask the CRM for, per object type. */
export function propertiesToRead(mapping: Mapping, type: 'company' | 'contact' | 'deal'): string[] {
  const names = new Set<string>();
  if (type === 'deal') {
    if (mapping.deal !== undefined) for (const property of Object.values(mapping.deal)) names.add(property);
    return [...names];
  }
  const section = mapping[type];
  for (const spec of Object.values(section.fields)) names.add(spec.property);
  if (section.override !== undefined) names.add(section.override);
  if (type === 'contact' && mapping.contact.companyId !== undefined) names.add(mapping.contact.companyId);
  return [...names];
}

function mapFields(
  fields: Mapping['company']['fields'],
  properties: CrmObject['properties'],
): Record<string, number | string | boolean | null> {
  const mapped: Record<string, number | string | boolean | null> = {};
  for (const [field, spec] of Object.entries(fields)) mapped[field] = cleanValue(spec.type, properties[spec.property]);
  return mapped;
}

export interface DealTotals {
  readonly dealSize: number;
  readonly openDealAmount: number;
}

export function mapCompany(mapping: Mapping, object: CrmObject, totals?: DealTotals): CanonicalRecord {
  const fields: Record<string, number | string | boolean | null> = mapFields(mapping.company.fields, object.properties);
  const deals = mapping.company.deals;
  if (deals?.dealSize !== undefined) fields['dealSize'] = totals?.dealSize ?? 0;
  if (deals?.openDealAmount === true) fields['openDealAmount'] = totals?.openDealAmount ?? 0;
  const override =
    mapping.company.override === undefined ? null : cleanString(object.properties[mapping.company.override]);
  return { type: 'company', id: object.id, override, fields };
}

export function mapContact(mapping: Mapping, object: CrmObject): CanonicalRecord {
  const { contact } = mapping;
  const companyId = contact.companyId === undefined ? null : cleanString(object.properties[contact.companyId]);
  const override = contact.override === undefined ? null : cleanString(object.properties[contact.override]);
  return { type: 'contact', id: object.id, companyId, override, fields: mapFields(contact.fields, object.properties) };
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
  return {
    companyId,
    amount: cleanNumber(properties[deal.amount]),
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
