import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id floor: 19 MiB, 2 passes. Hashing runs on libuv's pool, off the event loop. */
const ARGON2ID = 2; // Algorithm.Argon2id: a const enum, which verbatimModuleSyntax cannot import.
const PASSWORD_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A random token: 32 bytes, base64url, with a readable prefix naming its kind. */
export function randomToken(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Tokens are stored only as this digest; a stolen table lends no usable token. */
export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
