import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/core/logger.ts';

/** A logger built from Tessera's own options, writing every line into `lines`. */
function capturingLogger(lines: string[]) {
  const options = loggerOptions('info', 'json', ['X-PORTAL-ACCESS-CODE']) as pino.LoggerOptions;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return pino(options, sink);
}

describe('log redaction', () => {
  it('censors a secret whether logged as a field of its own, inside an object, or as a secret request header', () => {
    const lines: string[] = [];
    const log = capturingLogger(lines);
    const secrets = {
      password: 'top-level-password-1',
      token: 'top-level-token-1',
      access_token: 'top-level-access-1',
      refresh_token: 'top-level-refresh-1',
      password_hash: '$argon2id$top-level-hash',
    };
    log.info(secrets, 'secrets at the top');
    log.info({ body: { password: 'nested-password-1', email: 'kept@example.com' }, session: { refresh_token: 'nested-refresh-1' } }, 'nested');
    log.info({ req: { headers: { authorization: 'Bearer header-token-1', cookie: 'rt=cookie-1', 'x-portal-access-code': 'portal-code-1', accept: 'application/json' } } }, 'request');

    const written = lines.join('');
    for (const secret of [...Object.values(secrets), 'nested-password-1', 'nested-refresh-1', 'header-token-1', 'cookie-1', 'portal-code-1']) {
      expect(written).not.toContain(secret);
    }
    // Only the secrets go: the rest of each line is still there to read.
    expect(written).toContain('kept@example.com');
    expect(written).toContain('application/json');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ password: '[redacted]', token: '[redacted]', msg: 'secrets at the top' });
  });
});
