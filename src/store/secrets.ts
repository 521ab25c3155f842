/**
 * Secrets at rest: AES-256-GCM with a random 96-bit IV per value, sealed as
 * `v1.<iv>.<tag>.<ciphertext>` (base64url). The key is RIGHTTOUCH_SECRET_KEY (32 bytes, base64 or
 * hex); without it, on a developer machine, a key is generated once into `<data dir>/secret.key`
 * (mode 0600, never committed: `data/` is ignored). With NODE_ENV=production the variable is required.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

function decodeKey(raw: string, source: string): Buffer {
  const text = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new SecretKeyError(`${source} must be 32 bytes, as base64 or 64 hex digits`);
  return key;
}

export function secretKey(env: Readonly<Record<string, string | undefined>>, dataDir: string): Buffer {
  const fromEnv = env['RIGHTTOUCH_SECRET_KEY'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return decodeKey(fromEnv, 'RIGHTTOUCH_SECRET_KEY');
  if (env['NODE_ENV'] === 'production') {
    throw new SecretKeyError(
      'RIGHTTOUCH_SECRET_KEY is not set: in production tokens are encrypted with it (32 random bytes, base64: `openssl rand -base64 32`)',
    );
  }
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return decodeKey(readFileSync(file, 'utf8'), file);
}

export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function unseal(key: Buffer, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) {
    throw new SecretKeyError('not a sealed secret');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretKeyError('a stored secret does not open with this key (was RIGHTTOUCH_SECRET_KEY changed?)');
  }
}

/** A stable, non-reversible name for a credential (e.g. the refresh token an admin configured). */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 24);
}
