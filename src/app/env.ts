/**
 * Every environment variable RightTouch reads, in one zod schema, parsed once at start
 * (`righttouch serve`, the CLI's store and CRM commands). A bad environment fails with one
 * `ConfigError` listing every problem, each with its variable's name. Blank values count as unset.
 * Values are never echoed for the secrets (tokens, keys, DATABASE_URL: it may hold a password).
 * The connectors read their own options from the same variables (connectors/hubspot
 * `hubSpotOptionsFromEnv`, connectors/salesforce `salesforceOptionsFromEnv`); they are checked here
 * first so that every problem shows at once.
 */
import { z } from 'zod';
import { isPostgresUrl } from '../store/index.ts';
import { InputError } from './errors.ts';
import { parseNightlyWindow } from './nightly-window.ts';

export type RawEnv = Readonly<Record<string, string | undefined>>;

/** The environment is unusable: every problem, one per line. */
export class ConfigError extends InputError {
  override name = 'ConfigError';
}

/** Trimmed; blank is unset. */
const text = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined),
  z.string().optional(),
);
const url = (what: string) =>
  text.refine((value) => value === undefined || URL.canParse(value), `is not a URL (${what})`);
const numberIn = (min: number, max: number) =>
  text.refine(
    (value) => value === undefined || (Number.isFinite(Number(value)) && Number(value) >= min && Number(value) <= max),
    `must be a number from ${min} to ${max}`,
  );

export const envSchema = z
  .object({
    NODE_ENV: text,
    PORT: text.refine(
      (value) => value === undefined || (/^\d+$/.test(value) && Number(value) <= 65535),
      'is not a port (0 to 65535)',
    ),
    /** How CRMs reach this server: OAuth redirects, webhooks, the card. Required in production. */
    PUBLIC_BASE_URL: url('the https address CRMs redirect to and send webhooks to'),
    RIGHTTOUCH_ADMIN_TOKEN: text,
    /** 32 bytes, base64 or hex (checked by src/store/secrets.ts); required in production. */
    RIGHTTOUCH_SECRET_KEY: text,
    DATABASE_URL: text.refine(
      (value) => value === undefined || isPostgresUrl(value),
      'must be a PostgreSQL URL (postgres://… or postgresql://…), or unset for SQLite',
    ),
    HUBSPOT_CLIENT_ID: text,
    HUBSPOT_CLIENT_SECRET: text,
    HUBSPOT_APP_ID: text,
    HUBSPOT_AUTHORIZE_URL: url('HubSpot’s authorize page'),
    HUBSPOT_API_URL: url('HubSpot’s API host'),
    HUBSPOT_RETURN_URL_HOSTS: text,
    /** The CLI's private-app token and API host (e.g. the local sandbox). */
    HUBSPOT_ACCESS_TOKEN: text,
    HUBSPOT_BASE_URL: url('HubSpot’s API host for the CLI'),
    SF_CLIENT_ID: text,
    SF_CLIENT_SECRET: text,
    SF_LOGIN_URL: url('Salesforce’s login host'),
    SF_CHANGE_EVENTS: text,
    SF_INSTANCE_URL: url('the org’s My Domain address'),
    SF_ACCESS_TOKEN: text,
    SF_REFRESH_TOKEN: text,
    SF_API_VERSION: text,
    SF_BULK_THRESHOLD: numberIn(1, 100_000_000),
    SF_API_RESERVE: numberIn(0, 0.99),
    /** Syncs one worker runs at once (default 4): src/jobs/queue.ts. */
    RIGHTTOUCH_CONCURRENCY: text.refine(
      (value) => value === undefined || (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 64),
      'must be a whole number from 1 to 64',
    ),
    /** When the nightly full reconciles start, spread per installation (default 03:00-05:00, UTC). */
    RIGHTTOUCH_NIGHTLY_WINDOW: text.refine(
      (value) => value === undefined || parseNightlyWindow(value) !== undefined,
      'must be a window HH:MM-HH:MM (UTC, 24-hour, e.g. 03:00-05:00)',
    ),
  })
  .superRefine((env, context) => {
    if (env.NODE_ENV === 'production' && env.PUBLIC_BASE_URL === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['PUBLIC_BASE_URL'],
        message: 'is not set: the https address CRMs redirect to and send webhooks to',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Variables whose value must not appear in an error message. */
const SECRET = /TOKEN|SECRET|KEY|DATABASE_URL/;

/** The environment, checked; throws a ConfigError listing every problem. */
export function parseEnv(raw: RawEnv): Env {
  const result = envSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const value = raw[name]?.trim();
    const shown = value === undefined || value === '' || SECRET.test(name) ? '' : `: ${value}`;
    return `${name} ${issue.message}${shown}`;
  });
  throw new ConfigError(lines.join('\n'));
}
