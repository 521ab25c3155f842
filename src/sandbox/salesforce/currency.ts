/**
 * Multi-currency orgs in the fake: once multiple currencies are enabled, Account, Contact, Lead and
 * Opportunity get a `CurrencyIsoCode` picklist, User a `DefaultCurrencyIsoCode`, and the
 * `CurrencyType` object (IsoCode, ConversionRate, IsCorporate, …) appears — it exists only in
 * multi-currency orgs (Object Reference, "CurrencyType"). A record's amounts are in its own
 * currency; SOQL's `convertCurrency()` converts them "to the user's currency" (SOQL reference,
 * "convertCurrency()") through the corporate currency with the static rates. Advanced currency
 * management (dated rates per Opportunity CloseDate) is not modelled: the static rates stand in.
 */
import type { FieldDef, Org, SfRecord, Value } from './model.ts';
import { fieldDef, objectDef, withSystemFields } from './schema.ts';

export interface OrgCurrencies {
  /** The corporate currency's ISO code (rate 1). */
  readonly corporate: string;
  /** Other active currencies: units of that currency per one unit of the corporate currency. */
  readonly rates: Readonly<Record<string, number>>;
}

const WITH_CURRENCY = ['Account', 'Contact', 'Lead', 'Opportunity'];

/** Turns multiple currencies on: the fields, `CurrencyType` and its rows; existing records are in the corporate currency. */
export function enableMultiCurrency(org: Org, currencies: OrgCurrencies, now: number): void {
  const rates = new Map<string, number>([[currencies.corporate, 1]]);
  for (const [code, rate] of Object.entries(currencies.rates)) if (code !== currencies.corporate) rates.set(code, rate);
  org.currencies = { corporate: currencies.corporate, rates };
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

/** A record's currency amount in the user's currency (through the corporate currency, 2 decimals). */
export function convertForUser(org: Org, userId: string, record: SfRecord, field: FieldDef): Value {
  const value = record.values[field.name];
  const currencies = org.currencies;
  if (typeof value !== 'number' || currencies === undefined) return value ?? null;
  const from = record.values['CurrencyIsoCode'];
  const to = org.get('User', userId)?.values['DefaultCurrencyIsoCode'];
  const rateFrom = currencies.rates.get(typeof from === 'string' ? from : currencies.corporate) ?? 1;
  const rateTo = currencies.rates.get(typeof to === 'string' ? to : currencies.corporate) ?? 1;
  return Math.round(((value / rateFrom) * rateTo + Number.EPSILON) * 100) / 100;
}
