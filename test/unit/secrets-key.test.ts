/**
 * The key-encryption key (issue 20): how SECRETS_KEY is read, the key file a SQLite install
 * makes for itself, and the verifier's signing keys: read again when it meets a token of a
 * key it does not know and once they are a minute old, and a retired key refused.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccessTokens, generateSigningKey, KEY_SET_MAX_AGE_SECONDS, type StoredSigningKey } from '../../src/core/auth/jwt.ts';
import { createSecretBox, generateSecretsKey, openSecretBox, parseSecretsKey, secretsKeyFile } from '../../src/core/auth/secret-box.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { ConfigError, loadConfig } from '../../src/core/config.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('SECRETS_KEY', () => {
  it('is required with DATABASE_URL, and the refusal names it and how to make one', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/tessera' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/tessera' })).toThrow(/SECRETS_KEY is required.*secrets generate-key/);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/tessera', SECRETS_KEY: generateSecretsKey() }).secretsKeys).toHaveLength(1);
    expect(loadConfig({}).secretsKeys).toBeUndefined();
  });

  it('takes 32-byte keys, base64url or hex, several separated by commas; anything else stops start-up naming it', () => {
    const [first, second] = [generateSecretsKey(), generateSecretsKey()];
    const hex = Buffer.from(second, 'base64url').toString('hex');
    expect(loadConfig({ SECRETS_KEY: `${first}, ${hex}` }).secretsKeys).toEqual([parseSecretsKey(first), parseSecretsKey(second)]);
    for (const bad of ['short', `${first}x`, first.slice(1), 'z'.repeat(64), `${first},`, `${first},,${second}`]) {
      expect(() => loadConfig({ SECRETS_KEY: bad }), bad).toThrow(/SECRETS_KEY: a secrets key is 32 bytes/);
    }
  });

  it('without it (SQLite), a key is made in DATA_DIR once, readable by its owner only, and used again on every start', () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-key-'));
    dirs.push(dataDir);
    const config = { secretsKeys: undefined, dataDir: path.join(dataDir, 'nested') };
    const sealed = openSecretBox(config).seal('a secret', 'test:1');
    const file = secretsKeyFile(config.dataDir);
    const written = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    expect(openSecretBox(config).open(sealed, 'test:1')).toBe('a secret');
    expect(readFileSync(file, 'utf8')).toBe(written);
    expect(() => createSecretBox([parseSecretsKey(generateSecretsKey())]).open(sealed, 'test:1')).toThrow(/not in SECRETS_KEY/);
  });
});

describe('the verifier and its keys', () => {
  const issuer = 'https://tessera.test';
  const claims = { userId: 1, sessionId: 2, tenantId: 3 };

  it('reads the keys again, at most once per interval, waiting for a reload under way', async () => {
    const clock = new ManualClock();
    const [oldKey, newKey, unknownKey] = await Promise.all([generateSigningKey(), generateSigningKey(), generateSigningKey()]);
    let reloads = 0;
    const reloadKeys = async (): Promise<StoredSigningKey[]> => {
      reloads += 1;
      return [oldKey, newKey];
    };
    const tokens = await createAccessTokens({ keys: [oldKey], issuer, ttlSeconds: 900, clock, reloadKeys });
    const newer = await createAccessTokens({ keys: [oldKey, newKey], issuer, ttlSeconds: 900, clock });
    const stranger = await createAccessTokens({ keys: [unknownKey], issuer, ttlSeconds: 900, clock });

    const [a, b] = await Promise.all([newer.sign(claims), newer.sign({ ...claims, userId: 4 })]);
    await expect(Promise.all([tokens.verify(a), tokens.verify(b)])).resolves.toEqual([claims, { ...claims, userId: 4 }]);
    expect(reloads).toBe(1);
    expect((await tokens.jwks()).keys.map((key) => key.kid)).toEqual([oldKey.kid, newKey.kid]);

    // A key the database does not have either: refused, and no second reload within the interval.
    await expect(tokens.verify(await stranger.sign(claims))).rejects.toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
    expect(reloads).toBe(1);
  });

  it(`reads the keys again once they are ${KEY_SET_MAX_AGE_SECONDS} s old, and signs with the newest from then on`, async () => {
    const clock = new ManualClock();
    const [oldKey, newKey] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    let stored = [oldKey];
    const tokens = await createAccessTokens({ keys: stored, issuer, ttlSeconds: 900, clock, reloadKeys: async () => stored });
    stored = [oldKey, newKey];
    clock.advance((KEY_SET_MAX_AGE_SECONDS - 1) * 1000);
    expect(decodeProtectedHeader(await tokens.sign(claims)).kid).toBe(oldKey.kid);
    clock.advance(1000);
    expect(decodeProtectedHeader(await tokens.sign(claims)).kid).toBe(newKey.kid);
  });

  it('verifies nothing with a retired key, not even a token signed after, and stops publishing it', async () => {
    const clock = new ManualClock();
    const [leaked, successor] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    const retiresAt = new Date(clock.now().getTime() + 3_600_000);
    const tokens = await createAccessTokens({ keys: [{ ...leaked, retiresAt }, successor], issuer, ttlSeconds: 900, clock });
    // Whoever holds the leaked key signs with it, as a process that knows only that key would.
    const forger = await createAccessTokens({ keys: [leaked], issuer, ttlSeconds: 900, clock });
    clock.advance(3_600_000 - 1000);
    await expect(tokens.verify(await forger.sign(claims))).resolves.toEqual(claims);
    expect((await tokens.jwks()).keys.map((key) => key.kid)).toEqual([leaked.kid, successor.kid]);
    clock.advance(1000);
    await expect(tokens.verify(await forger.sign(claims))).rejects.toMatchObject({ code: 'AUTH.INVALID_TOKEN' });
    expect((await tokens.jwks()).keys.map((key) => key.kid)).toEqual([successor.kid]);
  });
});
