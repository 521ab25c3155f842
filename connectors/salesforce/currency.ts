/**
 * Money in multi-currency orgs. Each record keeps its amounts in its own `CurrencyIsoCode`; summing
 * a EUR deal and a JPY deal as they are is wrong. With the mapping's `"currency": "corporate"`, reads
 * select currency fields through SOQL's `convertCurrency()`, which converts with the org's rates —
 * the dated rates for Opportunities (by CloseDate) under advanced currency management — and
 * answers under the field's own name.
 *
 * What the docs say, and what follows here (SOQL and SOSL Reference, "convertCurrency()"):
 * - it needs multiple currencies enabled: an org is multi-currency when its objects have a
 *   `CurrencyIsoCode` field (a single-currency org's amounts are all corporate already, read plain);
 * - it converts "to the user's currency", not the corporate one: RightTouch checks once per
 *   connector that the integration user's `DefaultCurrencyIsoCode` is the corporate currency
 *   (`CurrencyType.IsCorporate`), and refuses to read otherwise rather than tier on wrong sums;
 * - it cannot be used in WHERE or ORDER BY (the reads filter only on SystemModstamp and flags).
 */
import type { SalesforceContext } from './context.ts';

export class SalesforceCurrencyError extends Error {
  override name = 'SalesforceCurrencyError';
}

type Currency = 'corporate' | 'record' | undefined;

const checked = new WeakMap<SalesforceContext, Promise<void>>();

/** The user's currency is the corporate one, or a SalesforceCurrencyError saying what to change. */
export async function checkUserCurrency(context: SalesforceContext): Promise<void> {
  const { user_id: userId } = await context.userInfo();
  if (!/^[A-Za-z0-9]{15,18}$/.test(userId)) throw new SalesforceCurrencyError(`not a user id: ${userId}`);
  const corporate = await context.call(
    async () =>
      await context.conn.query<{ IsoCode?: string }>('SELECT IsoCode FROM CurrencyType WHERE IsCorporate = true'),
  );
  const user = await context.call(
    async () =>
      await context.conn.query<{ DefaultCurrencyIsoCode?: string }>(
        `SELECT DefaultCurrencyIsoCode FROM User WHERE Id = '${userId}'`,
      ),
  );
  const corporateCode = corporate.records[0]?.IsoCode;
  const userCode = user.records[0]?.DefaultCurrencyIsoCode;
  if (corporateCode === undefined || userCode === undefined) {
    throw new SalesforceCurrencyError('cannot tell the corporate currency or the integration user’s currency');
  }
  if (corporateCode !== userCode) {
    throw new SalesforceCurrencyError(
      `Salesforce converts amounts to the reading user's currency, and the integration user's is ${userCode} ` +
        `while the corporate currency is ${corporateCode}: set the integration user's currency to ${corporateCode} ` +
        `(Setup → Users → Edit → Currency), or set "currency": "record" in the mapping`,
    );
  }
}

/**
 * Of the fields to select on an object, those to read through `convertCurrency()` (lower-cased):
 * none unless the mapping asks for the corporate currency and the org is multi-currency.
 */
export async function fieldsToConvert(
  context: SalesforceContext,
  object: string,
  fields: readonly string[],
  currency: Currency,
): Promise<ReadonlySet<string>> {
  if (currency !== 'corporate') return new Set();
  const described = await context.fieldsOf(object);
  if (!described.has('currencyisocode')) return new Set();
  const money = fields.filter((field) => described.get(field.toLowerCase()) === 'currency');
  if (money.length === 0) return new Set();
  let check = checked.get(context);
  if (check === undefined) {
    check = checkUserCurrency(context);
    check.catch(() => checked.delete(context));
    checked.set(context, check);
  }
  await check;
  return new Set(money.map((field) => field.toLowerCase()));
}
