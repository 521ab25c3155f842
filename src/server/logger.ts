/**
 * The server's logger: pino, JSON lines, with every field that can carry a secret redacted
 * (tokens, keys, authorization headers, OAuth codes), whatever object it appears in.
 */
import { pino, type Logger } from 'pino';

export const REDACTED_PATHS = [
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.client_secret',
  '*.code',
  '*.code_verifier',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-hubspot-signature-v3"]',
  'accessToken',
  'refreshToken',
  'token',
  'key',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const settings = { level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return options.destination === undefined
    ? pino(settings)
    : pino(settings, options.destination as unknown as Parameters<typeof pino>[1]);
}
