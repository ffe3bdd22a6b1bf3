import { createHmac, hkdfSync } from 'node:crypto';
import { createAccessTokens, type AccessTokens } from '../../core/auth/jwt.ts';
import type { SecretBox } from '../../core/auth/secret-box.ts';
import type { RequestContext, UserContext } from '../../core/auth/request-context.ts';
import { digestToken, hashPassword, randomToken, verifyPassword } from '../../core/auth/secrets.ts';
import { isoAfter, type Clock } from '../../core/clock.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { isUniqueViolation, lockRow } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { AppError } from '../../core/errors.ts';
import { tenantRoleGrants } from '../../core/auth/permissions.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { normalizeKey } from '../../core/normalize.ts';
import type { TenantsService } from '../tenants/tenants.service.ts';
import { recordAudit, recordAuditWithoutContext } from '../audit-log/audit-log.service.ts';
import * as repository from './identity.repository.ts';
import * as accounts from './account.repository.ts';
import { readSigningKeys } from './signing-keys.service.ts';
import { mailAccountToken, mailVerificationSpaced, type MailedAccount } from './account-mail.ts';
import type { SessionClient } from './identity.repository.ts';
import { ACCOUNT_TOKEN_PURPOSES } from '../../schema/migrations/0023-account-life-cycle.ts';
import type { LoginBody, RegisterBody, UpdateTenantUserBody } from './identity.schemas.ts';
import type { SessionAuthMethod, TenantRole, User } from './identity.table.ts';

export type { User, SessionClient };

/** The tenant roles a tenant's second-factor policy covers. */
export const MFA_POLICY_ROLES: readonly TenantRole[] = ['owner', 'admin'];

export interface IssuedSession {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
}

/** A sign-in: a session, or a second step first (a code from the user's authenticator, or enrolling one). */
export type SignIn =
  | { kind: 'session'; issued: IssuedSession }
  | { kind: 'second_factor'; challengeToken: string; enrollment: boolean; expiresInSeconds: number };

/** A registration: signed in, or (where the tenant asks for it) waiting for the address to be proved first. */
export type Registration = { kind: 'session'; issued: IssuedSession } | { kind: 'verification_required'; user: User };

/** How long a password sign-in waits for its second factor. */
export const MFA_CHALLENGE_SECONDS = 300;

/** Transaction steps for the workspaces and members services: the user's current and default workspace. */
export function setCurrentWorkspace(tx: Tx, userId: number, workspaceId: number | null): Promise<void> {
  return repository.setWorkspacePointers(tx, userId, { current_workspace_id: workspaceId });
}

/** The user's default workspace, while they still see it: else 404, as if it had gone (it has, for them). */
export async function setDefaultWorkspace(tx: Tx, userId: number, workspaceId: number): Promise<void> {
  if (!(await repository.setDefaultWhileSeen(tx, userId, workspaceId))) throw new AppError('WORKSPACE.NOT_FOUND');
}

/** After leaving or removal: neither the current nor the default workspace may point at it. */
export function forgetWorkspaceForUser(tx: Tx, userId: number, workspaceId: number): Promise<void> {
  return repository.clearWorkspacePointers(tx, userId, workspaceId, ['current_workspace_id', 'default_workspace_id']);
}

export function forgetCurrentWorkspace(tx: Tx, userId: number, workspaceId: number): Promise<void> {
  return repository.clearWorkspacePointers(tx, userId, workspaceId, ['current_workspace_id']);
}

/**
 * A transaction step before a signed-in user joins a workspace (an invitation, an invite code):
 * where the tenant asks for a proved address, an unproved one is refused (403
 * AUTH.EMAIL_NOT_VERIFIED), since a token handed to whoever invited proves no mailbox.
 */
export async function requireAddressProvedToJoin(tx: Tx, ctx: UserContext): Promise<void> {
  if (ctx.actor.profile.emailVerified) return;
  const policy = await accounts.readAccountPolicy(tx, ctx.tenant.id);
  if (policy && policy.emailVerification !== 'optional') throw new AppError('AUTH.EMAIL_NOT_VERIFIED');
}

/** Whether an address must sign in through single sign-on (its domain's workspace requires it), and where that starts. */
export interface SingleSignOnRequirement {
  signInUrlIfRequired(executor: Executor, tenant: { id: number; slug: string }, emailKey: string): Promise<string | undefined>;
}

/** Refuses a password (a sign-in, a sign-up, a reset) at an address whose domain must use single sign-on, naming where that starts. */
export async function refusePasswordWhereSingleSignOnIsRequired(
  requirement: SingleSignOnRequirement | undefined,
  executor: Executor,
  tenant: { id: number; slug: string },
  email: string,
): Promise<void> {
  const signInUrl = await requirement?.signInUrlIfRequired(executor, tenant, normalizeKey(email));
  if (signInUrl !== undefined) throw new AppError('AUTH.SSO_REQUIRED', { sso_url: signInUrl });
}

/** A stored password no argon2 hash can equal: an account made by single sign-on has no password until its owner resets one. */
const NO_PASSWORD = '!none';

/** A transaction step for single sign-on: the tenant's account at this address, if any. */
export function findAccountByEmail(tx: Tx, tenantId: number, email: string): Promise<User | undefined> {
  return repository.findUserByEmailKey(tx, tenantId, normalizeKey(email));
}

/** A transaction step for single sign-on: an account whose address the provider proved, with no password, a tenant member. */
export function createAccountProvedElsewhere(tx: Tx, values: { tenantId: number; name: string; email: string; now: string }): Promise<User> {
  return repository.insertUser(tx, {
    tenantId: values.tenantId,
    name: values.name,
    email: values.email,
    emailKey: normalizeKey(values.email),
    passwordHash: NO_PASSWORD,
    tenantRole: 'member',
    emailVerifiedAt: values.now,
    now: values.now,
  });
}

/** A transaction step: a provider proved this account's current address. */
export function markAddressProved(tx: Tx, user: User, now: string): Promise<boolean> {
  return accounts.markEmailVerified(tx, user.id, normalizeKey(user.email), now);
}

/** A transaction step: single sign-on is now required at `domain`; the password sessions there end. */
export function endPasswordSessionsAtDomain(tx: Tx, tenantId: number, domain: string, now: string): Promise<number> {
  return repository.revokePasswordSessionsAtDomain(tx, tenantId, domain, now, 'sso_required');
}

export interface IdentityKeys {
  accessTokens: AccessTokens;
  /** Derives a refresh token's successor from it (HMAC), so a reuse within the grace interval gets the same one. */
  successorKey: Buffer;
}

/**
 * The access-token signer and verifier over the signing keys (their private parts sealed at
 * rest), and a key for refresh-token successors derived from the oldest of them (HKDF, its own
 * label): every instance on the database derives the same successors, and nobody without
 * the server's key can. The verifier reads the keys again when a token names a newer one.
 */
export async function loadIdentityKeys(deps: { db: Db; clock: Clock; secrets: SecretBox; issuer: string; ttlSeconds: number }): Promise<IdentityKeys> {
  const readKeys = () => readSigningKeys(deps.db, deps.secrets);
  const keys = await readKeys();
  const seed = keys[0]?.privateJwk.d;
  if (!seed) throw new Error('no signing key: the database was not migrated');
  return {
    accessTokens: await createAccessTokens({ keys, issuer: deps.issuer, ttlSeconds: deps.ttlSeconds, clock: deps.clock, reloadKeys: readKeys }),
    successorKey: Buffer.from(hkdfSync('sha256', Buffer.from(seed, 'base64url'), Buffer.alloc(0), 'tessera refresh-token successor', 32)),
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;

/** A change the operator makes with the CLI: no one signed in made it. */
export interface OperatorChange {
  tenant: { id: number };
  operator: true;
}

export function createIdentityService(deps: {
  db: Db;
  clock: Clock;
  accessTokens: AccessTokens;
  tenants: TenantsService;
  /** Where the account e-mails' links lead. */
  publicUrl: string;
  refreshTokenTtlSeconds: number;
  /** Zero: every reuse of a refresh token revokes its session. */
  refreshTokenReuseSeconds: number;
  successorKey: Buffer;
  /**
   * Registration through an invitation or a workspace's invite code: `join` claims it inside the
   * registration's transaction; `check` only requires it to be live (where the tenant wants the
   * address proved before anyone joins, and the joining waits).
   */
  invitations?: {
    join: (tx: Tx, input: { tenantId: number; token: string; userId: number; emailKey: string; now: string }) => Promise<{ workspaceId: number }>;
    check: (tx: Tx, input: { tenantId: number; token: string; emailKey: string; now: string }) => Promise<void>;
  };
  inviteCodes?: {
    join: (tx: Tx, input: { tenantId: number; code: string; userId: number; now: string }) => Promise<{ workspaceId: number }>;
    check: (tx: Tx, input: { tenantId: number; code: string }) => Promise<void>;
  };
  /** Where an address's domain must sign in through a workspace's single sign-on: the URL that starts it. */
  singleSignOn?: SingleSignOnRequirement;
}) {
  const { db, clock, accessTokens } = deps;

  /** A refresh token's successor: derived, not random, so a reuse within the grace interval can be given the same one. */
  const successorOf = (token: string) => `rt_${createHmac('sha256', deps.successorKey).update(token).digest('base64url')}`;
  const withinReuseInterval = (usedAt: string, now: string) => Date.parse(now) - Date.parse(usedAt) <= deps.refreshTokenReuseSeconds * 1000;
  // Unknown emails are checked against this hash, so a login costs the same whether or not the account exists.
  const decoyHash = hashPassword(randomToken());

  async function startSession(tx: Tx, user: User, client: SessionClient, method: SessionAuthMethod = 'password'): Promise<{ sessionId: number; refreshToken: string }> {
    const now = clock.now().toISOString();
    const expiresAt = isoAfter(clock, deps.refreshTokenTtlSeconds);
    const sessionId = await repository.insertSession(tx, { tenantId: user.tenantId, userId: user.id, now, expiresAt, client, method });
    const refreshToken = randomToken('rt_');
    await repository.insertRefreshToken(tx, { sessionId, tokenHash: digestToken(refreshToken), now, expiresAt });
    return { sessionId, refreshToken };
  }

  const refuseWhereSingleSignOnIsRequired = (executor: Executor, tenant: { id: number; slug: string }, email: string) =>
    refusePasswordWhereSingleSignOnIsRequired(deps.singleSignOn, executor, tenant, email);

  async function issue(user: User, session: { sessionId: number; refreshToken: string }): Promise<IssuedSession> {
    const accessToken = await accessTokens.sign({
      userId: user.id,
      sessionId: session.sessionId,
      tenantId: user.tenantId,
    });
    return { user, accessToken, refreshToken: session.refreshToken, expiresInSeconds: accessTokens.ttlSeconds };
  }

  /** A transaction step: mails a link that proves the user's address. */
  function mailVerification(tx: Tx, tenant: MailedAccount['tenant'], user: User): Promise<void> {
    return mailAccountToken(tx, { tenant, user }, { purpose: 'verify_email', recipient: user.email, publicUrl: deps.publicUrl, now: clock.now() });
  }

  /** How a registration joins a workspace: claimed at once, or (the address to be proved first) only checked. */
  interface Joining {
    join(tx: Tx, input: { tenantId: number; userId: number; emailKey: string; now: string }): Promise<{ workspaceId: number }>;
    check(tx: Tx, input: { tenantId: number; emailKey: string; now: string }): Promise<void>;
  }

  /** The workspace a registration joins: through an invitation's token or a workspace's invite code, never both. */
  function joiningOf(input: RegisterBody): Joining | undefined {
    const { invitation_token: token, invite_code: code } = input;
    if (token !== undefined && code !== undefined) {
      throw new AppError('VALIDATION.FAILED', { invite_code: 'send an invitation token or an invite code, not both' });
    }
    if (token !== undefined) {
      const invitations = deps.invitations;
      if (!invitations) throw new AppError('INVITATION.NOT_FOUND');
      return { join: (tx, joining) => invitations.join(tx, { ...joining, token }), check: (tx, joining) => invitations.check(tx, { ...joining, token }) };
    }
    if (code !== undefined) {
      const inviteCodes = deps.inviteCodes;
      if (!inviteCodes) throw new AppError('INVITE_CODE.NOT_FOUND');
      return {
        join: (tx, { tenantId, userId, now }) => inviteCodes.join(tx, { tenantId, code, userId, now }),
        check: (tx, { tenantId }) => inviteCodes.check(tx, { tenantId, code }),
      };
    }
    return undefined;
  }

  async function createUser(
    tenant: MailedAccount['tenant'],
    input: RegisterBody,
    options: {
      chooseRole: (state: { selfSignup: boolean; hasUsers: boolean; invited: boolean }) => TenantRole;
      /** An operator vouches for the address; anyone else proves it by the mailed link. */
      vouched: boolean;
      client: SessionClient;
    },
  ): Promise<Registration> {
    const passwordHash = await hashPassword(input.password);
    const joining = joiningOf(input);
    try {
      const outcome = await inTransaction(db, async (tx) => {
        const state = await repository.lockTenantForSignup(tx, tenant.id);
        if (!state) throw new AppError('TENANT.NOT_FOUND');
        await refuseWhereSingleSignOnIsRequired(tx, tenant, input.email);
        const now = clock.now().toISOString();
        const emailKey = normalizeKey(input.email);
        const created = await repository.insertUser(tx, {
          tenantId: tenant.id,
          name: input.name.trim(),
          email: input.email.trim(),
          emailKey,
          passwordHash,
          tenantRole: options.chooseRole({ ...state, invited: joining !== undefined }),
          emailVerifiedAt: options.vouched ? now : null,
          now,
        });
        // An invitation or a code admits the account, but proves no mailbox: where the tenant
        // wants a proved address, the joining waits (the invitation or the code stays usable,
        // signed in, once the address is proved).
        // Joining (or, waiting for a proved address, the check) fails, and so rolls the account back,
        // unless the token is a live invitation for this address, or the code a live code of the tenant.
        if (joining && state.emailVerification === 'optional') {
          const { workspaceId } = await joining.join(tx, { tenantId: tenant.id, userId: created.id, emailKey, now });
          await repository.setWorkspacePointers(tx, created.id, { current_workspace_id: workspaceId });
          created.currentWorkspaceId = workspaceId;
        } else if (joining) await joining.check(tx, { tenantId: tenant.id, emailKey, now });
        if (!options.vouched) await mailVerification(tx, tenant, created);
        if (state.emailVerification === 'before_sign_in' && !options.vouched) return { user: created, session: undefined };
        return { user: created, session: await startSession(tx, created, options.client) };
      });
      if (!outcome.session) return { kind: 'verification_required', user: outcome.user };
      return { kind: 'session', issued: await issue(outcome.user, outcome.session) };
    } catch (error) {
      if (isUniqueViolation(error, 'email_key')) throw new AppError('IDENTITY.EMAIL_TAKEN');
      throw error;
    }
  }

  /**
   * What a sign-in whose password checked out may open, decided and acted on in one transaction
   * that holds the tenant row (shared): a policy change, which updates that row, either waits
   * for the sign-in (and then ends the session it opened) or is waited for (and then refuses it).
   * `secondFactor` says the sign-in already passed one.
   */
  async function signIn(tenant: MailedAccount['tenant'], userId: number, client: SessionClient, secondFactor: boolean) {
    const outcome = await inTransaction(db, async (tx) => {
      const policy = await accounts.readAccountPolicy(tx, tenant.id, { hold: true });
      const user = await repository.findUserById(tx, tenant.id, userId);
      if (!policy || !user || user.disabledAt !== null) throw new AppError('AUTH.INVALID_CREDENTIALS');
      // Checked again under the tenant row: requiring single sign-on locks that row exclusively, so it either
      // waits for this sign-in (and then ends the session it opened) or is seen here.
      await refuseWhereSingleSignOnIsRequired(tx, tenant, user.email);
      if (policy.emailVerification === 'before_sign_in' && !user.emailVerified) {
        await mailVerificationSpaced(tx, { tenant, user }, { recipient: user.email, publicUrl: deps.publicUrl, now: clock.now() });
        return { kind: 'unverified' as const };
      }
      const enrollment = !user.mfaEnabled && policy.mfaRequiredForAdmins && MFA_POLICY_ROLES.includes(user.tenantRole);
      if (!secondFactor && (user.mfaEnabled || enrollment)) {
        const challengeToken = randomToken('mfa_');
        await accounts.insertAccountToken(tx, {
          tenantId: tenant.id,
          userId: user.id,
          purpose: 'mfa_challenge',
          tokenHash: digestToken(challengeToken),
          email: null,
          now: clock.now().toISOString(),
          expiresAt: isoAfter(clock, MFA_CHALLENGE_SECONDS),
        });
        return { kind: 'second_factor' as const, challengeToken, enrollment, expiresInSeconds: MFA_CHALLENGE_SECONDS };
      }
      await repository.enterDefaultWorkspace(tx, user.id);
      return { kind: 'session' as const, user, session: await startSession(tx, user, client) };
    });
    // Refused, the new link is committed all the same.
    if (outcome.kind === 'unverified') throw new AppError('AUTH.EMAIL_NOT_VERIFIED');
    if (outcome.kind === 'second_factor') return outcome;
    return { kind: 'session' as const, issued: await issue(outcome.user, outcome.session) };
  }

  /** Opens a session for a user who has just passed their second factor, as the tenant's policy stands now. */
  async function openSession(tenant: MailedAccount['tenant'], userId: number, client: SessionClient): Promise<IssuedSession> {
    const outcome = await signIn(tenant, userId, client, true);
    if (outcome.kind !== 'session') throw new AppError('AUTH.MFA_CHALLENGE_INVALID');
    return outcome.issued;
  }

  return {
    /** Self sign-up, or sign-up through an invitation; the tenant's first user becomes its owner. */
    register(ctx: RequestContext, input: RegisterBody, client: SessionClient): Promise<Registration> {
      return createUser(ctx.tenant, input, {
        chooseRole: (state) => {
          // An invitation or a workspace's invite code admits an account where self sign-up is off.
          if (!state.selfSignup && !state.invited) throw new AppError('AUTH.SIGNUP_DISABLED');
          return state.hasUsers ? 'member' : 'owner';
        },
        vouched: false,
        client,
      });
    },

    /** Operator CLI: an account with the given tenant role, whatever the sign-up setting; the operator vouches for the address. */
    async createUserAs(tenantSlug: string, input: RegisterBody, role: TenantRole): Promise<User> {
      const tenant = await deps.tenants.requireTenant(tenantSlug);
      const created = await createUser(tenant, input, { chooseRole: () => role, vouched: true, client: { userAgent: 'tessera-cli', ip: null } });
      return created.kind === 'session' ? created.issued.user : created.user;
    },

    /**
     * Signing in enters the default workspace when no workspace is current (seed 003). A user
     * with a second factor, or an owner or admin of a tenant that requires one, gets a challenge
     * instead of a session; where the tenant requires a proved address, an unproved one is
     * refused (and a new link mailed, at most once a minute). Both are told only to the holder
     * of the right password.
     */
    async login(ctx: RequestContext, input: LoginBody, client: SessionClient): Promise<SignIn> {
      // Before the password is checked: the domain's rule is no secret, and the person is pointed to single sign-on whatever they typed.
      await refuseWhereSingleSignOnIsRequired(db, ctx.tenant, input.email);
      const user = await repository.findUserByEmailKey(db, ctx.tenant.id, normalizeKey(input.email));
      const matches = await verifyPassword(user?.passwordHash ?? (await decoyHash), input.password);
      if (!user || !matches || user.disabledAt !== null) throw new AppError('AUTH.INVALID_CREDENTIALS');
      return signIn(ctx.tenant, user.id, client, false);
    },

    openSession,

    /**
     * A sign-in through a workspace's single sign-on: `admit` (the provider's answer checked)
     * names the account, linking or creating it and its membership, in the transaction that then
     * opens the session, so an admission that fails leaves nothing behind. The provider stands
     * for the password and the second factor.
     */
    async signInThroughSingleSignOn(tenant: MailedAccount['tenant'], client: SessionClient, admit: (tx: Tx) => Promise<number>): Promise<IssuedSession> {
      const outcome = await inTransaction(db, async (tx) => {
        const userId = await admit(tx);
        const user = await repository.findUserById(tx, tenant.id, userId);
        if (!user || user.disabledAt !== null) throw new AppError('SSO.ACCOUNT_DISABLED');
        await repository.enterDefaultWorkspace(tx, user.id);
        return { user, session: await startSession(tx, user, client, 'sso') };
      });
      return issue(outcome.user, outcome.session);
    },

    /**
     * Rotates a refresh token. A token used twice means it leaked: the whole family
     * (the session) is revoked, committed even though the caller gets a 401.
     */
    async refresh(ctx: RequestContext, refreshToken: string, client: SessionClient): Promise<IssuedSession> {
      const now = clock.now().toISOString();
      const outcome = await inTransaction(db, async (tx) => {
        const token = await repository.findRefreshToken(tx, digestToken(refreshToken));
        if (!token || token.tenantId !== ctx.tenant.id) return undefined;
        const live =
          token.sessionRevokedAt === null &&
          token.userDisabledAt === null &&
          token.expiresAt > now &&
          token.sessionExpiresAt > now;
        const next = successorOf(refreshToken);
        const claimed = token.usedAt === null && (await repository.claimRefreshToken(tx, token.id, now));
        if (!claimed) {
          // Used already (or just now, by a concurrent refresh): within the grace interval, and
          // while its successor is still unused, the same successor again; otherwise a replay.
          const usedAt = token.usedAt ?? (await repository.findRefreshToken(tx, digestToken(refreshToken)))?.usedAt ?? null;
          const successor = usedAt !== null && live && withinReuseInterval(usedAt, now) ? await repository.findRefreshToken(tx, digestToken(next)) : undefined;
          if (successor && successor.usedAt === null && successor.sessionId === token.sessionId) {
            const user = await repository.findUserById(tx, token.tenantId, token.userId);
            return user && { user, session: { sessionId: token.sessionId, refreshToken: next } };
          }
          await repository.revokeSession(tx, token.sessionId, now, 'refresh_token_reuse');
          return undefined;
        }
        if (!live) return undefined;
        const user = await repository.findUserById(tx, token.tenantId, token.userId);
        if (!user) return undefined;
        const expiresAt = isoAfter(clock, deps.refreshTokenTtlSeconds);
        await repository.insertRefreshToken(tx, { sessionId: token.sessionId, tokenHash: digestToken(next), now, expiresAt });
        await repository.extendSession(tx, token.sessionId, { expiresAt, now, client });
        return { user, session: { sessionId: token.sessionId, refreshToken: next } };
      });
      if (!outcome) throw new AppError('AUTH.INVALID_TOKEN');
      return issue(outcome.user, outcome.session);
    },

    async logout(ctx: UserContext): Promise<void> {
      await inTransaction(db, (tx) =>
        repository.revokeSession(tx, ctx.actor.sessionId, clock.now().toISOString(), 'logout'),
      );
    },

    async listUsers(ctx: UserContext, query: { limit: number; cursor?: string }): Promise<Page<User>> {
      const rows = await repository.listUsers(db, ctx.tenant.id, decodeCursor(query.cursor), query.limit + 1);
      return toPage(rows, query.limit);
    },

    /**
     * Tenant roles and disabling; the tenant always keeps an enabled owner. Each change is
     * audited in the tenant's log, by the signed-in owner or as the operator's (the CLI).
     */
    async updateUser(ctx: UserContext | OperatorChange, userId: number, input: UpdateTenantUserBody): Promise<User> {
      const now = clock.now().toISOString();
      return inTransaction(db, async (tx) => {
        const audit = (event: { action: string; details?: Record<string, unknown> }) => {
          const full = { ...event, targetType: 'user', targetId: userId, workspaceId: null, at: now };
          return 'operator' in ctx ? recordAuditWithoutContext(tx, { tenantId: ctx.tenant.id, userId: null }, full, 'operator') : recordAudit(tx, ctx, full);
        };
        await lockRow(tx, 'tenants', ctx.tenant.id);
        const existing = await repository.findUserById(tx, ctx.tenant.id, userId);
        if (!existing) throw new AppError('USER.NOT_FOUND');
        const disabledAt = input.disabled === undefined ? undefined : input.disabled ? (existing.disabledAt ?? now) : null;
        const updated = await repository.updateUserKeepingAnOwner(tx, ctx.tenant.id, userId, {
          ...(input.tenant_role === undefined ? {} : { tenant_role: input.tenant_role }),
          ...(disabledAt === undefined ? {} : { disabled_at: disabledAt }),
          updated_at: now,
        });
        if (!updated) throw new AppError('TENANT.LAST_OWNER');
        if (updated.tenantRole !== existing.tenantRole) await audit({ action: 'tenant.user_role_changed', details: { from: existing.tenantRole, to: updated.tenantRole } });
        if ((existing.disabledAt === null) !== (updated.disabledAt === null)) await audit({ action: updated.disabledAt === null ? 'tenant.user_enabled' : 'tenant.user_disabled' });
        if (input.disabled === true) {
          await repository.revokeUserSessions(tx, userId, now, 'user_disabled');
          // Nothing mailed or handed out before the account was disabled works after it is enabled again.
          await accounts.retireAccountTokens(tx, userId, ACCOUNT_TOKEN_PURPOSES, now);
        }
        // Made an owner or admin where those must sign in with a second factor, and having none:
        // the password-only sessions end, and the next sign-in enrolls one.
        if (MFA_POLICY_ROLES.includes(updated.tenantRole) && !updated.mfaEnabled && (await accounts.readAccountPolicy(tx, ctx.tenant.id))?.mfaRequiredForAdmins) {
          await repository.revokeUserSessions(tx, userId, now, 'mfa_required');
        }
        // Losing the tenant-wide view loses the workspaces seen only through it, as current or default.
        if (!tenantRoleGrants(updated.tenantRole, 'view_all_locations')) await repository.clearPointersOutsideMemberships(tx, userId);
        return updated;
      });
    },

    async findUserByEmail(tenantSlug: string, email: string): Promise<User | undefined> {
      const tenant = await deps.tenants.requireTenant(tenantSlug);
      return repository.findUserByEmailKey(db, tenant.id, normalizeKey(email));
    },
  };
}
