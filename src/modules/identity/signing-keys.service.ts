import type { JWK } from 'jose';
import { generateSigningKey, type StoredSigningKey } from '../../core/auth/jwt.ts';
import type { SecretBox } from '../../core/auth/secret-box.ts';
import { isoNow, type Clock } from '../../core/clock.ts';
import { sealedContext } from '../../core/db/sealed-columns.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import type { Db, Executor } from '../../schema/database.ts';
import * as repository from './identity.repository.ts';

/**
 * How long a key stays after a newer one was added: the longest an access token can live
 * (ACCESS_TOKEN_TTL_SECONDS' maximum), whatever each instance is configured with, so every
 * token the old key signed has expired before it goes.
 */
export const SUPERSEDED_KEY_KEPT_SECONDS = 86_400;

const privateJwkContext = (kid: string) => sealedContext('signing_keys', 'private_jwk', kid);

/** The signing keys, oldest first, their private parts opened. */
export async function readSigningKeys(db: Executor, secrets: SecretBox): Promise<StoredSigningKey[]> {
  return (await repository.listSigningKeys(db)).map((key) => ({
    kid: key.kid,
    algorithm: key.algorithm,
    publicJwk: key.publicJwk,
    privateJwk: JSON.parse(secrets.open(key.sealedPrivateJwk, privateJwkContext(key.kid))) as JWK,
  }));
}

interface SigningKeyRotation {
  /** The new key's id: tokens are signed with it from now on. */
  added: string;
  /** Keys whose successor is older than SUPERSEDED_KEY_KEPT_SECONDS (never the oldest): nothing they signed is still valid. */
  dropped: string[];
  /** Older keys still published, verifying the tokens they signed until those expire. */
  kept: string[];
}

/**
 * Adds a new signing key, sealed, and drops the keys superseded long enough ago but the oldest,
 * in one transaction. Running servers find the new key when they meet a token it signed (see
 * `createAccessTokens`), or when they restart.
 */
export async function rotateSigningKey(deps: { db: Db; clock: Clock; secrets: SecretBox }): Promise<SigningKeyRotation> {
  const key = await generateSigningKey();
  const now = isoNow(deps.clock);
  const keptSince = deps.clock.now().getTime() - SUPERSEDED_KEY_KEPT_SECONDS * 1000;
  return inTransaction(deps.db, async (tx) => {
    const older = await repository.listSigningKeys(tx);
    await repository.insertSigningKey(tx, {
      kid: key.kid,
      algorithm: key.algorithm,
      publicJwk: key.publicJwk,
      sealedPrivateJwk: deps.secrets.seal(JSON.stringify(key.privateJwk), privateJwkContext(key.kid)),
      createdAt: now,
    });
    // Oldest first: each key's successor is the next one, and the newest's is the key just added.
    // The oldest stays: the refresh-token successor key is derived from it (`loadIdentityKeys`),
    // and every instance, whenever it started, must derive the same one.
    const dropped = older.filter((_, index) => index > 0 && Date.parse(older[index + 1]?.createdAt ?? now) <= keptSince).map((old) => old.kid);
    await repository.deleteSigningKeys(tx, dropped);
    return { added: key.kid, dropped, kept: older.map((old) => old.kid).filter((kid) => !dropped.includes(kid)) };
  });
}
