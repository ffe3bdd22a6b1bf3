import { domainToUnicode } from 'node:url';
import type { Expression, ExpressionBuilder, Updateable } from 'kysely';
import { tenantRolesGranting } from '../../core/auth/permissions.ts';
import type { JWK } from 'jose';
import type { Database, Executor, Tx } from '../../schema/database.ts';
import { afterKey } from '../../core/http/pagination.ts';
import { engineOf, writeUnwatched } from '../../core/db/dialect.ts';
import { userRowToUser, type SessionAuthMethod, type TenantRole, type User, type UsersTable } from './identity.table.ts';

export async function findUserByEmailKey(
  db: Executor,
  tenantId: number,
  emailKey: string,
): Promise<(User & { passwordHash: string }) | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('email_key', '=', emailKey)
    .executeTakeFirst();
  return row && { ...userRowToUser(row), passwordHash: row.password_hash };
}

export async function findUserById(db: Executor, tenantId: number, id: number): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && userRowToUser(row);
}

export async function listUsers(db: Executor, tenantId: number, afterId: number, limit: number): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .$call(afterKey('id', afterId, limit))
    .execute();
  return rows.map(userRowToUser);
}

/** Locks the tenant row and tells whether sign-up is open, whether anyone has registered yet, and what its account policy asks. */
export async function lockTenantForSignup(
  tx: Tx,
  tenantId: number,
): Promise<{ selfSignup: boolean; hasUsers: boolean; emailVerification: string } | undefined> {
  // Registrations of a tenant queue on its row (who is first decides the owner). NO KEY UPDATE,
  // not UPDATE: rows that merely reference the tenant (an outbox message, an audit event) take a
  // KEY SHARE lock on it, and must not wait behind a registration that may itself be waiting
  // for them (an e-mail change to the address being registered deadlocked so on PostgreSQL).
  const tenant = await tx
    .selectFrom('tenants')
    .select(['self_signup', 'email_verification'])
    .where('id', '=', tenantId)
    .$if(engineOf(tx) === 'postgres', (query) => query.forNoKeyUpdate())
    .executeTakeFirst();
  if (!tenant) return undefined;
  const anyone = await tx.selectFrom('users').select('id').where('tenant_id', '=', tenantId).limit(1).executeTakeFirst();
  return { selfSignup: tenant.self_signup === 1, hasUsers: anyone !== undefined, emailVerification: tenant.email_verification };
}

export async function insertUser(
  tx: Tx,
  values: {
    tenantId: number;
    name: string;
    email: string;
    emailKey: string;
    passwordHash: string;
    tenantRole: TenantRole;
    emailVerifiedAt: string | null;
    now: string;
  },
): Promise<User> {
  const row = await tx
    .insertInto('users')
    .values({
      tenant_id: values.tenantId,
      name: values.name,
      email: values.email,
      email_key: values.emailKey,
      password_hash: values.passwordHash,
      tenant_role: values.tenantRole,
      email_verified_at: values.emailVerifiedAt,
      created_at: values.now,
      updated_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return userRowToUser(row);
}

/**
 * Changes a user, guarded so that the tenant keeps an enabled owner: an update that
 * would demote or disable the last one matches no row. The caller holds the tenant
 * lock, so the guard's count cannot race another demotion.
 */
export async function updateUserKeepingAnOwner(
  tx: Tx,
  tenantId: number,
  userId: number,
  changes: Pick<Updateable<UsersTable>, 'tenant_role' | 'disabled_at' | 'updated_at'>,
): Promise<User | undefined> {
  const keepsRole = changes.tenant_role === undefined || changes.tenant_role === 'owner';
  const keepsEnabled = changes.disabled_at === undefined || changes.disabled_at === null;
  const row = await tx
    .updateTable('users')
    .set(changes)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .$if(!(keepsRole && keepsEnabled), (query) =>
      query.where((eb) =>
        eb.or([
          eb('tenant_role', '<>', 'owner'),
          eb('disabled_at', 'is not', null),
          eb(
            eb
              .selectFrom('users as other')
              .select((inner) => inner.fn.countAll<number>().as('owners'))
              .where('other.tenant_id', '=', tenantId)
              .where('other.tenant_role', '=', 'owner')
              .where('other.disabled_at', 'is', null)
              .where('other.id', '<>', userId),
            '>',
            0,
          ),
        ]),
      ),
    )
    .returningAll()
    .executeTakeFirst();
  return row && userRowToUser(row);
}

/** Where a sign-in or refresh came from, as the user's list of sessions shows it. */
export interface SessionClient {
  userAgent: string | null;
  ip: string | null;
}

/**
 * A new session, unwatched (see `writeUnwatched`): no kept request context can name a session
 * that did not exist, so a sign-in leaves every other context's check alone.
 */
export async function insertSession(
  tx: Tx,
  values: { tenantId: number; userId: number; now: string; expiresAt: string; client: SessionClient; method: SessionAuthMethod },
): Promise<number> {
  const { rows } = await writeUnwatched(
    tx,
    tx
      .insertInto('sessions')
      .values({
        tenant_id: values.tenantId,
        user_id: values.userId,
        auth_method: values.method,
        created_at: values.now,
        last_used_at: values.now,
        expires_at: values.expiresAt,
        user_agent: values.client.userAgent,
        ip: values.client.ip,
      })
      .returning('id'),
  );
  const [row] = rows;
  if (!row) throw new Error('insertSession: no id returned');
  return row.id;
}

/**
 * Unwatched (see `writeUnwatched`) where the expiry moves later: a kept context already stops
 * answering at the expiry it was loaded with. An earlier one (a shortened
 * REFRESH_TOKEN_TTL_SECONDS, a clock stepped back) is written watched, so kept contexts read
 * the session's liveness again.
 */
export async function extendSession(tx: Tx, sessionId: number, values: { expiresAt: string; now: string; client: SessionClient }): Promise<void> {
  const extension = { expires_at: values.expiresAt, last_used_at: values.now, user_agent: values.client.userAgent, ip: values.client.ip };
  const later = await writeUnwatched(
    tx,
    tx.updateTable('sessions').set(extension).where('id', '=', sessionId).where('expires_at', '<=', values.expiresAt),
  );
  if ((later.numAffectedRows ?? 0n) > 0n) return;
  await tx.updateTable('sessions').set(extension).where('id', '=', sessionId).execute();
}

export async function revokeSession(tx: Tx, sessionId: number, now: string, reason: string): Promise<void> {
  await tx
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** A mail domain as addresses may write it: its ASCII form, and an internationalized name's Unicode form. */
function spellingsOf(domain: string): string[] {
  const unicode = domainToUnicode(domain);
  return unicode && unicode !== domain ? [domain, unicode] : [domain];
}

/**
 * Ends the live password sessions of the tenant's accounts at an e-mail domain (single sign-on
 * is now required there), however their address spells it; returns how many ended. The domain
 * is a DNS name (no `%` or `_`).
 */
export async function revokePasswordSessionsAtDomain(tx: Tx, tenantId: number, domain: string, now: string, reason: string): Promise<number> {
  const result = await tx
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('tenant_id', '=', tenantId)
    .where('auth_method', '=', 'password')
    .where('revoked_at', 'is', null)
    .where('user_id', 'in', (users) => users.selectFrom('users').select('id').where('tenant_id', '=', tenantId).where((eb) => eb.or(spellingsOf(domain).flatMap((spelling) => [eb('email_key', 'like', `%@${spelling}`), eb('email_key', 'like', `%@${spelling}.`)]))))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function revokeUserSessions(tx: Tx, userId: number, now: string, reason: string): Promise<void> {
  await tx
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Refresh tokens are read only by the refresh that rotates them: unwatched (see `writeUnwatched`). */
export async function insertRefreshToken(
  tx: Tx,
  values: { sessionId: number; tokenHash: string; now: string; expiresAt: string },
): Promise<void> {
  await writeUnwatched(
    tx,
    tx.insertInto('refresh_tokens').values({
      session_id: values.sessionId,
      token_hash: values.tokenHash,
      created_at: values.now,
      expires_at: values.expiresAt,
    }),
  );
}

export interface RefreshTokenRecord {
  id: number;
  sessionId: number;
  tenantId: number;
  userId: number;
  usedAt: string | null;
  expiresAt: string;
  sessionExpiresAt: string;
  sessionRevokedAt: string | null;
  userDisabledAt: string | null;
}

export async function findRefreshToken(tx: Tx, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  return tx
    .selectFrom('refresh_tokens as r')
    .innerJoin('sessions as s', 's.id', 'r.session_id')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      'r.id as id',
      'r.session_id as sessionId',
      's.tenant_id as tenantId',
      's.user_id as userId',
      'r.used_at as usedAt',
      'r.expires_at as expiresAt',
      's.expires_at as sessionExpiresAt',
      's.revoked_at as sessionRevokedAt',
      'u.disabled_at as userDisabledAt',
    ])
    .where('r.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Single use: of two concurrent claims of one token, exactly one updates the row. */
export async function claimRefreshToken(tx: Tx, id: number, now: string): Promise<boolean> {
  const result = await writeUnwatched(tx, tx.updateTable('refresh_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null));
  return (result.numAffectedRows ?? 0n) > 0n;
}

/** A signing key as stored: its private part sealed (signing-keys.service.ts opens it). */
export interface StoredSigningKeyRow {
  kid: string;
  algorithm: string;
  publicJwk: JWK;
  sealedPrivateJwk: string;
  createdAt: string;
}

/** Oldest first. */
export async function listSigningKeys(db: Executor): Promise<StoredSigningKeyRow[]> {
  const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
  return rows.map((row) => ({
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    sealedPrivateJwk: row.private_jwk,
    createdAt: row.created_at,
  }));
}

export async function insertSigningKey(tx: Tx, key: StoredSigningKeyRow): Promise<void> {
  await tx
    .insertInto('signing_keys')
    .values({ kid: key.kid, algorithm: key.algorithm, public_jwk: JSON.stringify(key.publicJwk), private_jwk: key.sealedPrivateJwk, created_at: key.createdAt })
    .execute();
}

export async function deleteSigningKeys(tx: Tx, kids: readonly string[]): Promise<void> {
  if (kids.length > 0) await tx.deleteFrom('signing_keys').where('kid', 'in', kids).execute();
}

export async function setWorkspacePointers(
  tx: Tx,
  userId: number,
  changes: { current_workspace_id?: number | null; default_workspace_id?: number | null },
): Promise<void> {
  await tx.updateTable('users').set(changes).where('id', '=', userId).execute();
}

/**
 * Whether user `users` still sees the workspace in `column`: a member there, or holding a
 * tenant role that sees every workspace. On PostgreSQL the membership is read with a key-share
 * lock, so a leave or removal committing meanwhile is waited for and then seen.
 */
function stillSees(tx: Tx, eb: ExpressionBuilder<Database, 'users'>, workspace: Expression<number | null>) {
  const membership = eb
    .selectFrom('memberships as m')
    .select('m.user_id')
    .whereRef('m.user_id', '=', 'users.id')
    .where('m.workspace_id', '=', workspace);
  return eb.or([
    eb('users.tenant_role', 'in', tenantRolesGranting('view_all_locations')),
    eb.exists(engineOf(tx) === 'postgres' ? membership.forKeyShare() : membership),
  ]);
}

/**
 * Makes a workspace the user's default, only while they still see it (the request's context
 * said so a moment before, but a leave, a removal or a lowered tenant role may have landed
 * since). False when it no longer holds.
 */
export async function setDefaultWhileSeen(tx: Tx, userId: number, workspaceId: number): Promise<boolean> {
  const result = await tx
    .updateTable('users')
    .set({ default_workspace_id: workspaceId })
    .where('id', '=', userId)
    .where((eb) => stillSees(tx, eb, eb.val(workspaceId)))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * At sign-in, a user with no current workspace enters their default one, while they still see
 * it. One statement, so a concurrent leave (which clears the default with the membership)
 * cannot be undone by it.
 */
export async function enterDefaultWorkspace(tx: Tx, userId: number): Promise<void> {
  await tx
    .updateTable('users')
    .set((eb) => ({ current_workspace_id: eb.ref('default_workspace_id') }))
    .where('id', '=', userId)
    .where('current_workspace_id', 'is', null)
    .where('default_workspace_id', 'is not', null)
    .where((eb) => stillSees(tx, eb, eb.ref('users.default_workspace_id')))
    .execute();
}

/**
 * Clears the user's current and default workspace where they point at one the user is no
 * member of: what a tenant owner or admin saw only through `view_all_locations`, once their
 * tenant role no longer grants it.
 */
export async function clearPointersOutsideMemberships(tx: Tx, userId: number): Promise<void> {
  for (const pointer of ['current_workspace_id', 'default_workspace_id'] as const) {
    await tx
      .updateTable('users')
      .set({ [pointer]: null })
      .where('id', '=', userId)
      .where(pointer, 'is not', null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('memberships as m')
              .select('m.user_id')
              .whereRef('m.user_id', '=', 'users.id')
              .whereRef('m.workspace_id', '=', `users.${pointer}`),
          ),
        ),
      )
      .execute();
  }
}

/** Clears the user's current and/or default workspace where they point at this one. */
export async function clearWorkspacePointers(
  tx: Tx,
  userId: number,
  workspaceId: number,
  pointers: ReadonlyArray<'current_workspace_id' | 'default_workspace_id'>,
): Promise<void> {
  for (const pointer of pointers) {
    await tx.updateTable('users').set({ [pointer]: null }).where('id', '=', userId).where(pointer, '=', workspaceId).execute();
  }
}
