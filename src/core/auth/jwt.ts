import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCallback, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import {
  SignJWT,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTVerifyGetKey,
  type CryptoKey,
} from 'jose';
import { setNewest } from '../cache/bounded-map.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';

/** Only this algorithm is accepted; `none`, HS256 and anything else fail verification. */
export const SIGNING_ALGORITHM = 'EdDSA';
export const TOKEN_AUDIENCE = 'tessera-api';
const VERIFIED_TOKENS_CACHED = 5000;
const generateKeyPairPem = promisify(generateKeyPairCallback);

export interface StoredSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: JWK;
  privateJwk: JWK;
  /**
   * From then on the key verifies nothing and is no longer published: a newer key took over
   * long enough before that nothing this one signed is still valid. Absent while none did.
   */
  retiresAt?: Date;
}

export interface AccessClaims {
  userId: number;
  sessionId: number;
  tenantId: number;
}

/**
 * A new Ed25519 key pair as JWKs. Generated as PEM and read back, not exported from the
 * generated key objects: on Node 20 a garbage collection during a JWK export can collect the
 * finished key-generation job, whose destructor waits for the lock the export holds, and
 * the process hangs for good (seen in the test suite with an RSA key).
 */
export async function generateSigningKey(): Promise<StoredSigningKey> {
  const pem = await generateKeyPairPem('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const kid = randomUUID();
  const publicJwk = { ...createPublicKey(pem.publicKey).export({ format: 'jwk' }), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const privateJwk = { ...createPrivateKey(pem.privateKey).export({ format: 'jwk' }), kid, alg: SIGNING_ALGORITHM };
  return { kid, algorithm: SIGNING_ALGORITHM, publicJwk, privateJwk };
}

export interface AccessTokens {
  sign(claims: AccessClaims): Promise<string>;
  /** Throws AUTH.TOKEN_EXPIRED or AUTH.INVALID_TOKEN; never anything else. */
  verify(token: string): Promise<AccessClaims>;
  /** The public keys that verify tokens now. */
  jwks(): Promise<{ keys: JWK[] }>;
  readonly ttlSeconds: number;
}

/** Keys imported for use: the newest signs; each verifies and is published until it retires. */
interface KeySet {
  signing: { kid: string; key: CryptoKey };
  verification: ReadonlyMap<string, { key: CryptoKey; retiresAtMs: number }>;
  published: ReadonlyArray<{ jwk: JWK; retiresAtMs: number }>;
}

async function importKeySet(keys: readonly StoredSigningKey[]): Promise<KeySet> {
  const newest = keys.at(-1);
  if (!newest) throw new Error('no signing key: migrations have not run');
  const retiresAtMs = (key: StoredSigningKey) => key.retiresAt?.getTime() ?? Infinity;
  const verification = new Map<string, { key: CryptoKey; retiresAtMs: number }>();
  for (const key of keys) verification.set(key.kid, { key: (await importJWK(key.publicJwk, SIGNING_ALGORITHM)) as CryptoKey, retiresAtMs: retiresAtMs(key) });
  return {
    signing: { kid: newest.kid, key: (await importJWK(newest.privateJwk, SIGNING_ALGORITHM)) as CryptoKey },
    verification,
    published: keys.map((key) => ({ jwk: key.publicJwk, retiresAtMs: retiresAtMs(key) })),
  };
}

/**
 * The least time between two reloads set off by tokens naming a key this process does not
 * know: a stream of made-up `kid`s costs the database one query per interval, not one each.
 */
const KEY_RELOAD_INTERVAL_MS = 5000;

/**
 * How old the keys a process signs and verifies with may be: once they were read this long
 * ago, the next signature or verification reads them again first. So a rotation takes effect
 * in every running process within this time, and a key superseded elsewhere stops signing.
 */
export const KEY_SET_MAX_AGE_SECONDS = 60;

/**
 * Signs with the newest key and verifies against every one not yet retired, so keys can be
 * added without invalidating tokens already out, and a key retired (say, after it leaked)
 * verifies nothing more, not even a token signed with it later. The keys are read again
 * (`reloadKeys`) once KEY_SET_MAX_AGE_SECONDS old, and when a token names a key not known
 * here (at most once per KEY_RELOAD_INTERVAL_MS), after which this process verifies and
 * publishes a new key, and signs with it.
 */
export async function createAccessTokens(options: {
  keys: StoredSigningKey[];
  issuer: string;
  ttlSeconds: number;
  clock: Clock;
  reloadKeys?: () => Promise<StoredSigningKey[]>;
}): Promise<AccessTokens> {
  const { clock, reloadKeys } = options;
  let keySet = await importKeySet(options.keys);
  let keysReadAtMs = clock.now().getTime();
  let lastUnknownKeyReloadMs = -Infinity;
  let reloading: Promise<void> | undefined;
  const reload = (readKeys: () => Promise<StoredSigningKey[]>) => {
    const readAtMs = clock.now().getTime();
    reloading ??= readKeys()
      .then(importKeySet)
      .then((fresh) => {
        keySet = fresh;
        keysReadAtMs = readAtMs;
      })
      .finally(() => (reloading = undefined));
    return reloading;
  };
  /**
   * The keys, read again first once they are too old. A failed read keeps the keys at hand
   * and is tried again on the next use: the database is away, which the request meets on
   * its own; refusing a valid token for it would sign its holder out.
   */
  const currentKeys = async (): Promise<KeySet> => {
    if (reloadKeys && clock.now().getTime() - keysReadAtMs >= KEY_SET_MAX_AGE_SECONDS * 1000) await reload(reloadKeys).catch(() => undefined);
    return keySet;
  };
  // A verified signature stays verified: remembering it saves an Ed25519 check (~0.1–0.2 ms)
  // on every request. Bounded, oldest evicted first; expiry is still checked on each hit, and
  // whether the session is live is decided by the database on every request regardless.
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  const remember = (token: string, claims: AccessClaims, expiresAtMs: number) =>
    setNewest(verified, token, { claims, expiresAtMs }, VERIFIED_TOKENS_CACHED);

  const getKey: JWTVerifyGetKey = async (header) => {
    if (header.kid === undefined) throw new joseErrors.JWKSNoMatchingKey();
    if (!(await currentKeys()).verification.has(header.kid)) {
      // A reload under way is waited for, so a burst of tokens from a new key all pass.
      if (reloading) await reloading;
      else if (reloadKeys && performance.now() - lastUnknownKeyReloadMs >= KEY_RELOAD_INTERVAL_MS) {
        lastUnknownKeyReloadMs = performance.now();
        await reload(reloadKeys);
      }
    }
    const known = keySet.verification.get(header.kid);
    if (!known || clock.now().getTime() >= known.retiresAtMs) throw new joseErrors.JWKSNoMatchingKey();
    return known.key;
  };

  return {
    ttlSeconds: options.ttlSeconds,
    async sign(claims) {
      const { signing } = await currentKeys();
      const nowSeconds = Math.floor(clock.now().getTime() / 1000);
      return new SignJWT({ sid: claims.sessionId, tid: claims.tenantId })
        .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: signing.kid, typ: 'JWT' })
        .setSubject(String(claims.userId))
        .setIssuer(options.issuer)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + options.ttlSeconds)
        .sign(signing.key);
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAtMs > clock.now().getTime()) return known.claims;
        verified.delete(token);
      }
      try {
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: [SIGNING_ALGORITHM],
          issuer: options.issuer,
          audience: TOKEN_AUDIENCE,
          currentDate: clock.now(),
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        const userId = Number(payload.sub);
        const { sid, tid } = payload as { sid?: unknown; tid?: unknown };
        if (!Number.isSafeInteger(userId) || typeof sid !== 'number' || typeof tid !== 'number') {
          throw new AppError('AUTH.INVALID_TOKEN');
        }
        const claims = { userId, sessionId: sid, tenantId: tid };
        remember(token, claims, (payload.exp ?? 0) * 1000);
        return claims;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new AppError('AUTH.TOKEN_EXPIRED');
        throw new AppError('AUTH.INVALID_TOKEN');
      }
    },
    async jwks() {
      const nowMs = clock.now().getTime();
      return { keys: (await currentKeys()).published.filter((key) => nowMs < key.retiresAtMs).map((key) => key.jwk) };
    },
  };
}
