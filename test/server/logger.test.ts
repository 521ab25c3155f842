/** The server's logger redacts secrets wherever the server's own log calls put them. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/logger.ts';

describe('createLogger', () => {
  it('redacts tokens, secrets, codes and authorization headers', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ destination });
    logger.info(
      {
        accessToken: 'AT-secret-1',
        tokens: { refreshToken: 'RT-secret-2', access_token: 'AT-secret-3' },
        req: { headers: { authorization: 'Bearer KEY-secret-4' } },
        query: { code: 'CODE-secret-5' },
        installation: 'inst-1',
      },
      'install finished',
    );
    const out = lines.join('');
    for (const secret of ['AT-secret-1', 'RT-secret-2', 'AT-secret-3', 'KEY-secret-4', 'CODE-secret-5']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[redacted]');
    expect(out).toContain('inst-1');
    expect(JSON.parse(out) as { msg: string }).toMatchObject({ msg: 'install finished' });
  });
});
