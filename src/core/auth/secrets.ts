import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id floor: 19 MiB, 2 passes. Hashing runs on libuv's pool, off the event loop. */
const ARGON2ID = 2; // Algorithm.Argon2id: a const enum, which verbatimModuleSyntax cannot import.
const PASSWORD_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * At most one hash per core at a time, the rest queued in order. Left alone, a burst of
 * sign-ins takes every thread of libuv's pool (4): each holds 19 MiB, and the signing of
 * access tokens and file work, which need the same pool, wait behind them; more hashes at
 * once than cores finish no sooner anyway.
 */
const hashing = limitConcurrency(Math.max(1, os.availableParallelism()));

export function hashPassword(password: string): Promise<string> {
  return hashing(() => hash(password, PASSWORD_OPTIONS));
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await hashing(() => verify(passwordHash, password));
  } catch {
    return false;
  }
}

/** A function that runs the tasks it is given with at most `limit` of them in flight, in arrival order. */
function limitConcurrency(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so `running` only drops when none waits.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

/** A random token: 32 bytes, base64url, with a readable prefix naming its kind. */
export function randomToken(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Tokens are stored only as this digest; a stolen table lends no usable token. */
export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * A tenant's portal access code is stored only as this digest, bound to the tenant so one
 * code used by two tenants stores two different digests. A fast hash, since every portal
 * request checks it: the code is a shared gate in front of the sign-in, not a password.
 */
export function digestPortalCode(tenantId: number, code: string): string {
  return createHash('sha256').update(`${tenantId}:${code}`).digest('hex');
}
