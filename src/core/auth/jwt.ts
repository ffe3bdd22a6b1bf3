import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
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

export interface StoredSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: JWK;
  privateJwk: JWK;
}

export interface AccessClaims {
  userId: number;
  sessionId: number;
  tenantId: number;
}

export async function generateSigningKey(): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM };
  return { kid, algorithm: SIGNING_ALGORITHM, publicJwk, privateJwk };
}

export interface AccessTokens {
  sign(claims: AccessClaims): Promise<string>;
  /** Throws AUTH.TOKEN_EXPIRED or AUTH.INVALID_TOKEN; never anything else. */
  verify(token: string): Promise<AccessClaims>;
  jwks(): { keys: JWK[] };
  readonly ttlSeconds: number;
}

/** Keys imported for use: the newest signs, every one verifies and is published. */
interface KeySet {
  signing: { kid: string; key: CryptoKey };
  verification: ReadonlyMap<string, CryptoKey>;
  published: JWK[];
}

async function importKeySet(keys: readonly StoredSigningKey[]): Promise<KeySet> {
  const newest = keys.at(-1);
  if (!newest) throw new Error('no signing key: migrations have not run');
  const verification = new Map<string, CryptoKey>();
  for (const key of keys) verification.set(key.kid, (await importJWK(key.publicJwk, SIGNING_ALGORITHM)) as CryptoKey);
  return {
    signing: { kid: newest.kid, key: (await importJWK(newest.privateJwk, SIGNING_ALGORITHM)) as CryptoKey },
    verification,
    published: keys.map((key) => key.publicJwk),
  };
}

/**
 * The least time between two reloads set off by tokens naming a key this process does not
 * know: a stream of made-up `kid`s costs the database one query per interval, not one each.
 */
const KEY_RELOAD_INTERVAL_MS = 5000;

/**
 * Signs with the newest key and verifies against every published one, so keys can
 * be added without invalidating tokens already out. Another process may add a key (key
 * rotation, then a server started since signs with it): a token naming a key not known here
 * has the keys read again (`reloadKeys`, at most once per KEY_RELOAD_INTERVAL_MS), after which
 * this process verifies and publishes the new key, and signs with it.
 */
export async function createAccessTokens(options: {
  keys: StoredSigningKey[];
  issuer: string;
  ttlSeconds: number;
  clock: Clock;
  reloadKeys?: () => Promise<StoredSigningKey[]>;
}): Promise<AccessTokens> {
  let keySet = await importKeySet(options.keys);
  let lastReloadMs = -Infinity;
  let reloading: Promise<void> | undefined;
  const reload = (readKeys: () => Promise<StoredSigningKey[]>) => {
    lastReloadMs = performance.now();
    reloading = readKeys()
      .then(importKeySet)
      .then((fresh) => void (keySet = fresh))
      .finally(() => (reloading = undefined));
    return reloading;
  };
  // A verified signature stays verified: remembering it saves an Ed25519 check (~0.1–0.2 ms)
  // on every request. Bounded, oldest evicted first; expiry is still checked on each hit, and
  // whether the session is live is decided by the database on every request regardless.
  const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  const remember = (token: string, claims: AccessClaims, expiresAtMs: number) =>
    setNewest(verified, token, { claims, expiresAtMs }, VERIFIED_TOKENS_CACHED);

  const getKey: JWTVerifyGetKey = async (header) => {
    if (header.kid === undefined) throw new joseErrors.JWKSNoMatchingKey();
    if (!keySet.verification.has(header.kid)) {
      // A reload under way is waited for, so a burst of tokens from a new key all pass.
      if (reloading) await reloading;
      else if (options.reloadKeys && performance.now() - lastReloadMs >= KEY_RELOAD_INTERVAL_MS) await reload(options.reloadKeys);
    }
    const key = keySet.verification.get(header.kid);
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  };

  return {
    ttlSeconds: options.ttlSeconds,
    async sign(claims) {
      const nowSeconds = Math.floor(options.clock.now().getTime() / 1000);
      const { signing } = keySet;
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
        if (known.expiresAtMs > options.clock.now().getTime()) return known.claims;
        verified.delete(token);
      }
      try {
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: [SIGNING_ALGORITHM],
          issuer: options.issuer,
          audience: TOKEN_AUDIENCE,
          currentDate: options.clock.now(),
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
    jwks() {
      return { keys: keySet.published };
    },
  };
}
