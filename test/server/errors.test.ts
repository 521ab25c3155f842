/** The server's error answers (src/server/errors.ts): one status table, one JSON body. */
import type { Response } from 'express';
import { describe, expect, test } from 'vitest';
import { AppError, APP_ERROR_CODES, NeedsReconnectError } from '../../src/app/errors.ts';
import { OAuthGrantError } from '../../connectors/oauth-token.ts';
import { HTTP_STATUS, sendError, sendErrorCode } from '../../src/server/errors.ts';

function recorder() {
  const sent: { status?: number; body?: unknown } = {};
  const res = {
    status(code: number) {
      sent.status = code;
      return res;
    },
    json(body: unknown) {
      sent.body = body;
      return res;
    },
  };
  return { res: res as unknown as Response, sent };
}

describe('sendError', () => {
  test('every code has a status; the ones routes answer with keep their statuses', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...APP_ERROR_CODES].sort());
    expect(HTTP_STATUS).toMatchObject({ bad_input: 400, unauthorized: 401, not_found: 404, needs_reconnect: 409 });
  });

  test('the status from the error type, the body { error, …details }', () => {
    const one = recorder();
    sendError(one.res, new NeedsReconnectError('Salesforce org 00D needs to be reconnected'));
    expect(one.sent).toEqual({ status: 409, body: { error: 'Salesforce org 00D needs to be reconnected' } });

    const two = recorder();
    sendError(two.res, new OAuthGrantError('invalid_grant', 'HubSpot refused the grant'));
    expect(two.sent.status).toBe(409);

    const three = recorder();
    sendErrorCode(three.res, 'bad_input', 'the policy is invalid', { problems: [{ path: 'tiers', message: 'x' }] });
    expect(three.sent).toEqual({
      status: 400,
      body: { error: 'the policy is invalid', problems: [{ path: 'tiers', message: 'x' }] },
    });
  });

  test('an internal error does not show its message', () => {
    const { res, sent } = recorder();
    sendError(res, new Error('ENOENT: /srv/righttouch/data/secret.key'));
    expect(sent).toEqual({ status: 500, body: { error: 'internal error' } });
    const coded = recorder();
    sendError(coded.res, new AppError('internal', 'database password rejected'));
    expect(coded.sent).toEqual({ status: 500, body: { error: 'internal error' } });
  });
});
