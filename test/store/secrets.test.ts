/** Secrets at rest: AES-256-GCM sealing, the key's sources, and the store holding only sealed values. */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fingerprint, seal, secretKey, unseal } from '../../src/store/secrets.ts';
import { describeEachEngine } from './engines.ts';

const dir = (): string => mkdtempSync(join(tmpdir(), 'righttouch-secrets-'));

describe('secrets', () => {
  test('seal and unseal round-trip; every sealing differs; a wrong key or a changed byte is refused', () => {
    const key = secretKey({ RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, dir());
    const a = seal(key, '5Aep861refresh-token');
    const b = seal(key, '5Aep861refresh-token');
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh');
    expect(unseal(key, a)).toBe('5Aep861refresh-token');
    const other = secretKey({ RIGHTTOUCH_SECRET_KEY: 'ab'.repeat(32) }, dir());
    expect(() => unseal(other, a)).toThrow(/does not open with this key/);
    const parts = a.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    expect(() => unseal(key, [...parts.slice(0, 3), body.toString('base64url')].join('.'))).toThrow();
    expect(() => unseal(key, 'plain text')).toThrow(/not a sealed secret/);
  });

  test('without RIGHTTOUCH_SECRET_KEY a key file is made once (mode 0600); production requires the variable', () => {
    const data = dir();
    const first = secretKey({}, data);
    expect(secretKey({}, data).equals(first)).toBe(true);
    expect(statSync(join(data, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(join(data, 'secret.key'), 'utf8'), 'base64')).toHaveLength(32);
    expect(() => secretKey({ NODE_ENV: 'production' }, dir())).toThrow(/RIGHTTOUCH_SECRET_KEY is not set/);
    expect(() => secretKey({ RIGHTTOUCH_SECRET_KEY: 'short' }, dir())).toThrow(/32 bytes/);
  });
});

describeEachEngine('secrets in the store', (engine) => {
  test('the store keeps only what it is given (sealed) and replaces it', async () => {
    const spec = engine.create();
    const store = engine.open(spec);
    await store.migrate();
    const key = secretKey({}, dir());
    const name = `salesforce.refresh-token.${fingerprint('original')}`;
    expect(name).not.toContain('original');
    await store.putSecret(name, seal(key, 'rotated-1'), 1);
    await store.putSecret(name, seal(key, 'rotated-2'), 2);
    expect(unseal(key, (await store.getSecret(name)) ?? '')).toBe('rotated-2');
    expect(await store.getSecret('nothing')).toBeUndefined();
    await store.close();
    const contents = await engine.contents(spec);
    expect(contents).toContain(name);
    expect(contents.includes('rotated')).toBe(false);
  });
});
