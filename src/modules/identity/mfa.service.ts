import type { RequestContext, UserContext } from '../../core/auth/request-context.ts';
import type { SecretBox } from '../../core/auth/secret-box.ts';
import { digestToken } from '../../core/auth/secrets.ts';
import type { Clock } from '../../core/clock.ts';
import { sealedContext } from '../../core/db/sealed-columns.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { AppError } from '../../core/errors.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { recordAudit, recordAuditWithoutContext } from '../audit-log/audit-log.service.ts';
import * as accounts from './account.repository.ts';
import { MFA_POLICY_ROLES, type IdentityService, type IssuedSession, type SessionClient } from './identity.service.ts';
import { digestRecoveryCode, isTotpCode, matchingStep, newRecoveryCodes, newTotpSecret, otpauthUri } from './totp.ts';

export interface Enrollment {
  secret: string;
  otpauthUri: string;
}

export interface MfaStatus {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
}

/** A user locked for a change, their second-factor secrets opened. */
type Guarded = NonNullable<Awaited<ReturnType<typeof accounts.findUserForUpdate>>>;

type TotpColumn = 'totp_secret' | 'totp_pending_secret';

export type MfaService = ReturnType<typeof createMfaService>;

/**
 * The second factor: TOTP (totp.ts) with single-use recovery codes stored as digests. A code
 * checks out once: its time step is then spent (`totp_last_step`), a recovery code is marked
 * used. Enrolling, turning it off and new recovery codes are audited in the tenant's log.
 * The TOTP secrets are stored sealed (`secrets`), each bound to its user and column.
 */
export function createMfaService(deps: { db: Db; clock: Clock; identity: IdentityService; secrets: SecretBox }) {
  const { db, clock, secrets } = deps;
  const nowIso = () => clock.now().toISOString();
  const seal = (userId: number, column: TotpColumn, secret: string) => secrets.seal(secret, sealedContext('users', column, userId));
  const open = (userId: number, column: TotpColumn, sealed: string | null) => sealed && secrets.open(sealed, sealedContext('users', column, userId));

  /** Whether `code` is a good second factor for the enrolled user now; spends it when it is. */
  async function spendSecondFactor(tx: Tx, user: Guarded, code: string): Promise<'totp' | 'recovery_code' | undefined> {
    const now = clock.now();
    if (isTotpCode(code)) {
      const step = user.totpSecret === null ? undefined : matchingStep(user.totpSecret, code.trim(), now);
      return step !== undefined && (await accounts.acceptTotpStep(tx, user.id, step)) ? 'totp' : undefined;
    }
    return (await accounts.useRecoveryCode(tx, user.id, digestRecoveryCode(code), now.toISOString())) ? 'recovery_code' : undefined;
  }

  /** Turns the pending secret on once a code from it checks out: the codes to keep are returned once. */
  async function confirmPending(tx: Tx, user: Guarded, code: string): Promise<string[] | undefined> {
    if (user.totpPendingSecret === null) throw new AppError('MFA.NOT_PENDING');
    const step = matchingStep(user.totpPendingSecret, code.trim(), clock.now());
    if (step === undefined) return undefined;
    const now = nowIso();
    await accounts.updateUserAccount(tx, user.id, {
      totp_secret: seal(user.id, 'totp_secret', user.totpPendingSecret),
      totp_pending_secret: null,
      totp_enabled_at: now,
      totp_last_step: step,
      updated_at: now,
    });
    const codes = newRecoveryCodes();
    await accounts.replaceRecoveryCodes(tx, user.id, codes.map(digestRecoveryCode), now);
    return codes;
  }

  async function clearSecondFactor(tx: Tx, userId: number, now: string): Promise<void> {
    await accounts.updateUserAccount(tx, userId, { totp_secret: null, totp_pending_secret: null, totp_enabled_at: null, totp_last_step: null, updated_at: now });
    await accounts.replaceRecoveryCodes(tx, userId, [], now);
  }

  /** Someone else turns the user's factor off: nothing signed in or half signed in with the old one lives on. */
  async function turnOff(tx: Tx, user: Guarded, now: string): Promise<void> {
    if (!user.mfaEnabled) throw new AppError('MFA.NOT_ENABLED');
    await clearSecondFactor(tx, user.id, now);
    await accounts.retireAccountTokens(tx, user.id, ['mfa_challenge'], now);
    await accounts.revokeSessionsOf(tx, { tenantId: user.tenantId, userId: user.id, now, reason: 'mfa_reset' });
  }

  async function lockedUser(tx: Tx, tenantId: number, userId: number): Promise<Guarded> {
    const user = await accounts.findUserForUpdate(tx, tenantId, userId);
    if (!user) throw new AppError('USER.NOT_FOUND');
    return { ...user, totpSecret: open(user.id, 'totp_secret', user.totpSecret), totpPendingSecret: open(user.id, 'totp_pending_secret', user.totpPendingSecret) };
  }

  async function startEnrollment(tx: Tx, user: Guarded, tenantName: string): Promise<Enrollment> {
    if (user.mfaEnabled) throw new AppError('MFA.ALREADY_ENABLED');
    const secret = newTotpSecret();
    await accounts.updateUserAccount(tx, user.id, { totp_pending_secret: seal(user.id, 'totp_pending_secret', secret), updated_at: nowIso() });
    return { secret, otpauthUri: otpauthUri(secret, { issuer: tenantName, email: user.email }) };
  }

  /** The live sign-in challenge a token names, or 401 AUTH.MFA_CHALLENGE_INVALID. */
  async function liveChallenge(tx: Tx, tenantId: number, token: string) {
    const challenge = await accounts.findLiveAccountToken(tx, { tenantId, purpose: 'mfa_challenge', tokenHash: digestToken(token), now: nowIso() });
    if (!challenge) throw new AppError('AUTH.MFA_CHALLENGE_INVALID');
    return challenge;
  }

  return {
    async status(ctx: UserContext): Promise<MfaStatus> {
      const user = await accounts.findUserForUpdate(db, ctx.tenant.id, ctx.actor.userId);
      if (!user) throw new AppError('USER.NOT_FOUND');
      return {
        enabled: user.mfaEnabled,
        enabledAt: user.totpEnabledAt,
        recoveryCodesLeft: user.mfaEnabled ? await accounts.countUnusedRecoveryCodes(db, user.id) : 0,
      };
    },

    /** A new secret to scan; it guards nothing until a code from it is confirmed. */
    beginEnrollment(ctx: UserContext): Promise<Enrollment> {
      return inTransaction(db, async (tx) => startEnrollment(tx, await lockedUser(tx, ctx.tenant.id, ctx.actor.userId), ctx.tenant.name));
    },

    async confirmEnrollment(ctx: UserContext, code: string): Promise<string[]> {
      const codes = await inTransaction(db, async (tx) => {
        const user = await lockedUser(tx, ctx.tenant.id, ctx.actor.userId);
        if (user.mfaEnabled) throw new AppError('MFA.ALREADY_ENABLED');
        const confirmed = await confirmPending(tx, user, code);
        if (confirmed) await recordAudit(tx, ctx, { action: 'account.mfa_enabled', targetType: 'user', targetId: user.id, workspaceId: null, at: nowIso() });
        return confirmed;
      });
      if (!codes) throw new AppError('MFA.CODE_INVALID', { code: 'is incorrect or was already used' });
      return codes;
    },

    /** Turning the second factor off takes a code from it (or a recovery code) in the same request. */
    async disable(ctx: UserContext, code: string): Promise<void> {
      const outcome = await inTransaction(db, async (tx) => {
        const user = await lockedUser(tx, ctx.tenant.id, ctx.actor.userId);
        if (!user.mfaEnabled) throw new AppError('MFA.NOT_ENABLED');
        const policy = await accounts.readAccountPolicy(tx, ctx.tenant.id);
        if (policy?.mfaRequiredForAdmins && MFA_POLICY_ROLES.includes(user.tenantRole)) throw new AppError('MFA.REQUIRED_BY_POLICY');
        const spent = await spendSecondFactor(tx, user, code);
        if (!spent) return false;
        const now = nowIso();
        await clearSecondFactor(tx, user.id, now);
        await recordAudit(tx, ctx, { action: 'account.mfa_disabled', targetType: 'user', targetId: user.id, workspaceId: null, details: { with: spent }, at: now });
        return true;
      });
      if (!outcome) throw new AppError('MFA.CODE_INVALID', { code: 'is incorrect or was already used' });
    },

    /** New recovery codes for old ones (all of them), with a code from the second factor. */
    async regenerateRecoveryCodes(ctx: UserContext, code: string): Promise<string[]> {
      const codes = await inTransaction(db, async (tx) => {
        const user = await lockedUser(tx, ctx.tenant.id, ctx.actor.userId);
        if (!user.mfaEnabled) throw new AppError('MFA.NOT_ENABLED');
        const spent = await spendSecondFactor(tx, user, code);
        if (!spent) return undefined;
        const now = nowIso();
        const fresh = newRecoveryCodes();
        await accounts.replaceRecoveryCodes(tx, user.id, fresh.map(digestRecoveryCode), now);
        await recordAudit(tx, ctx, { action: 'account.recovery_codes_regenerated', targetType: 'user', targetId: user.id, workspaceId: null, at: now });
        return fresh;
      });
      if (!codes) throw new AppError('MFA.CODE_INVALID', { code: 'is incorrect or was already used' });
      return codes;
    },

    /**
     * A tenant owner turns off a user's second factor (a lost phone, and its recovery codes with
     * it): the user's sessions and pending sign-ins end, and where the tenant requires a second
     * factor their next sign-in enrolls a new one.
     */
    resetFor(ctx: UserContext, userId: number): Promise<void> {
      return inTransaction(db, async (tx) => {
        const now = nowIso();
        const user = await lockedUser(tx, ctx.tenant.id, userId);
        await turnOff(tx, user, now);
        await recordAudit(tx, ctx, { action: 'tenant.user_mfa_reset', targetType: 'user', targetId: user.id, workspaceId: null, at: now });
      });
    },

    /** The operator CLI's reset of a user's second factor: for a tenant whose only owner lost theirs. */
    resetByOperator(tenantId: number, userId: number): Promise<void> {
      return inTransaction(db, async (tx) => {
        const now = nowIso();
        const user = await lockedUser(tx, tenantId, userId);
        await turnOff(tx, user, now);
        await recordAuditWithoutContext(tx, { tenantId, userId }, { action: 'tenant.user_mfa_reset', targetType: 'user', targetId: user.id, workspaceId: null, at: now }, 'operator');
      });
    },

    /** A sign-in that must enroll a second factor first (the tenant's policy): its secret to scan. */
    beginChallengeEnrollment(ctx: RequestContext, challengeToken: string): Promise<Enrollment> {
      return inTransaction(db, async (tx) => {
        const challenge = await liveChallenge(tx, ctx.tenant.id, challengeToken);
        return startEnrollment(tx, await lockedUser(tx, ctx.tenant.id, challenge.userId), ctx.tenant.name);
      });
    },

    /**
     * The second step of a sign-in: a code from the user's authenticator or a recovery code (or,
     * enrolling, a first code from the new secret). A wrong code counts against the challenge,
     * which dies after five; a right one uses it up and opens the session.
     */
    async completeSignIn(
      ctx: RequestContext,
      input: { mfa_token: string; code: string },
      client: SessionClient,
    ): Promise<{ issued: IssuedSession; recoveryCodes: string[] | undefined }> {
      const outcome = await inTransaction(db, async (tx) => {
        const challenge = await liveChallenge(tx, ctx.tenant.id, input.mfa_token);
        const user = await lockedUser(tx, ctx.tenant.id, challenge.userId);
        if (user.disabledAt !== null) throw new AppError('AUTH.MFA_CHALLENGE_INVALID');
        const now = nowIso();
        const recoveryCodes = user.mfaEnabled ? undefined : await confirmPending(tx, user, input.code);
        const passed = user.mfaEnabled ? await spendSecondFactor(tx, user, input.code) : recoveryCodes && 'enrolled';
        if (!passed) {
          await accounts.countFailedAttempt(tx, challenge.id);
          return undefined;
        }
        if (!(await accounts.claimAccountToken(tx, challenge.id, now))) throw new AppError('AUTH.MFA_CHALLENGE_INVALID');
        const event = recoveryCodes ? 'account.mfa_enabled' : 'account.signed_in_with_second_factor';
        await recordAuditWithoutContext(tx, { tenantId: user.tenantId, userId: user.id }, { action: event, targetType: 'user', targetId: user.id, workspaceId: null, details: { with: passed }, at: now }, 'sign_in');
        return { user, recoveryCodes };
      });
      if (!outcome) throw new AppError('AUTH.MFA_CODE_INVALID');
      return { issued: await deps.identity.openSession(ctx.tenant, outcome.user.id, client), recoveryCodes: outcome.recoveryCodes };
    },
  };
}
