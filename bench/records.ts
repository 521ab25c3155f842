/**
 * One generated company or contact, with the mess a CRM export really has: numbers as strings,
 * blank and null fields, odd casing, valid and invalid overrides. Each maker also returns the tier
 * a plain reading of its numbers gives, so the previous tiers look like an earlier run's.
 */
import type { Random } from './prng.ts';
import { TIER_VALUES } from './policy.ts';

type Fields = Record<string, unknown>;

export interface Made {
  readonly line: string;
  /** A rough tier rank from the readable numbers (no caps, floors or capacity). */
  readonly roughRank: number;
}

const INVALID_OVERRIDES = ['vip', 'High-Touch', 'HIGH_TOUCH', 'tier 3', 'strategic'];
const JUNK_NUMBERS = ['n/a', 'TBD', '12,000', '$5000', '1e5'];

/** Sets a number field as exports carry it; returns the value the core will read, if any. */
function setNumber(random: Random, fields: Fields, name: string, value: number, cents: boolean): number | undefined {
  const r = random.next();
  if (r < 0.04) return undefined; // absent
  if (r < 0.06) {
    fields[name] = null;
    return undefined;
  }
  if (r < 0.07) {
    fields[name] = r < 0.065 ? '' : '   ';
    return undefined;
  }
  if (r < 0.075) {
    fields[name] = random.pick(JUNK_NUMBERS);
    return undefined;
  }
  if (r < 0.15) {
    const text = cents ? (value + random.int(100) / 100).toFixed(2) : String(value);
    fields[name] = text; // "12000.50"
    return Number(text);
  }
  if (r < 0.16) {
    fields[name] = ` ${value} `;
    return value;
  }
  fields[name] = value;
  return value;
}

function setPrefersDigital(random: Random, fields: Fields): void {
  const r = random.next();
  if (r < 0.25) fields['prefersDigital'] = true;
  else if (r < 0.7) fields['prefersDigital'] = false;
  else if (r < 0.73) fields['prefersDigital'] = 'true';
  else if (r < 0.75) fields['prefersDigital'] = 'FALSE';
  else if (r < 0.8) fields['prefersDigital'] = null;
}

function setSupportPlan(random: Random, fields: Fields): void {
  const r = random.next();
  if (r < 0.0015) fields['supportPlan'] = 'premier';
  else if (r < 0.002) fields['supportPlan'] = ' Premier ';
  else if (r < 0.4) fields['supportPlan'] = 'standard';
  else if (r < 0.7) fields['supportPlan'] = 'basic';
  else if (r < 0.8) fields['supportPlan'] = null;
}

/** An override property: mostly unset, sometimes a tier (now and then padded), rarely junk. */
function override(random: Random, validRate: number): unknown {
  const r = random.next();
  if (r < validRate) return random.pick(TIER_VALUES);
  if (r < validRate * 1.25) return ` ${random.pick(TIER_VALUES)} `;
  if (r < validRate * 1.5) return random.pick(INVALID_OVERRIDES);
  if (r < validRate * 2) return r < validRate * 1.75 ? '' : null;
  return undefined;
}

export function makeCompany(random: Random, id: string): Made {
  const fields: Fields = {};
  const dealSize = setNumber(random, fields, 'dealSize', Math.round(random.logNormal(10000, 1.3)), true);
  const employees = setNumber(random, fields, 'employees', Math.max(1, Math.round(random.logNormal(80, 1.5))), false);
  setSupportPlan(random, fields);
  setPrefersDigital(random, fields);
  const deal = dealSize ?? 0;
  const roughRank = deal >= 100000 ? 3 : deal >= 25000 || (employees ?? 0) >= 1000 ? 2 : deal >= 5000 ? 1 : 0;
  const manual = override(random, 0.004);
  const record =
    manual === undefined ? { type: 'company', id, fields } : { type: 'company', id, override: manual, fields };
  return { line: JSON.stringify(record), roughRank };
}

/** `companyId` is the owning company's id, or `undefined` (absent), `null` or an unknown id. */
export function makeContact(random: Random, id: string, companyId: string | null | undefined): Made {
  const fields: Fields = {};
  const leadScore = setNumber(random, fields, 'leadScore', random.int(101), false) ?? 0;
  setPrefersDigital(random, fields);
  const manual = override(random, 0.002);
  const record: Record<string, unknown> = { type: 'contact', id };
  if (companyId !== undefined) record['companyId'] = companyId;
  if (manual !== undefined) record['override'] = manual;
  record['fields'] = fields;
  return { line: JSON.stringify(record), roughRank: leadScore >= 90 ? 2 : leadScore >= 50 ? 1 : 0 };
}
