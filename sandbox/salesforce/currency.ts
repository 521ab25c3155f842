/**
 * Multi-currency orgs in the fake: once multiple currencies are enabled, Account, Contact, Lead and
 * Opportunity get a `CurrencyIsoCode` picklist, User a `DefaultCurrencyIsoCode`, and the
 * `CurrencyType` object (IsoCode, ConversionRate, IsCorporate, …) appears — it exists only in
 * multi-currency orgs (Object Reference, "CurrencyType"). A record's amounts are in its own
 * currency; SOQL's `convertCurrency()` converts them "to the user's currency" (SOQL reference,
 * "convertCurrency()") through the corporate currency with the static rates — except, with advanced
 * currency management (`dated` rates given), an Opportunity's amounts, which convert at the dated
 * rate whose period holds its CloseDate ("With advanced currency management, convertCurrency uses
 * the conversion rate that corresponds to a given field (for example, CloseDate on opportunities)").
 */
import type { FieldDef, Org, SfRecord, Value } from './model.ts';
import { fieldDef, objectDef, withSystemFields } from './schema.ts';

export interface OrgCurrencies {
  /** The corporate currency's ISO code (rate 1). */
  readonly corporate: string;
  /** Other active currencies: units of that currency per one unit of the corporate currency. */
  readonly rates: Readonly<Record<string, number>>;
  /**
   * Advanced currency management: dated rates (from `start`, a date, until the next one of the same
   * currency), shown as `DatedConversionRate` rows and used for Opportunities.
   */
  readonly dated?: readonly { readonly code: string; readonly start: string; readonly rate: number }[];
}

const WITH_CURRENCY = ['Account', 'Contact', 'Lead', 'Opportunity'];

/** Turns multiple currencies on: the fields, `CurrencyType` and its rows; existing records are in the corporate currency. */
export function enableMultiCurrency(org: Org, currencies: OrgCurrencies, now: number): void {
  const rates = new Map<string, number>([[currencies.corporate, 1]]);
  for (const [code, rate] of Object.entries(currencies.rates)) if (code !== currencies.corporate) rates.set(code, rate);
  org.currencies = { corporate: currencies.corporate, rates, dated: currencies.dated ?? [] };
  const codes = [...rates.keys()];
  const add = (object: string, name: string, label: string): void => {
    const def = org.objectDef(object);
    if (def === undefined) return;
    def.fields.set(
      name.toLowerCase(),
      fieldDef(name, label, 'picklist', { picklist: codes, restrictedPicklist: true, nillable: false }),
    );
    for (const record of org.store(def.name).values()) record.values[name] ??= currencies.corporate;
  };
  for (const object of WITH_CURRENCY) add(object, 'CurrencyIsoCode', 'Currency ISO Code');
  add('User', 'DefaultCurrencyIsoCode', 'Currency');
  const currencyType = objectDef('CurrencyType', 'Currency', 'Currencies', [
    ...withSystemFields([
      fieldDef('IsoCode', 'Currency ISO Code', 'string', { length: 3 }),
      fieldDef('ConversionRate', 'Conversion Rate', 'double', { precision: 15, scale: 6 }),
      fieldDef('DecimalPlaces', 'Decimal Places', 'int'),
      fieldDef('IsActive', 'Active', 'boolean'),
      fieldDef('IsCorporate', 'Corporate', 'boolean', { updateable: false }),
    ]),
  ]);
  org.objects.set('currencytype', currencyType);
  if (currencies.dated !== undefined) {
    org.objects.set(
      'datedconversionrate',
      objectDef('DatedConversionRate', 'Dated Conversion Rate', 'Dated Conversion Rates', [
        ...withSystemFields([
          fieldDef('IsoCode', 'Currency ISO Code', 'string', { length: 3 }),
          fieldDef('ConversionRate', 'Conversion Rate', 'double', { precision: 15, scale: 6 }),
          fieldDef('StartDate', 'Start Date', 'date'),
          fieldDef('NextStartDate', 'Next Start Date', 'date', { updateable: false }),
        ]),
      ]),
    );
    for (const period of currencies.dated) {
      const next = nextStart(currencies.dated, period.code, period.start);
      org.insert(
        'DatedConversionRate',
        {
          IsoCode: period.code,
          ConversionRate: period.rate,
          StartDate: period.start,
          NextStartDate: next ?? '9999-12-31',
        },
        now,
      );
    }
  }
  for (const [code, rate] of rates) {
    org.insert(
      'CurrencyType',
      {
        IsoCode: code,
        ConversionRate: rate,
        DecimalPlaces: 2,
        IsActive: true,
        IsCorporate: code === currencies.corporate,
      },
      now,
    );
  }
}

/** The start of the next period of a currency's dated rates after `start`, if any. */
function nextStart(
  dated: readonly { readonly code: string; readonly start: string }[],
  code: string,
  start: string,
): string | undefined {
  return dated
    .filter((d) => d.code === code && d.start > start)
    .map((d) => d.start)
    .sort()[0];
}

/** The rate of a currency for a record: the dated one holding an Opportunity's CloseDate, else the static one. */
function rateOf(org: Org, record: SfRecord, code: string): number {
  const currencies = org.currencies;
  if (currencies === undefined) return 1;
  const close = record.values['CloseDate'];
  if (record.type === 'Opportunity' && typeof close === 'string') {
    const period = currencies.dated
      .filter((d) => d.code === code && d.start <= close)
      .sort((a, b) => (a.start < b.start ? 1 : -1))[0];
    if (period !== undefined) return period.rate;
  }
  return currencies.rates.get(code) ?? 1;
}

/** A record's currency amount in the user's currency (through the corporate currency, 2 decimals). */
export function convertForUser(org: Org, userId: string, record: SfRecord, field: FieldDef): Value {
  const value = record.values[field.name];
  const currencies = org.currencies;
  if (typeof value !== 'number' || currencies === undefined) return value ?? null;
  const from = record.values['CurrencyIsoCode'];
  const to = org.get('User', userId)?.values['DefaultCurrencyIsoCode'];
  const rateFrom = rateOf(org, record, typeof from === 'string' ? from : currencies.corporate);
  const rateTo = rateOf(org, record, typeof to === 'string' ? to : currencies.corporate);
  return Math.round(((value / rateFrom) * rateTo + Number.EPSILON) * 100) / 100;
}
