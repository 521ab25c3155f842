/**
 * The one error type the CLI, the server and the jobs share: an `AppError` carries a `code` from
 * a closed set, and each front end maps codes once — the CLI to exit codes (src/cli/errors.ts),
 * the server to HTTP statuses and its JSON error body (src/server/errors.ts).
 * `classifyError` gives any error its code from its type (never from its message): OAuth grant
 * refusals (RFC 6749 §5.2 `invalid_grant`, HubSpot's and Salesforce's token endpoints alike,
 * src/server/oauth-token.ts) and missing tokens mean "needs reconnect"; a token endpoint that does
 * not answer is "rate limited / try later"; a CRM's daily allocation spent is "budget exhausted".
 *
 * The other layers' error types are known here by their class `name` (each sets it on every
 * instance), not imported: importing them would load both connectors — jsforce and the HubSpot
 * client — into every command that can fail, `classify` included (about 0.7 s of CPU at each start;
 * README, Benchmark). test/app/errors.test.ts holds the names to the real classes.
 */
export const APP_ERROR_CODES = [
  /** Input the user or admin can fix: a bad file, option, setting or environment variable. */
  'bad_input',
  'not_found',
  /** The CRM refused the installation's grant, or its tokens are gone: install/connect again. */
  'needs_reconnect',
  /** The CRM (or its token endpoint) asks us to slow down or does not answer: try again later. */
  'rate_limited',
  /** The CRM account's daily API allocation (or RightTouch's share of it) is spent. */
  'budget_exhausted',
  /** A sync stopped before its end (time budget, lease lost, shutting down); the next run picks up. */
  'stopped',
  /** The request conflicts with the state of the installation. */
  'conflict',
  'unauthorized',
  /** The CRM answered with an error that is none of the above. */
  'crm_error',
  'internal',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export class AppError extends Error {
  override name = 'AppError';
  readonly code: AppErrorCode;
  constructor(code: AppErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Bad input the user can fix (the CLI's exit code 2; the server's 400). */
export class InputError extends AppError {
  override name = 'InputError';
  constructor(message: string, options?: ErrorOptions) {
    super('bad_input', message, options);
  }
}

/** The installation must be connected again (its grant was refused, or it has no tokens). */
export class NeedsReconnectError extends AppError {
  override name = 'NeedsReconnectError';
  constructor(message: string, options?: ErrorOptions) {
    super('needs_reconnect', message, options);
  }
}

/** The code of any error, from its type; its `cause` chain is followed. Unknown errors are `internal`. */
export function classifyError(error: unknown): AppErrorCode {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    const code = codeOf(current);
    if (code !== undefined) return code;
  }
  return 'internal';
}

/**
 * Codes of errors thrown outside the application layer, by class name: the connectors' (OAuth
 * grants, token endpoints, daily limits, configuration), the engine's `RunStoppedError` and the
 * store's `SecretKeyError`. `HubSpotError` (and its `HubSpotDailyLimitError`) is checked apart:
 * its code depends on its status.
 */
const CODE_OF_NAME: Readonly<Record<string, AppErrorCode>> = {
  OAuthGrantError: 'needs_reconnect',
  RunStoppedError: 'stopped',
  TokenEndpointUnavailableError: 'rate_limited',
  TokenRequestError: 'crm_error',
  HubSpotDailyLimitError: 'budget_exhausted',
  SalesforceBudgetError: 'budget_exhausted',
  SalesforceConfigError: 'bad_input',
  SecretKeyError: 'bad_input',
};

function codeOf(error: Error): AppErrorCode | undefined {
  if (error instanceof AppError) return error.code;
  const { name } = error;
  if (Object.hasOwn(CODE_OF_NAME, name)) return CODE_OF_NAME[name];
  if (name === 'HubSpotError') return (error as { status?: unknown }).status === 429 ? 'rate_limited' : 'crm_error';
  return undefined;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
