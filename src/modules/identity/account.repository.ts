import { engineOf } from '../../core/db/dialect.ts';
import type { Executor, Tx } from '../../schema/database.ts';
import { MFA_CHALLENGE_ATTEMPTS } from '../../schema/migrations/0023-account-life-cycle.ts';
import { userRowToUser, type AccountTokenPurpose, type TenantRole, type User } from './identity.table.ts';

export interface AccountToken {
  id: number;
  tenantId: number;
  userId: number;
  purpose: AccountTokenPurpose;
  email: string | null;
  attempts: number;
  expiresAt: string;
  usedAt: string | null;
}

export async function insertAccountToken(
  tx: Tx,
  values: { tenantId: number; userId: number; purpose: AccountTokenPurpose; tokenHash: string; email: string | null; now: string; expiresAt: string },
): Promise<void> {
  await tx
    .insertInto('account_tokens')
    .values({
      tenant_id: values.tenantId,
      user_id: values.userId,
      purpose: values.purpose,
      token_hash: values.tokenHash,
      email: values.email,
      created_at: values.now,
      expires_at: values.expiresAt,
    })
    .execute();
}

/** A live token of this purpose and tenant by its digest: unused, unexpired, not worn out by wrong codes. */
export async function findLiveAccountToken(
  db: Executor,
  query: { tenantId: number; purpose: AccountTokenPurpose; tokenHash: string; now: string },
): Promise<AccountToken | undefined> {
  return db
    .selectFrom('account_tokens')
    .select(['id', 'tenant_id as tenantId', 'user_id as userId', 'purpose', 'email', 'attempts', 'expires_at as expiresAt', 'used_at as usedAt'])
    .where('token_hash', '=', query.tokenHash)
    .where('tenant_id', '=', query.tenantId)
    .where('purpose', '=', query.purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', query.now)
    .where('attempts', '<', MFA_CHALLENGE_ATTEMPTS)
    .executeTakeFirst();
}

/** Single use: of two concurrent claims of one token, exactly one updates the row. */
export async function claimAccountToken(tx: Tx, id: number, now: string): Promise<boolean> {
  const result = await tx
    .updateTable('account_tokens')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('attempts', '<', MFA_CHALLENGE_ATTEMPTS)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A wrong code against a sign-in challenge; false once the challenge is worn out (or gone). */
export async function countFailedAttempt(tx: Tx, id: number): Promise<boolean> {
  const result = await tx
    .updateTable('account_tokens')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('attempts', '<', MFA_CHALLENGE_ATTEMPTS)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Ends the user's unused tokens of these purposes: a newer one replaces them, or the account changed under them. */
export async function retireAccountTokens(tx: Tx, userId: number, purposes: readonly AccountTokenPurpose[], now: string): Promise<void> {
  await tx
    .updateTable('account_tokens')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .execute();
}

/** When the user's newest token of a purpose was made: mail on demand is spaced out per account. */
export async function newestAccountTokenAt(db: Executor, userId: number, purpose: AccountTokenPurpose): Promise<string | undefined> {
  const row = await db
    .selectFrom('account_tokens')
    .select((eb) => eb.fn.max('created_at').as('newest'))
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  return row?.newest ?? undefined;
}

/** A user with what the account's secrets say (password hash, TOTP secrets as stored: sealed); in a transaction, the row is locked. */
export async function findUserForUpdate(
  executor: Executor,
  tenantId: number,
  userId: number,
): Promise<(User & { passwordHash: string; emailKey: string; totpSecret: string | null; totpPendingSecret: string | null; totpEnabledAt: string | null }) | undefined> {
  const row = await executor
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .$if(executor.isTransaction && engineOf(executor) === 'postgres', (query) => query.forUpdate())
    .executeTakeFirst();
  return (
    row && {
      ...userRowToUser(row),
      passwordHash: row.password_hash,
      emailKey: row.email_key,
      totpSecret: row.totp_secret,
      totpPendingSecret: row.totp_pending_secret,
      totpEnabledAt: row.totp_enabled_at,
    }
  );
}

export async function updateUserAccount(
  tx: Tx,
  userId: number,
  changes: {
    name?: string;
    locale?: string | null;
    email?: string;
    email_key?: string;
    email_verified_at?: string | null;
    password_hash?: string;
    totp_secret?: string | null;
    totp_pending_secret?: string | null;
    totp_enabled_at?: string | null;
    totp_last_step?: number | null;
    updated_at: string;
  },
): Promise<User> {
  const row = await tx.updateTable('users').set(changes).where('id', '=', userId).returningAll().executeTakeFirstOrThrow();
  return userRowToUser(row);
}

/** Marks the address verified only while it is still the user's address (an e-mail change may have landed since). */
export async function markEmailVerified(tx: Tx, userId: number, emailKey: string, now: string): Promise<boolean> {
  const result = await tx
    .updateTable('users')
    .set({ email_verified_at: now })
    .where('id', '=', userId)
    .where('email_key', '=', emailKey)
    .where('email_verified_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Accepts a TOTP time step once: the update matches only while no later or equal step was
 * accepted, so a code replayed, even by two requests at once, passes at most once.
 */
export async function acceptTotpStep(tx: Tx, userId: number, step: number): Promise<boolean> {
  const result = await tx
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function replaceRecoveryCodes(tx: Tx, userId: number, codeHashes: readonly string[], now: string): Promise<void> {
  await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  if (codeHashes.length === 0) return;
  await tx
    .insertInto('recovery_codes')
    .values(codeHashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: now })))
    .execute();
}

/** Uses a recovery code once: of two concurrent uses, one updates the row. */
export async function useRecoveryCode(tx: Tx, userId: number, codeHash: string, now: string): Promise<boolean> {
  const result = await tx
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function countUnusedRecoveryCodes(db: Executor, userId: number): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('unused'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.unused);
}

export interface SessionRecord {
  id: number;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
}

/** The user's live sessions, newest first. */
export async function listLiveSessions(db: Executor, query: { tenantId: number; userId: number; now: string }): Promise<SessionRecord[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'ip'])
    .where('tenant_id', '=', query.tenantId)
    .where('user_id', '=', query.userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', query.now)
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at ?? row.created_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
  }));
}

/** Ends the user's live sessions, all of them or all but one; how many ended. */
export async function revokeSessionsOf(
  tx: Tx,
  query: { tenantId: number; userId: number; sessionId?: number; except?: number; now: string; reason: string },
): Promise<number> {
  const result = await tx
    .updateTable('sessions')
    .set({ revoked_at: query.now, revoked_reason: query.reason })
    .where('tenant_id', '=', query.tenantId)
    .where('user_id', '=', query.userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', query.now)
    .$if(query.sessionId !== undefined, (q) => q.where('id', '=', query.sessionId!))
    .$if(query.except !== undefined, (q) => q.where('id', '<>', query.except!))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface AccountPolicy {
  emailVerification: 'optional' | 'before_joining' | 'before_sign_in';
  mfaRequiredForAdmins: boolean;
}

/** The tenant's account policy; `hold` locks the row shared. */
export async function readAccountPolicy(
  db: Executor,
  tenantId: number,
  options: { hold?: boolean } = {},
): Promise<AccountPolicy | undefined> {
  const row = await db
    .selectFrom('tenants')
    .select(['email_verification', 'mfa_required_for_admins'])
    .where('id', '=', tenantId)
    // Held (shared) in a transaction that acts on it: a policy change (an update of the row) waits for it.
    .$if(options.hold === true && engineOf(db) === 'postgres', (query) => query.forShare())
    .executeTakeFirst();
  return (
    row && {
      emailVerification: row.email_verification as AccountPolicy['emailVerification'],
      mfaRequiredForAdmins: row.mfa_required_for_admins === 1,
    }
  );
}

export async function updateAccountPolicy(
  tx: Tx,
  tenantId: number,
  changes: { email_verification?: string; mfa_required_for_admins?: number; updated_at: string },
): Promise<void> {
  await tx.updateTable('tenants').set(changes).where('id', '=', tenantId).execute();
}

/** The tenant's enabled users without a second factor (of the given roles) or without a proved address. */
export async function usersWithout(
  tx: Tx,
  tenantId: number,
  lacking: { secondFactor: true; roles: readonly TenantRole[] } | { provedAddress: true },
): Promise<number[]> {
  const rows = await tx
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('disabled_at', 'is', null)
    .$if('secondFactor' in lacking, (query) => query.where('totp_enabled_at', 'is', null).where('tenant_role', 'in', 'roles' in lacking ? [...lacking.roles] : []))
    .$if('provedAddress' in lacking, (query) => query.where('email_verified_at', 'is', null))
    .execute();
  return rows.map((row) => row.id);
}
