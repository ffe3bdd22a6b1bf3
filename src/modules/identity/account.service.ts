import type { RequestContext, TenantContext, UserContext } from '../../core/auth/request-context.ts';
import { digestToken, hashPassword, verifyPassword } from '../../core/auth/secrets.ts';
import type { Clock } from '../../core/clock.ts';
import { isUniqueViolation } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { AppError } from '../../core/errors.ts';
import { normalizeKey } from '../../core/normalize.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { recordAudit, recordAuditWithoutContext, type AuditEvent } from '../audit-log/audit-log.service.ts';
import { revokeKeysOfAccount } from '../api-keys/api-keys.service.ts';
import { mailAccountNotice, mailAccountToken, mailVerificationSpaced, type MailedAccount } from './account-mail.ts';
import * as accounts from './account.repository.ts';
import type { AccountPolicy, SessionRecord } from './account.repository.ts';
import * as repository from './identity.repository.ts';
import { MFA_POLICY_ROLES, refusePasswordWhereSingleSignOnIsRequired, type SingleSignOnRequirement, type User } from './identity.service.ts';
import type { AccountTokenPurpose } from './identity.table.ts';

export type { AccountPolicy, SessionRecord };

/** A user's account change, audited in the tenant's log (no workspace). */
type AccountEvent = Pick<AuditEvent, 'action' | 'details'> & { targetType?: string; targetId?: number };

export type AccountService = ReturnType<typeof createAccountService>;

/**
 * What else ends when a person locks someone out of their account (a password change, ending
 * their other sessions, an admin ending them all): a pending change of address, a sign-in
 * waiting for its second factor, and reset links, any of which the intruder may hold.
 */
const LOCKED_OUT: readonly AccountTokenPurpose[] = ['change_email', 'mfa_challenge', 'reset_password'];

/**
 * The account life cycle beside sign-up and sign-in (identity.service.ts): proving an address,
 * resetting and changing a password, changing the address, the profile, the sessions a person
 * can see and end, and the tenant's account policy. Every change is audited in the tenant's
 * log in the transaction that makes it.
 */
export function createAccountService(deps: {
  db: Db;
  clock: Clock;
  publicUrl: string;
  /** Where single sign-on is required, no password is reset either. */
  singleSignOn?: SingleSignOnRequirement;
}) {
  const { db, clock } = deps;
  const nowIso = () => clock.now().toISOString();
  const audit = (tx: Tx, ctx: RequestContext, event: AccountEvent, at: string) =>
    recordAudit(tx, ctx, { targetType: 'user', targetId: null, ...event, workspaceId: null, at });
  // Done by the holder of a mailed token, who is signed in nowhere: the account itself is the author.
  const auditByHolder = (tx: Tx, user: { tenantId: number; id: number }, event: AccountEvent, at: string) =>
    recordAuditWithoutContext(tx, { tenantId: user.tenantId, userId: user.id }, { targetType: 'user', targetId: user.id, ...event, workspaceId: null, at }, 'account_link');

  const mailed = (tenant: TenantContext, user: { id: number; locale: string | null }): MailedAccount => ({ tenant, user });

  /**
   * Claims a live token of the purpose for this tenant, with its enabled user, or 400
   * ACCOUNT.TOKEN_INVALID (unknown, used, expired, another tenant's, a disabled account's). The
   * user's row is locked before the token's, the order every account change takes, so two
   * changes of one account (a verification and an e-mail change that retires it) queue instead
   * of deadlocking.
   */
  async function claimToken(tx: Tx, tenantId: number, purpose: AccountTokenPurpose, token: string) {
    const now = nowIso();
    const found = await accounts.findLiveAccountToken(tx, { tenantId, purpose, tokenHash: digestToken(token), now });
    const user = found && (await accounts.findUserForUpdate(tx, tenantId, found.userId));
    if (!found || !user || user.disabledAt !== null || !(await accounts.claimAccountToken(tx, found.id, now))) throw new AppError('ACCOUNT.TOKEN_INVALID');
    return { claimed: found, user };
  }

  /** The caller's account, once the password they sent is its current one; else 422 ACCOUNT.PASSWORD_INCORRECT naming the field. */
  async function withCurrentPassword(ctx: UserContext, password: string) {
    const known = await repository.findUserByEmailKey(db, ctx.tenant.id, normalizeKey(ctx.actor.profile.email));
    if (!known || known.id !== ctx.actor.userId || !(await verifyPassword(known.passwordHash, password))) throw new AppError('ACCOUNT.PASSWORD_INCORRECT', { current_password: 'is not the current password' });
    return known;
  }

  /** A user of the tenant whose sessions the caller may see and end: an owner's, only an owner. */
  function requireSessionsAuthority(ctx: UserContext, target: User | undefined): asserts target is User {
    if (!target) throw new AppError('USER.NOT_FOUND');
    if (target.tenantRole === 'owner' && ctx.actor.tenantRole !== 'owner') throw new AppError('AUTH.FORBIDDEN', { reason: "only an owner sees and ends an owner's sessions" });
  }

  async function requirePolicy(executor: Db | Tx, tenantId: number): Promise<AccountPolicy> {
    const policy = await accounts.readAccountPolicy(executor, tenantId);
    if (!policy) throw new AppError('TENANT.NOT_FOUND');
    return policy;
  }

  /** Mail to an address asked for by anyone: done only for an enabled account, and answered alike either way. */
  async function mailIfAccount(ctx: RequestContext, email: string, mail: (tx: Tx, user: User) => Promise<void>): Promise<void> {
    const user = await repository.findUserByEmailKey(db, ctx.tenant.id, normalizeKey(email));
    if (!user || user.disabledAt !== null) return;
    await inTransaction(db, (tx) => mail(tx, user));
  }

  return {
    /** A new verification link, on demand: for an enabled account whose address is not yet proved, at most one a minute. */
    requestVerification(ctx: RequestContext, email: string): Promise<void> {
      return mailIfAccount(ctx, email, async (tx, user) => {
        if (user.emailVerified) return;
        await mailVerificationSpaced(tx, mailed(ctx.tenant, user), { recipient: user.email, publicUrl: deps.publicUrl, now: clock.now() });
      });
    },

    /** Proves the address the link was mailed to, while it is still the account's address. */
    async confirmVerification(ctx: RequestContext, token: string): Promise<void> {
      await inTransaction(db, async (tx) => {
        const { claimed, user } = await claimToken(tx, ctx.tenant.id, 'verify_email', token);
        if (claimed.email === null || normalizeKey(claimed.email) !== user.emailKey) throw new AppError('ACCOUNT.TOKEN_INVALID');
        const now = nowIso();
        if (await accounts.markEmailVerified(tx, user.id, user.emailKey, now)) {
          await auditByHolder(tx, user, { action: 'account.email_verified', details: { email: user.email } }, now);
        }
      });
    },

    /** A reset link for an enabled account with this address; nothing otherwise, and the same answer. */
    async requestPasswordReset(ctx: RequestContext, email: string): Promise<void> {
      await refusePasswordWhereSingleSignOnIsRequired(deps.singleSignOn, db, ctx.tenant, email);
      return mailIfAccount(ctx, email, (tx, user) =>
        mailAccountToken(tx, mailed(ctx.tenant, user), { purpose: 'reset_password', recipient: user.email, publicUrl: deps.publicUrl, now: clock.now() }),
      );
    },

    /**
     * Sets a new password from a reset link, and ends every session of the account. The link
     * proves the mailbox, so the address counts as verified from then on; an account whose
     * address was never proved (made by whoever held an invitation, say) is taken back whole
     * by its address's owner: its second factor and pending e-mail changes go with the old password.
     */
    async resetPassword(ctx: RequestContext, input: { token: string; password: string }): Promise<void> {
      const passwordHash = await hashPassword(input.password);
      await inTransaction(db, async (tx) => {
        const { claimed, user } = await claimToken(tx, ctx.tenant.id, 'reset_password', input.token);
        if (claimed.email === null || normalizeKey(claimed.email) !== user.emailKey) throw new AppError('ACCOUNT.TOKEN_INVALID');
        const now = nowIso();
        const takenBack = !user.emailVerified;
        await accounts.updateUserAccount(tx, user.id, {
          password_hash: passwordHash,
          email_verified_at: user.emailVerified ? undefined : now,
          ...(takenBack ? { totp_secret: null, totp_pending_secret: null, totp_enabled_at: null, totp_last_step: null } : {}),
          updated_at: now,
        });
        // Whoever made the account before its owner proved the address leaves nothing behind that acts for it.
        const keysRevoked = takenBack ? await revokeKeysOfAccount(tx, { tenantId: user.tenantId, userId: user.id }, 'account_taken_back', now) : 0;
        if (takenBack) await accounts.replaceRecoveryCodes(tx, user.id, [], now);
        await accounts.retireAccountTokens(tx, user.id, ['reset_password', 'change_email', 'verify_email', 'mfa_challenge'], now);
        const ended = await accounts.revokeSessionsOf(tx, { tenantId: user.tenantId, userId: user.id, now, reason: 'password_reset' });
        await auditByHolder(tx, user, { action: 'account.password_reset', details: { sessions_ended: ended, address_proved: takenBack, api_keys_revoked: keysRevoked } }, now);
      });
    },

    /** Changes the password with the current one; every other session of the user ends. */
    async changePassword(ctx: UserContext, input: { current_password: string; new_password: string }): Promise<{ sessionsEnded: number }> {
      if (input.new_password === input.current_password) throw new AppError('VALIDATION.FAILED', { new_password: 'is the current password' });
      const known = await withCurrentPassword(ctx, input.current_password);
      const passwordHash = await hashPassword(input.new_password);
      return inTransaction(db, async (tx) => {
        const user = await accounts.findUserForUpdate(tx, ctx.tenant.id, ctx.actor.userId);
        // Changed meanwhile by another request: the password checked is no longer the account's.
        if (!user || user.passwordHash !== known.passwordHash) throw new AppError('ACCOUNT.PASSWORD_INCORRECT', { current_password: 'is not the current password' });
        const now = nowIso();
        await accounts.updateUserAccount(tx, user.id, { password_hash: passwordHash, updated_at: now });
        await accounts.retireAccountTokens(tx, user.id, LOCKED_OUT, now);
        const sessionsEnded = await accounts.revokeSessionsOf(tx, { tenantId: user.tenantId, userId: user.id, except: ctx.actor.sessionId, now, reason: 'password_changed' });
        await mailAccountNotice(tx, mailed(ctx.tenant, user), { kind: 'password_changed', recipient: user.email }, now);
        await audit(tx, ctx, { action: 'account.password_changed', targetId: user.id, details: { sessions_ended: sessionsEnded } }, now);
        return { sessionsEnded };
      });
    },

    /** Mails a confirmation link to the new address; nothing changes until it is followed. */
    async requestEmailChange(ctx: UserContext, input: { email: string; current_password: string }): Promise<void> {
      const known = await withCurrentPassword(ctx, input.current_password);
      const email = input.email.trim();
      if (normalizeKey(email) === normalizeKey(known.email)) throw new AppError('VALIDATION.FAILED', { email: 'is already the address of this account' });
      if (await repository.findUserByEmailKey(db, ctx.tenant.id, normalizeKey(email))) throw new AppError('IDENTITY.EMAIL_TAKEN');
      // A password account cannot move into a domain whose people sign in only through single sign-on.
      await refusePasswordWhereSingleSignOnIsRequired(deps.singleSignOn, db, ctx.tenant, email);
      await inTransaction(db, async (tx) => {
        const now = clock.now();
        await mailAccountToken(tx, mailed(ctx.tenant, known), { purpose: 'change_email', recipient: email, publicUrl: deps.publicUrl, now });
        await audit(tx, ctx, { action: 'account.email_change_requested', targetId: known.id, details: { new_email: email } }, now.toISOString());
      });
    },

    /** Follows the link mailed to the new address: the account signs in with it from now on, and the old address is told. */
    async confirmEmailChange(ctx: RequestContext, token: string): Promise<void> {
      try {
        await inTransaction(db, async (tx) => {
          const { claimed, user } = await claimToken(tx, ctx.tenant.id, 'change_email', token);
          if (claimed.email === null) throw new AppError('ACCOUNT.TOKEN_INVALID');
          // Checked again under the tenant row, which requiring single sign-on takes exclusively: the
          // change either lands first (and its sessions are ended there) or sees the rule.
          await accounts.readAccountPolicy(tx, ctx.tenant.id, { hold: true });
          await refusePasswordWhereSingleSignOnIsRequired(deps.singleSignOn, tx, ctx.tenant, claimed.email);
          const now = nowIso();
          await accounts.updateUserAccount(tx, user.id, { email: claimed.email, email_key: normalizeKey(claimed.email), email_verified_at: now, updated_at: now });
          // Links mailed to the old address no longer prove anything about the account.
          await accounts.retireAccountTokens(tx, user.id, ['verify_email', 'reset_password'], now);
          await mailAccountNotice(tx, mailed(ctx.tenant, user), { kind: 'email_changed', newEmail: claimed.email, recipient: user.email }, now);
          await auditByHolder(tx, user, { action: 'account.email_changed', details: { old_email: user.email, new_email: claimed.email } }, now);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'email_key')) throw new AppError('IDENTITY.EMAIL_TAKEN');
        throw error;
      }
    },

    /** Name and preferred language; a null locale goes back to the tenant's. */
    async updateProfile(ctx: UserContext, input: { name?: string; locale?: string | null }): Promise<User> {
      return inTransaction(db, async (tx) => {
        const now = nowIso();
        const user = await accounts.updateUserAccount(tx, ctx.actor.userId, {
          ...(input.name === undefined ? {} : { name: input.name.trim() }),
          ...(input.locale === undefined ? {} : { locale: input.locale }),
          updated_at: now,
        });
        await audit(tx, ctx, { action: 'account.profile_updated', targetId: user.id, details: { ...input } }, now);
        return user;
      });
    },

    listSessions(ctx: UserContext): Promise<SessionRecord[]> {
      return accounts.listLiveSessions(db, { tenantId: ctx.tenant.id, userId: ctx.actor.userId, now: nowIso() });
    },

    /** A tenant admin's view of a user's live sessions. */
    async listSessionsOf(ctx: UserContext, userId: number): Promise<SessionRecord[]> {
      requireSessionsAuthority(ctx, await repository.findUserById(db, ctx.tenant.id, userId));
      return accounts.listLiveSessions(db, { tenantId: ctx.tenant.id, userId, now: nowIso() });
    },

    /** Ends one of the caller's live sessions (this one too, if named): 404 for any other. */
    async endSession(ctx: UserContext, sessionId: number): Promise<void> {
      await inTransaction(db, async (tx) => {
        const now = nowIso();
        const ended = await accounts.revokeSessionsOf(tx, { tenantId: ctx.tenant.id, userId: ctx.actor.userId, sessionId, now, reason: 'ended_by_user' });
        if (ended === 0) throw new AppError('SESSION.NOT_FOUND');
        await audit(tx, ctx, { action: 'account.session_ended', targetId: ctx.actor.userId, details: { session_id: sessionId } }, now);
      });
    },

    /** Ends every live session of the caller but this one. */
    endOtherSessions(ctx: UserContext): Promise<number> {
      return inTransaction(db, async (tx) => {
        const now = nowIso();
        // The account's row first, as every account change locks it before its tokens.
        await accounts.findUserForUpdate(tx, ctx.tenant.id, ctx.actor.userId);
        const ended = await accounts.revokeSessionsOf(tx, { tenantId: ctx.tenant.id, userId: ctx.actor.userId, except: ctx.actor.sessionId, now, reason: 'ended_by_user' });
        await accounts.retireAccountTokens(tx, ctx.actor.userId, LOCKED_OUT, now);
        await audit(tx, ctx, { action: 'account.other_sessions_ended', targetId: ctx.actor.userId, details: { sessions_ended: ended } }, now);
        return ended;
      });
    },

    /** A tenant admin ends every session of a user of the tenant. */
    endSessionsOf(ctx: UserContext, userId: number): Promise<number> {
      return inTransaction(db, async (tx) => {
        requireSessionsAuthority(ctx, await accounts.findUserForUpdate(tx, ctx.tenant.id, userId));
        const now = nowIso();
        const ended = await accounts.revokeSessionsOf(tx, { tenantId: ctx.tenant.id, userId, now, reason: 'ended_by_admin' });
        await accounts.retireAccountTokens(tx, userId, LOCKED_OUT, now);
        await audit(tx, ctx, { action: 'tenant.user_sessions_ended', targetId: userId, details: { sessions_ended: ended } }, now);
        return ended;
      });
    },

    readPolicy(ctx: { tenant: { id: number } }): Promise<AccountPolicy> {
      return requirePolicy(db, ctx.tenant.id);
    },

    /**
     * Changes the account policy. Requiring a second factor of owners and admins asks the caller
     * to have one and ends the sessions of the owners and admins without one (their next sign-in
     * enrolls one); requiring a proved address before sign-in asks the caller to have proved theirs
     * and ends the sessions of the accounts that have not.
     */
    async updatePolicy(ctx: UserContext, input: { email_verification?: AccountPolicy['emailVerification']; mfa_required_for_admins?: boolean }): Promise<AccountPolicy> {
      return inTransaction(db, async (tx) => {
        const now = nowIso();
        await accounts.updateAccountPolicy(tx, ctx.tenant.id, {
          ...(input.email_verification === undefined ? {} : { email_verification: input.email_verification }),
          ...(input.mfa_required_for_admins === undefined ? {} : { mfa_required_for_admins: input.mfa_required_for_admins ? 1 : 0 }),
          updated_at: now,
        });
        // The accounts the new policy shuts out end their sessions now, not when their tokens expire;
        // the caller is never among them (refused first), so nobody locks themselves out.
        let sessionsEnded = 0;
        const endSessionsOf = async (userIds: readonly number[], refusal: 'MFA.ENROLL_FIRST' | 'ACCOUNT.VERIFY_FIRST', reason: string) => {
          if (userIds.includes(ctx.actor.userId)) throw new AppError(refusal);
          for (const userId of userIds) sessionsEnded += await accounts.revokeSessionsOf(tx, { tenantId: ctx.tenant.id, userId, now, reason });
        };
        if (input.mfa_required_for_admins === true) {
          await endSessionsOf(await accounts.usersWithout(tx, ctx.tenant.id, { secondFactor: true, roles: MFA_POLICY_ROLES }), 'MFA.ENROLL_FIRST', 'mfa_required');
        }
        if (input.email_verification === 'before_sign_in') {
          await endSessionsOf(await accounts.usersWithout(tx, ctx.tenant.id, { provedAddress: true }), 'ACCOUNT.VERIFY_FIRST', 'email_verification_required');
        }
        await audit(tx, ctx, { action: 'tenant.account_policy_updated', targetType: 'tenant', targetId: ctx.tenant.id, details: { ...input, sessions_ended: sessionsEnded } }, now);
        return requirePolicy(tx, ctx.tenant.id);
      });
    },
  };
}

