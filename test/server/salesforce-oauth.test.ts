/**
 * The refresh-token grant as it reaches Salesforce's token endpoint (nock, body matched), and which
 * refusals mean "reconnect the org" (only `invalid_grant`) and which are this server's setup.
 */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serverConfigFromEnv } from '../../src/app/config.ts';
import { OAuthGrantError } from '../../connectors/oauth-token.ts';
import { refreshSalesforceToken } from '../../connectors/salesforce/oauth.ts';

const LOGIN = 'https://login.example.test';
const config = serverConfigFromEnv({ SF_CLIENT_ID: 'cid', SF_CLIENT_SECRET: 'csecret', SF_LOGIN_URL: LOGIN });
const GRANT = { grant_type: 'refresh_token', refresh_token: 'rt-1', client_id: 'cid', client_secret: 'csecret' };

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('refreshSalesforceToken', () => {
  it('posts the refresh grant form-encoded and returns the rotated tokens', async () => {
    const scope = nock(LOGIN)
      .post('/services/oauth2/token', GRANT)
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, {
        access_token: '00Dxx!new',
        refresh_token: 'rt-2',
        instance_url: 'https://acme.my.salesforce.com',
        id: `${LOGIN}/id/00Dxx/005xx`,
        token_type: 'Bearer',
        issued_at: '1765000000000',
        signature: 'sig',
        scope: 'refresh_token api',
      });
    await expect(refreshSalesforceToken(config, 'rt-1')).resolves.toEqual({
      accessToken: '00Dxx!new',
      refreshToken: 'rt-2',
      instanceUrl: 'https://acme.my.salesforce.com',
    });
    scope.done();
  });

  it('without rotation there is no new refresh token', async () => {
    const scope = nock(LOGIN)
      .post('/services/oauth2/token', GRANT)
      .reply(200, { access_token: '00Dxx!new', instance_url: 'https://acme.my.salesforce.com' });
    expect((await refreshSalesforceToken(config, 'rt-1')).refreshToken).toBeUndefined();
    scope.done();
  });

  it('invalid_grant (revoked, expired or reused) is an OAuthGrantError; a bad client is not', async () => {
    const scope = nock(LOGIN)
      .post('/services/oauth2/token', GRANT)
      .reply(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' })
      .post('/services/oauth2/token', GRANT)
      .reply(400, { error: 'invalid_client', error_description: 'invalid client credentials' });
    const revoked = await refreshSalesforceToken(config, 'rt-1').catch((error: unknown) => error);
    expect(revoked).toBeInstanceOf(OAuthGrantError);
    expect(revoked).toMatchObject({ code: 'invalid_grant' });
    expect(String(revoked)).not.toContain('rt-1');
    const misconfigured = await refreshSalesforceToken(config, 'rt-1').catch((error: unknown) => error);
    expect(misconfigured).not.toBeInstanceOf(OAuthGrantError);
    expect(String(misconfigured)).toContain('400 invalid_client: invalid client credentials');
    scope.done();
  });
});
