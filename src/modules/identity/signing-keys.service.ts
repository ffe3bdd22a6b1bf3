import type { JWK } from 'jose';
import { generateSigningKey, KEY_SET_MAX_AGE_SECONDS, type StoredSigningKey } from '../../core/auth/jwt.ts';
import type { SecretBox } from '../../core/auth/secret-box.ts';
import { isoNow, type Clock } from '../../core/clock.ts';
import { sealedContext } from '../../core/db/sealed-columns.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import type { Db, Executor } from '../../schema/database.ts';
import * as repository from './identity.repository.ts';

/**
 * How long a key goes on verifying after a newer one was added: the longest an access token
 * can live (ACCESS_TOKEN_TTL_SECONDS' maximum, whatever each instance is configured with),
 * after the last token it can have signed. A running process signs with it until it next
 * reads the keys, at most KEY_SET_MAX_AGE_SECONDS after the newer one was added.
 */
export const SUPERSEDED_KEY_KEPT_SECONDS = 86_400 + KEY_SET_MAX_AGE_SECONDS;

const privateJwkContext = (kid: string) => sealedContext('signing_keys', 'private_jwk', kid);

/** When a key whose successor was added at `successorCreatedAt` retires: nothing it signed is still valid. */
const retirementAfter = (successorCreatedAt: string) => Date.parse(successorCreatedAt) + SUPERSEDED_KEY_KEPT_SECONDS * 1000;

/** The signing keys, oldest first, their private parts opened, each with its retirement once a newer key exists. */
export async function readSigningKeys(db: Executor, secrets: SecretBox): Promise<StoredSigningKey[]> {
  const rows = await repository.listSigningKeys(db);
  return rows.map((key, index) => {
    const successor = rows[index + 1];
    return {
      kid: key.kid,
      algorithm: key.algorithm,
      publicJwk: key.publicJwk,
      privateJwk: JSON.parse(secrets.open(key.sealedPrivateJwk, privateJwkContext(key.kid))) as JWK,
      ...(successor ? { retiresAt: new Date(retirementAfter(successor.createdAt)) } : {}),
    };
  });
}

interface SigningKeyRotation {
  /** The new key's id: tokens are signed with it from now on. */
  added: string;
  /** Retired keys deleted: every one but the oldest. */
  dropped: string[];
  /** The oldest key once retired: it verifies nothing, and stays only to derive refresh-token successors. */
  retired: string[];
  /** Older keys still published, verifying the tokens they signed until those expire. */
  kept: string[];
}

/**
 * Adds a new signing key, sealed, and drops the retired keys but the oldest, in one
 * transaction. The oldest stays stored, verifying nothing once retired: the refresh-token
 * successor key is derived from it (`loadIdentityKeys`), and every instance, whenever it
 * started, must derive the same one. Running servers sign with the new key once they read
 * the keys again (see `createAccessTokens`), within KEY_SET_MAX_AGE_SECONDS.
 */
export async function rotateSigningKey(deps: { db: Db; clock: Clock; secrets: SecretBox }): Promise<SigningKeyRotation> {
  const key = await generateSigningKey();
  const now = isoNow(deps.clock);
  const nowMs = deps.clock.now().getTime();
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
    const isRetired = (index: number) => retirementAfter(older[index + 1]?.createdAt ?? now) <= nowMs;
    const dropped = older.filter((_, index) => index > 0 && isRetired(index)).map((old) => old.kid);
    await repository.deleteSigningKeys(tx, dropped);
    const oldest = older[0];
    const retired = oldest && isRetired(0) ? [oldest.kid] : [];
    return { added: key.kid, dropped, retired, kept: older.map((old) => old.kid).filter((kid) => !dropped.includes(kid) && !retired.includes(kid)) };
  });
}
