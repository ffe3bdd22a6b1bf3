import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Secrets kept at rest (OIDC client secrets, the signing keys' private parts, second-factor
 * secrets) are sealed with AES-256-GCM under a key-encryption key from the environment
 * (SECRETS_KEY). A sealed value reads `sealed:v1:<key id>:<iv>:<ciphertext+tag>`: the key id
 * (a digest of the key, never the key) says which key opens it, so several keys can be held
 * while values move from an old one to a new one. The `context` (a table, a column and the
 * row's identity) is authenticated with the value: a sealed value copied onto another row
 * does not open there.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws when no held key opens the value, or the value was sealed for another context. */
  open(sealed: string, context: string): string;
  /** Whether a stored value is sealed (and so not a secret in clear). */
  isSealed(value: string): boolean;
  /** Whether a sealed value was sealed with the key new values are sealed with. */
  isSealedWithCurrentKey(sealed: string): boolean;
}

/** How every sealed value begins (a value stored in clear does not). */
export const SEALED_PREFIX = 'sealed:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/** A new random key-encryption key, as SECRETS_KEY takes it (base64url, 32 bytes). */
export function generateSecretsKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

/** Reads one key of SECRETS_KEY: 32 bytes, written base64url (43 characters) or hex (64). */
export function parseSecretsKey(text: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : /^[A-Za-z0-9_-]{43}$/.test(trimmed) ? Buffer.from(trimmed, 'base64url') : undefined;
  if (!bytes || bytes.length !== KEY_BYTES) throw new SecretBoxError('a secrets key is 32 bytes, written as 43 base64url or 64 hex characters');
  return bytes;
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('tessera secrets key id').update(key).digest('base64url').slice(0, 12);
}

/**
 * A box over one or more keys: the first seals, every one opens (by key id), so a new key
 * can be put first while the values sealed with the old one are sealed again (the CLI).
 */
export function createSecretBox(keys: readonly Buffer[]): SecretBox {
  const [current] = keys;
  if (!current) throw new SecretBoxError('no secrets key');
  const byId = new Map(keys.map((key) => [keyIdOf(key), key] as const));
  const currentId = keyIdOf(current);
  const partsOf = (sealed: string) => {
    const [keyId = '', iv = '', body = '', ...rest] = sealed.slice(SEALED_PREFIX.length).split(':');
    if (!sealed.startsWith(SEALED_PREFIX) || rest.length > 0) throw new SecretBoxError('not a sealed value');
    return { keyId, iv: Buffer.from(iv, 'base64url'), body: Buffer.from(body, 'base64url') };
  };
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${SEALED_PREFIX}${currentId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
    },
    open(sealed, context) {
      const { keyId, iv, body } = partsOf(sealed);
      const key = byId.get(keyId);
      if (!key) throw new SecretBoxError(`sealed with a key not in SECRETS_KEY (key id ${keyId})`);
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('a sealed value does not open: altered, or sealed for another row');
      }
    },
    isSealed: (value) => value.startsWith(SEALED_PREFIX),
    isSealedWithCurrentKey: (sealed) => sealed.startsWith(`${SEALED_PREFIX}${currentId}:`),
  };
}

/** Where a SQLite install without SECRETS_KEY keeps the key generated on its first start. */
export function secretsKeyFile(dataDir: string): string {
  return path.join(dataDir, 'secrets.key');
}

/** The keys in a key file: one or more, the first sealing, as in SECRETS_KEY. */
function readKeyFile(file: string): string[] {
  return readFileSync(file, 'utf8').split(/[\s,]+/).filter(Boolean);
}

/** A key file's content written whole to a file of its own, readable by the owner only, and so never seen half-written. */
function draftKeyFile(file: string, keys: readonly string[]): string {
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${keys.join(',')}\n`, { flag: 'wx', mode: 0o600, flush: true });
  return draft;
}

/**
 * The box over SECRETS_KEY, or (a SQLite install without one) over the key in DATA_DIR, made on
 * the first start: readable by the owner only, and created exclusively, so two processes
 * starting together end with one key.
 */
export function openSecretBox(config: { secretsKeys: readonly Buffer[] | undefined; dataDir: string }): SecretBox {
  if (config.secretsKeys) return createSecretBox(config.secretsKeys);
  const file = secretsKeyFile(config.dataDir);
  mkdirSync(config.dataDir, { recursive: true });
  // Linked into place, which fails when a process starting alongside was first: its key stands.
  const draft = draftKeyFile(file, [generateSecretsKey()]);
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
  return createSecretBox(readKeyFile(file).map((key) => parseSecretsKey(key)));
}

/**
 * A new key for the key file in DATA_DIR (a SQLite install without SECRETS_KEY): the file first
 * holds the new key before the old ones, `reseal` seals every value again with a box over them
 * all, then the file holds the new key and the one before it. Each write replaces the file whole (a rename): a
 * crash leaves the old keys, or the new before the old, which open every value either way, and
 * running the rotation again completes it. A server that read the file before seals with the
 * old key until it restarts.
 */
export async function rotateSecretsKeyFile<T>(dataDir: string, reseal: (box: SecretBox) => Promise<T>): Promise<T> {
  const file = secretsKeyFile(dataDir);
  const fresh = generateSecretsKey();
  const held = readKeyFile(file);
  const keys = [fresh, ...held];
  renameSync(draftKeyFile(file, keys), file);
  const result = await reseal(createSecretBox(keys.map((key) => parseSecretsKey(key))));
  // The key that sealed until now stays second: a server still running with it seals with it
  // until it restarts, and what it seals must still open. The next rotation seals that too, and
  // keeps only its own predecessor.
  renameSync(draftKeyFile(file, held[0] === undefined ? [fresh] : [fresh, held[0]]), file);
  return result;
}
