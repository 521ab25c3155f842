/** Error codes from error types (src/app/errors.ts), and the CLI's exit code table (src/cli/errors.ts). */
import { describe, expect, test } from 'vitest';
import { HubSpotDailyLimitError, HubSpotError, type Failure } from '../../connectors/hubspot/errors.ts';
import { SalesforceBudgetError } from '../../connectors/salesforce/context.ts';
import { SalesforceConfigError } from '../../connectors/salesforce/options.ts';
import { AppError, APP_ERROR_CODES, classifyError, InputError, NeedsReconnectError } from '../../src/app/errors.ts';
import { EXIT_CODES, exitCodeOf } from '../../src/cli/errors.ts';
import { TokenEndpointUnavailableError, TokenRequestError } from '../../connectors/hubspot/oauth.ts';
import { OAuthGrantError } from '../../connectors/oauth-token.ts';
import { SecretKeyError } from '../../src/store/secrets.ts';
import { RunStoppedError } from '../../src/sync/engine.ts';

const failure = (status: number, message: string): Failure => ({
  status,
  category: undefined,
  policyName: undefined,
  message,
  body: {},
  headers: {},
});

describe('classifyError', () => {
  test('from the type, not from the message', () => {
    expect(classifyError(new OAuthGrantError('invalid_grant', 'refused'))).toBe('needs_reconnect');
    expect(classifyError(new NeedsReconnectError('no HubSpot tokens for installation x'))).toBe('needs_reconnect');
    expect(classifyError(new Error('HubSpot said invalid_grant BAD_REFRESH_TOKEN'))).toBe('internal');
    expect(classifyError(new TokenEndpointUnavailableError('503 after 3 attempts'))).toBe('rate_limited');
    expect(classifyError(new TokenRequestError('invalid_client', 'bad client'))).toBe('crm_error');
    expect(classifyError(new SalesforceBudgetError('reserve reached'))).toBe('budget_exhausted');
    expect(classifyError(new HubSpotDailyLimitError('read', failure(429, 'daily')))).toBe('budget_exhausted');
    expect(classifyError(new HubSpotError('write', failure(400, 'bad')))).toBe('crm_error');
    expect(classifyError(new HubSpotError('read', failure(429, 'slow down')))).toBe('rate_limited');
    expect(classifyError(new SalesforceConfigError('SALESFORCE_API_VERSION: expected 60.0'))).toBe('bad_input');
    expect(classifyError(new RunStoppedError())).toBe('stopped');
    expect(classifyError(new SecretKeyError('RIGHTTOUCH_SECRET_KEY is not set'))).toBe('bad_input');
    expect(classifyError('a string')).toBe('internal');
  });

  test("knows the other layers' errors by class name (it does not import them): an unknown name is internal", () => {
    const renamed = new HubSpotError('write', failure(400, 'bad'));
    renamed.name = 'SomethingElse';
    expect(classifyError(renamed)).toBe('internal');
    expect(classifyError(Object.assign(new Error('x'), { name: 'toString' }))).toBe('internal');
  });

  test('follows the cause chain', () => {
    const wrapped = new Error('the sync failed', { cause: new OAuthGrantError('invalid_grant', 'refused') });
    expect(classifyError(wrapped)).toBe('needs_reconnect');
  });
});

describe('the CLI exit codes', () => {
  test('2 for bad input, 1 for everything else; one entry per code', () => {
    expect(Object.keys(EXIT_CODES).sort()).toEqual([...APP_ERROR_CODES].sort());
    expect(exitCodeOf(new InputError('--crm: expected hubspot or salesforce'))).toBe(2);
    expect(exitCodeOf(new SecretKeyError('RIGHTTOUCH_SECRET_KEY must be 32 bytes'))).toBe(2);
    expect(exitCodeOf(new AppError('needs_reconnect', 'install again'))).toBe(1);
    expect(exitCodeOf(new Error('boom'))).toBe(1);
  });
});
