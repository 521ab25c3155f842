/** The environment, parsed once by one schema (src/app/env.ts): every problem at once, secrets never echoed. */
import { describe, expect, test } from 'vitest';
import { ConfigError, parseEnv } from '../../src/app/env.ts';
import { InputError } from '../../src/app/errors.ts';
import { serverConfigFromEnv } from '../../src/app/config.ts';

function problems(env: Record<string, string>): string {
  try {
    parseEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  test('lists every problem, one line each, named by its variable', () => {
    const message = problems({
      PORT: 'eighty',
      PUBLIC_BASE_URL: 'not a url',
      SF_BULK_THRESHOLD: '0',
      SF_API_RESERVE: '2',
      HUBSPOT_API_URL: '::',
    });
    expect(message.split('\n')).toEqual([
      'PORT is not a port (0 to 65535): eighty',
      'PUBLIC_BASE_URL is not a URL (the https address CRMs redirect to and send webhooks to): not a url',
      'HUBSPOT_API_URL is not a URL (HubSpot’s API host): ::',
      'SF_BULK_THRESHOLD must be a number from 1 to 100000000: 0',
      'SF_API_RESERVE must be a number from 0 to 0.99: 2',
    ]);
  });

  test('the run queue: RIGHTTOUCH_CONCURRENCY 1–64, RIGHTTOUCH_NIGHTLY_WINDOW HH:MM-HH:MM', () => {
    expect(problems({ RIGHTTOUCH_CONCURRENCY: '0', RIGHTTOUCH_NIGHTLY_WINDOW: '3-5' }).split('\n')).toEqual([
      'RIGHTTOUCH_CONCURRENCY must be a whole number from 1 to 64: 0',
      'RIGHTTOUCH_NIGHTLY_WINDOW must be a window HH:MM-HH:MM (UTC, 24-hour, e.g. 03:00-05:00): 3-5',
    ]);
    expect(problems({ RIGHTTOUCH_CONCURRENCY: '2.5' })).toMatch(/^RIGHTTOUCH_CONCURRENCY/);
    const env = parseEnv({ RIGHTTOUCH_CONCURRENCY: '8', RIGHTTOUCH_NIGHTLY_WINDOW: ' 23:30-01:00 ' });
    expect([env.RIGHTTOUCH_CONCURRENCY, env.RIGHTTOUCH_NIGHTLY_WINDOW]).toEqual(['8', '23:30-01:00']);
  });

  test('the server config reports them all too (it used to stop at the first)', () => {
    expect(() => serverConfigFromEnv({ PORT: '70000', PUBLIC_BASE_URL: 'nope' })).toThrow(
      /PORT is not a port[^\n]*\nPUBLIC_BASE_URL is not a URL/,
    );
  });

  test('never echoes a secret value (a DATABASE_URL may hold a password)', () => {
    const message = problems({ DATABASE_URL: 'mysql://rt:hunter2@db.example.com/rt', PORT: '-1' });
    expect(message).toMatch(/^DATABASE_URL must be a PostgreSQL URL/m);
    expect(message).not.toContain('hunter2');
    expect(message).toMatch(/^PORT is not a port \(0 to 65535\): -1$/m);
  });

  test('production needs PUBLIC_BASE_URL; blank values are unset; values are trimmed', () => {
    expect(problems({ NODE_ENV: 'production', PUBLIC_BASE_URL: '  ' })).toMatch(/^PUBLIC_BASE_URL is not set/);
    const env = parseEnv({ PORT: ' 8080 ', HUBSPOT_CLIENT_ID: '', SF_CHANGE_EVENTS: 'on' });
    expect(env.PORT).toBe('8080');
    expect(env.HUBSPOT_CLIENT_ID).toBeUndefined();
    const config = serverConfigFromEnv({
      PORT: ' 8080 ',
      PUBLIC_BASE_URL: 'https://rt.example.com/',
      SF_CHANGE_EVENTS: 'on',
    });
    expect(config).toMatchObject({
      port: 8080,
      publicBaseUrl: 'https://rt.example.com',
      salesforce: { changeEvents: true, loginUrl: 'https://login.salesforce.com' },
      hubspot: { apiUrl: 'https://api.hubapi.com', returnUrlHosts: ['hubspot.com'] },
    });
  });
});
