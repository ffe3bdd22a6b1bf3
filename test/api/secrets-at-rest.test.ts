/**
 * Secrets at rest (issue 20): the signing keys' private parts and the TOTP secrets are stored
 * sealed with the key-encryption key, each bound to its row; an install from before sealing is
 * sealed on start; `tessera secrets rotate` seals everything again under a new key.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { SEALED_COLUMNS } from '../../src/areas.ts';
import { createSecretBox, generateSecretsKey, parseSecretsKey, rotateSecretsKeyFile, secretsKeyFile, type SecretBox } from '../../src/core/auth/secret-box.ts';
import { sealedContext } from '../../src/core/db/sealed-columns.ts';
import { engineOf } from '../../src/core/db/dialect.ts';
import { readSigningKeys } from '../../src/modules/identity/signing-keys.service.ts';
import type { Db } from '../../src/schema/database.ts';
import { migrate, resealSecrets } from '../../src/schema/migrate.ts';
import { invariantViolations } from '../support/invariants.ts';
import { register, startSecondApp, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

const PASSWORD = 'correct horse battery';
const apps: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  while (apps.length > 0) await apps.pop()?.close();
});

async function started(): Promise<TestApp> {
  const t = await startTestApp();
  apps.push(t);
  return t;
}

const codeAt = (t: TestApp, secret: string) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() });

/** Starts TOTP for a user; with `confirm`, turns it on. Returns the secret shown to scan. */
async function enrollTotp(t: TestApp, session: Session, confirm = true): Promise<string> {
  const begun = await t.request({ method: 'POST', url: '/api/v1/me/mfa/totp', headers: session.auth });
  expect(begun.statusCode, begun.body).toBe(201);
  const secret = begun.json().data.secret as string;
  if (confirm) {
    const confirmed = await t.request({ method: 'POST', url: '/api/v1/me/mfa/totp/confirm', headers: session.auth, payload: { code: codeAt(t, secret) } });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
  }
  return secret;
}

/** A sign-in with the password, then a code of the next time step: the access token it opens. */
async function signInWithCode(t: TestApp, app: { inject: TestApp['app']['inject'] }, session: Session, secret: string): Promise<string> {
  const challenge = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: session.email, password: PASSWORD } });
  expect(challenge.statusCode, challenge.body).toBe(202);
  t.clock.advance(30_000);
  const verified = await app.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { mfa_token: challenge.json().data.mfa_token, code: codeAt(t, secret) } });
  expect(verified.statusCode, verified.body).toBe(200);
  return verified.json().data.access_token as string;
}

/** Every value of every sealed column, with the context it is bound to. */
async function storedSecrets(db: Db): Promise<Array<{ context: string; value: string }>> {
  const found: Array<{ context: string; value: string }> = [];
  for (const { table, idColumn, columns } of SEALED_COLUMNS) {
    for (const column of columns) {
      const rows = await sql<{ id: string | number; value: string | null }>`select ${sql.ref(idColumn)} as id, ${sql.ref(column)} as value from ${sql.table(table)}`.execute(db);
      for (const row of rows.rows) if (row.value !== null) found.push({ context: sealedContext(table, column, row.id), value: row.value });
    }
  }
  return found;
}

/** Every row of every table, as text: what a dump of the database holds. */
async function dumpDatabase(db: Db): Promise<string> {
  const tables =
    engineOf(db) === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  const dump: string[] = [];
  for (const { name } of tables.rows) dump.push(JSON.stringify((await sql`select * from ${sql.table(name)}`.execute(db)).rows));
  return dump.join('\n');
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('a copy of the database', () => {
  it('holds no private signing key and no TOTP secret in clear, and each sealed value opens only for its own row and column', async () => {
    const t = await started();
    const enrolled = await register(t);
    const enrolling = await register(t);
    const secrets = [await enrollTotp(t, enrolled), await enrollTotp(t, enrolling, false)];
    const privateParts = (await readSigningKeys(t.db, t.secrets)).map((key) => key.privateJwk.d ?? '');
    expect(privateParts.every((d) => d.length > 20)).toBe(true);

    const dump = await dumpDatabase(t.db);
    for (const plaintext of [...privateParts, ...secrets]) expect(dump).not.toContain(plaintext);
    const stored = await storedSecrets(t.db);
    if (t.database.engine === 'sqlite') {
      // The file itself, and its write-ahead log: no clear value left in a page's free space either.
      const file = path.join(t.config.dataDir, 'tessera.sqlite');
      const bytes = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`)]).toString('latin1');
      expect(stored.every(({ value }) => bytes.includes(value))).toBe(true);
      for (const plaintext of [...privateParts, ...secrets]) expect(bytes).not.toContain(plaintext);
    }

    expect(stored.map((entry) => entry.context)).toEqual(
      expect.arrayContaining([sealedContext('users', 'totp_secret', enrolled.userId), sealedContext('users', 'totp_pending_secret', enrolling.userId)]),
    );
    for (const { context, value } of stored) {
      expect(t.secrets.isSealed(value)).toBe(true);
      expect(() => t.secrets.open(value, context)).not.toThrow();
    }
    const enrolledSecret = stored.find((entry) => entry.context === sealedContext('users', 'totp_secret', enrolled.userId))!.value;
    expect(() => t.secrets.open(enrolledSecret, sealedContext('users', 'totp_secret', enrolling.userId))).toThrow(/another row/);
    expect(() => t.secrets.open(enrolledSecret, sealedContext('users', 'totp_pending_secret', enrolled.userId))).toThrow(/another row/);

    // Copied onto another user's row, the sealed secret does not stand in for theirs.
    await t.db.updateTable('users').set({ totp_pending_secret: enrolledSecret }).where('id', '=', enrolling.userId).execute();
    const confirm = await t.request({ method: 'POST', url: '/api/v1/me/mfa/totp/confirm', headers: enrolling.auth, payload: { code: codeAt(t, secrets[0]!) } });
    expect(confirm.statusCode).toBe(500);
  });
});

describe('an install from before sealing', () => {
  it('is sealed on start, and its tokens and TOTP secrets keep working', async () => {
    const t = await started();
    const user = await register(t);
    const secret = await enrollTotp(t, user);
    const [key] = await readSigningKeys(t.db, t.secrets);
    // As the version before sealing stored them: the key migration 0001 wrote, the secret enrollment wrote.
    await t.db.updateTable('signing_keys').set({ private_jwk: JSON.stringify(key!.privateJwk) }).where('kid', '=', key!.kid).execute();
    await t.db.updateTable('users').set({ totp_secret: secret }).where('id', '=', user.userId).execute();

    await migrate(t.db, t.clock, t.secrets);
    const restarted = await startSecondApp(t, {});
    apps.push(restarted);

    for (const { value } of await storedSecrets(t.db)) expect(t.secrets.isSealed(value)).toBe(true);
    expect((await readSigningKeys(t.db, t.secrets))[0]?.privateJwk).toEqual(key!.privateJwk);
    expect((await restarted.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(200);
    const token = await signInWithCode(t, restarted.app, user, secret);
    expect((await restarted.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(200);
    expect(await invariantViolations(t.db)).toEqual({});
  });
});

describe('secrets rotate', () => {
  /** The keys the test app's box holds: SECRETS_KEY's, or the key file's in DATA_DIR. */
  const keysOf = (t: TestApp): Buffer[] =>
    t.config.secretsKeys ? [...t.config.secretsKeys] : readFileSync(secretsKeyFile(t.config.dataDir), 'utf8').trim().split(',').map(parseSecretsKey);

  const expectAllOpen = async (db: Db, box: SecretBox) => {
    const stored = await storedSecrets(db);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    for (const { context, value } of stored) expect(() => box.open(value, context)).not.toThrow();
  };

  it('with SECRETS_KEY=new,old seals every value again so the new key alone opens them all', async () => {
    const t = await started();
    const user = await register(t);
    const secret = await enrollTotp(t, user);
    const newKey = generateSecretsKey();
    const oldKeys = keysOf(t);

    const counts = await resealSecrets(t.db, createSecretBox([parseSecretsKey(newKey), ...oldKeys]));
    expect(counts).toContainEqual({ table: 'signing_keys', column: 'private_jwk', sealed: 1, unchanged: 0 });
    expect(counts).toContainEqual({ table: 'users', column: 'totp_secret', sealed: 1, unchanged: 0 });
    await expectAllOpen(t.db, createSecretBox([parseSecretsKey(newKey)]));
    const oldBox = createSecretBox(oldKeys);
    for (const { context, value } of await storedSecrets(t.db)) expect(() => oldBox.open(value, context)).toThrow(/not in SECRETS_KEY/);
    // Run again, it finds nothing left to do.
    expect(await resealSecrets(t.db, createSecretBox([parseSecretsKey(newKey), ...oldKeys]))).toContainEqual({ table: 'users', column: 'totp_secret', sealed: 0, unchanged: 1 });

    const withNewKey = await startSecondApp(t, { SECRETS_KEY: newKey });
    apps.push(withNewKey);
    expect((await withNewKey.app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(200);
    await signInWithCode(t, withNewKey.app, user, secret);
  });

  it('refuses, changing nothing, when a value opens under none of the keys', async () => {
    const t = await started();
    const user = await register(t);
    await enrollTotp(t, user);
    const before = await storedSecrets(t.db);
    await expect(resealSecrets(t.db, createSecretBox([parseSecretsKey(generateSecretsKey()), parseSecretsKey(generateSecretsKey())]))).rejects.toThrow(/not in SECRETS_KEY/);
    expect(await storedSecrets(t.db)).toEqual(before);
  });

  it('without SECRETS_KEY (SQLite), replaces the key file in DATA_DIR with a new key that opens everything', async (context) => {
    const t = await started();
    if (t.config.secretsKeys) context.skip();
    const user = await register(t);
    const secret = await enrollTotp(t, user);
    const file = secretsKeyFile(t.config.dataDir);
    const oldKey = readFileSync(file, 'utf8').trim();

    const counts = await rotateSecretsKeyFile(t.config.dataDir, (box) => resealSecrets(t.db, box));
    expect(counts).toContainEqual({ table: 'users', column: 'totp_secret', sealed: 1, unchanged: 0 });
    // The new key first; the old one second, for a server still running with it.
    const [newKey = '', previous] = readFileSync(file, 'utf8').trim().split(',');
    expect(previous).toBe(oldKey);
    expect(newKey).not.toBe(oldKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expectAllOpen(t.db, createSecretBox([parseSecretsKey(newKey)]));

    // The next rotation seals again under a newer key and keeps only its predecessor.
    await rotateSecretsKeyFile(t.config.dataDir, (box) => resealSecrets(t.db, box));
    const [newest = '', kept] = readFileSync(file, 'utf8').trim().split(',');
    expect(kept).toBe(newKey);
    await expectAllOpen(t.db, createSecretBox([parseSecretsKey(newest)]));

    const restarted = await startSecondApp(t, {});
    apps.push(restarted);
    await signInWithCode(t, restarted.app, user, secret);
  });
});
