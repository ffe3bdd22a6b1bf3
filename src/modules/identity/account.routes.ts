import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { anonymous, authenticated, requiresTenant } from '../../core/auth/policy.ts';
import { tenantContextOf, userContextOf } from '../../core/auth/resolve-context.ts';
import { bodyEmailKey, byClientNetwork, createAttemptLimiter } from '../../core/http/rate-limit.ts';
import { DataEnvelope, IdParams, MessageOnly, parseId } from '../../core/http/schemas.ts';
import type { AccountPolicy as Policy, AccountService, SessionRecord } from './account.service.ts';
import {
  AccountPolicy,
  ChangeEmailBody,
  ChangePasswordBody,
  CodeBody,
  EmailBody,
  Enrollment,
  Me,
  MfaStatus,
  MfaTokenBody,
  MfaVerifyBody,
  PasswordResetBody,
  RecoveryCodes,
  Session,
  SessionsEnded,
  SignedInWithSecondFactor,
  TokenBody,
  UpdateAccountPolicyBody,
  UpdateProfileBody,
} from './identity.schemas.ts';
import { clientOf, me } from './identity.views.ts';
import type { RefreshCookie } from './refresh-cookie.ts';
import type { MfaService } from './mfa.service.ts';
import { Type } from '@sinclair/typebox';

const sessionView = (currentSessionId: number | undefined) => (session: SessionRecord) => ({
  id: session.id,
  current: session.id === currentSessionId,
  created_at: session.createdAt,
  last_used_at: session.lastUsedAt,
  expires_at: session.expiresAt,
  user_agent: session.userAgent,
  ip: session.ip,
});

const policyView = (policy: Policy) => ({ email_verification: policy.emailVerification, mfa_required_for_admins: policy.mfaRequiredForAdmins });

const enrollmentView = (enrollment: { secret: string; otpauthUri: string }) => ({ secret: enrollment.secret, otpauth_uri: enrollment.otpauthUri });

/**
 * The account life cycle (issue 19): mailed links (verify, reset, confirm a new address), the
 * signed-in person's password, address, profile, sessions and second factor, the second step
 * of a sign-in, and the tenant's account policy and a user's sessions for tenant admins.
 */
export const accountRoutes: FastifyPluginAsyncTypebox<{
  accounts: AccountService;
  mfa: MfaService;
  authRateLimit: { max: number; windowSeconds: number };
  refreshCookie: RefreshCookie;
}> = async (app, { accounts, mfa, authRateLimit, refreshCookie }) => {
  const limited = (name: string, keys: Array<(request: FastifyRequest) => string>) => {
    const limiter = createAttemptLimiter(app, { name, ...authRateLimit, keys });
    return { preHandler: (request: FastifyRequest) => limiter.check(request) };
  };
  const byUser = (request: FastifyRequest) => `user:${request.ctx?.tenant.id ?? 0}:${request.ctx?.actor?.userId ?? 0}`;
  // Mail to an address: per IP and per address, so nobody floods a mailbox or probes many.
  const mailRequests = limited('account-mail', [byClientNetwork, (request) => `email:${bodyEmailKey(request)}`]);
  // Tokens and codes from outside: per IP (a mailed token cannot be guessed; a challenge also dies after five wrong codes).
  const tokenAttempts = limited('account-tokens', [byClientNetwork]);
  // A signed-in person's password or second-factor checks: per account and per IP.
  const secretChecks = limited('account-secrets', [byClientNetwork, byUser]);

  app.post(
    '/auth/email-verification',
    {
      config: { policy: anonymous() },
      ...mailRequests,
      schema: {
        operationId: 'requestEmailVerification',
        tags: ['account'],
        summary: 'Mail a new link that proves the address (answered alike whether or not an account uses it)',
        body: EmailBody,
        response: { 202: MessageOnly },
      },
    },
    async (request, reply) => {
      await accounts.requestVerification(tenantContextOf(request), request.body.email);
      return reply.code(202).send({ message: request.translate('account.mail_sent') });
    },
  );

  app.post(
    '/auth/email-verification/confirm',
    {
      config: { policy: anonymous() },
      ...tokenAttempts,
      schema: { operationId: 'confirmEmailVerification', tags: ['account'], summary: 'Prove the address with the mailed token', body: TokenBody, response: { 200: MessageOnly } },
    },
    async (request) => {
      await accounts.confirmVerification(tenantContextOf(request), request.body.token);
      return { message: request.translate('account.email_verified') };
    },
  );

  app.post(
    '/auth/password-reset',
    {
      config: { policy: anonymous() },
      ...mailRequests,
      schema: {
        operationId: 'requestPasswordReset',
        tags: ['account'],
        summary: 'Mail a password reset link (answered alike whether or not an account uses the address)',
        body: EmailBody,
        response: { 202: MessageOnly },
      },
    },
    async (request, reply) => {
      await accounts.requestPasswordReset(tenantContextOf(request), request.body.email);
      return reply.code(202).send({ message: request.translate('account.mail_sent') });
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      config: { policy: anonymous() },
      ...tokenAttempts,
      schema: {
        operationId: 'resetPassword',
        tags: ['account'],
        summary: 'Set a new password with the mailed token; every session of the account ends',
        body: PasswordResetBody,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await accounts.resetPassword(tenantContextOf(request), request.body);
      return { message: request.translate('account.password_reset') };
    },
  );

  app.post(
    '/auth/email-change/confirm',
    {
      config: { policy: anonymous() },
      ...tokenAttempts,
      schema: {
        operationId: 'confirmEmailChange',
        tags: ['account'],
        summary: 'Confirm a new address with the token mailed to it; the old address is told',
        body: TokenBody,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await accounts.confirmEmailChange(tenantContextOf(request), request.body.token);
      return { message: request.translate('account.email_changed') };
    },
  );

  app.post(
    '/auth/mfa/verify',
    {
      config: { policy: anonymous() },
      ...tokenAttempts,
      schema: {
        operationId: 'verifySecondFactor',
        tags: ['account'],
        summary: "The second step of a sign-in: a code from the authenticator or a recovery code",
        body: MfaVerifyBody,
        response: { 200: DataEnvelope(SignedInWithSecondFactor) },
      },
    },
    async (request, reply) => {
      const ctx = tenantContextOf(request);
      const { issued, recoveryCodes } = await mfa.completeSignIn(ctx, request.body, clientOf(request));
      return {
        data: { ...refreshCookie.deliver(request, reply, ctx.tenant.slug, issued), ...(recoveryCodes ? { recovery_codes: recoveryCodes } : {}) },
        message: request.translate(recoveryCodes ? 'mfa.enabled' : 'auth.logged_in'),
      };
    },
  );

  app.post(
    '/auth/mfa/enroll',
    {
      config: { policy: anonymous() },
      ...tokenAttempts,
      schema: {
        operationId: 'enrollSecondFactorAtSignIn',
        tags: ['account'],
        summary: 'A sign-in that must set up a second factor first: the secret to scan, then confirm with /auth/mfa/verify',
        body: MfaTokenBody,
        response: { 200: DataEnvelope(Enrollment) },
      },
    },
    async (request) => ({
      data: enrollmentView(await mfa.beginChallengeEnrollment(tenantContextOf(request), request.body.mfa_token)),
      message: request.translate('mfa.enrollment_started'),
    }),
  );

  app.patch(
    '/me',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'updateMe', tags: ['account'], summary: 'Change your name or preferred language', body: UpdateProfileBody, response: { 200: DataEnvelope(Me) } },
    },
    async (request) => {
      const ctx = userContextOf(request);
      return { data: me(await accounts.updateProfile(ctx, request.body), ctx.tenant), message: request.translate('account.profile_updated') };
    },
  );

  app.put(
    '/me/password',
    {
      config: { policy: authenticated() },
      ...secretChecks,
      schema: {
        operationId: 'changePassword',
        tags: ['account'],
        summary: 'Change your password (the current one required); your other sessions end',
        body: ChangePasswordBody,
        response: { 200: DataEnvelope(SessionsEnded) },
      },
    },
    async (request) => {
      const { sessionsEnded } = await accounts.changePassword(userContextOf(request), request.body);
      return { data: { sessions_ended: sessionsEnded }, message: request.translate('account.password_changed') };
    },
  );

  app.post(
    '/me/email',
    {
      config: { policy: authenticated() },
      ...secretChecks,
      schema: {
        operationId: 'requestEmailChange',
        tags: ['account'],
        summary: 'Change your address: a link is mailed to the new one, and nothing changes until it is followed',
        body: ChangeEmailBody,
        response: { 202: MessageOnly },
      },
    },
    async (request, reply) => {
      await accounts.requestEmailChange(userContextOf(request), request.body);
      return reply.code(202).send({ message: request.translate('account.email_change_sent') });
    },
  );

  app.get(
    '/me/sessions',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'listMySessions', tags: ['account'], summary: 'Your live sessions, newest first', response: { 200: DataEnvelope(Type.Array(Session)) } },
    },
    async (request) => {
      const ctx = userContextOf(request);
      return { data: (await accounts.listSessions(ctx)).map(sessionView(ctx.actor.sessionId)) };
    },
  );

  app.delete(
    '/me/sessions/:id',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'endMySession', tags: ['account'], summary: 'End one of your sessions', params: IdParams, response: { 200: MessageOnly } },
    },
    async (request) => {
      await accounts.endSession(userContextOf(request), parseId(request.params.id, 'SESSION.NOT_FOUND'));
      return { message: request.translate('account.session_ended') };
    },
  );

  app.delete(
    '/me/sessions',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'endMyOtherSessions', tags: ['account'], summary: 'End every session of yours but this one', response: { 200: DataEnvelope(SessionsEnded) } },
    },
    async (request) => ({
      data: { sessions_ended: await accounts.endOtherSessions(userContextOf(request)) },
      message: request.translate('account.sessions_ended'),
    }),
  );

  app.get(
    '/me/mfa',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'getMySecondFactor', tags: ['account'], summary: 'Whether a second factor guards your sign-in', response: { 200: DataEnvelope(MfaStatus) } },
    },
    async (request) => {
      const status = await mfa.status(userContextOf(request));
      return { data: { enabled: status.enabled, enabled_at: status.enabledAt, recovery_codes_left: status.recoveryCodesLeft } };
    },
  );

  app.post(
    '/me/mfa/totp',
    {
      config: { policy: authenticated() },
      schema: {
        operationId: 'startTotpEnrollment',
        tags: ['account'],
        summary: 'Start setting up an authenticator app: the secret to scan (it guards nothing until confirmed)',
        response: { 201: DataEnvelope(Enrollment) },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ data: enrollmentView(await mfa.beginEnrollment(userContextOf(request))), message: request.translate('mfa.enrollment_started') }),
  );

  app.post(
    '/me/mfa/totp/confirm',
    {
      config: { policy: authenticated() },
      ...secretChecks,
      schema: { operationId: 'confirmTotpEnrollment', tags: ['account'], summary: 'Turn the second factor on with a code from the app', body: CodeBody, response: { 200: DataEnvelope(RecoveryCodes) } },
    },
    async (request) => ({
      data: { recovery_codes: await mfa.confirmEnrollment(userContextOf(request), request.body.code) },
      message: request.translate('mfa.enabled'),
    }),
  );

  app.post(
    '/me/mfa/disable',
    {
      config: { policy: authenticated() },
      ...secretChecks,
      schema: { operationId: 'disableSecondFactor', tags: ['account'], summary: 'Turn the second factor off, with a code from it or a recovery code', body: CodeBody, response: { 200: MessageOnly } },
    },
    async (request) => {
      await mfa.disable(userContextOf(request), request.body.code);
      return { message: request.translate('mfa.disabled') };
    },
  );

  app.post(
    '/me/mfa/recovery-codes',
    {
      config: { policy: authenticated() },
      ...secretChecks,
      schema: {
        operationId: 'regenerateRecoveryCodes',
        tags: ['account'],
        summary: 'New recovery codes in place of all the old ones, with a code from the second factor',
        body: CodeBody,
        response: { 200: DataEnvelope(RecoveryCodes) },
      },
    },
    async (request) => ({
      data: { recovery_codes: await mfa.regenerateRecoveryCodes(userContextOf(request), request.body.code) },
      message: request.translate('mfa.recovery_codes_regenerated'),
    }),
  );

  app.get(
    '/tenant/users/:id/sessions',
    {
      config: { policy: requiresTenant('tenant_users:sessions') },
      schema: { operationId: 'listTenantUserSessions', tags: ['tenant'], summary: "A user's live sessions", params: IdParams, response: { 200: DataEnvelope(Type.Array(Session)) } },
    },
    async (request) => {
      const sessions = await accounts.listSessionsOf(userContextOf(request), parseId(request.params.id, 'USER.NOT_FOUND'));
      return { data: sessions.map(sessionView(undefined)) };
    },
  );

  app.delete(
    '/tenant/users/:id/sessions',
    {
      config: { policy: requiresTenant('tenant_users:sessions') },
      schema: { operationId: 'endTenantUserSessions', tags: ['tenant'], summary: "End every session of a user", params: IdParams, response: { 200: DataEnvelope(SessionsEnded) } },
    },
    async (request) => ({
      data: { sessions_ended: await accounts.endSessionsOf(userContextOf(request), parseId(request.params.id, 'USER.NOT_FOUND')) },
      message: request.translate('account.sessions_ended'),
    }),
  );

  app.delete(
    '/tenant/users/:id/mfa',
    {
      config: { policy: requiresTenant('tenant_users:manage') },
      schema: {
        operationId: 'resetTenantUserSecondFactor',
        tags: ['tenant'],
        summary: "Turn off a user's second factor (a lost authenticator and recovery codes); their sessions end",
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await mfa.resetFor(userContextOf(request), parseId(request.params.id, 'USER.NOT_FOUND'));
      return { message: request.translate('mfa.reset') };
    },
  );

  app.get(
    '/tenant/account-policy',
    {
      config: { policy: requiresTenant('tenant:view') },
      schema: { operationId: 'getAccountPolicy', tags: ['tenant'], summary: "The tenant's account policy", response: { 200: DataEnvelope(AccountPolicy) } },
    },
    async (request) => ({ data: policyView(await accounts.readPolicy(userContextOf(request))) }),
  );

  app.patch(
    '/tenant/account-policy',
    {
      config: { policy: requiresTenant('tenant:edit') },
      schema: {
        operationId: 'updateAccountPolicy',
        tags: ['tenant'],
        summary: 'Require a proved address (before joining workspaces, or before signing in), or a second factor of owners and admins',
        body: UpdateAccountPolicyBody,
        response: { 200: DataEnvelope(AccountPolicy) },
      },
    },
    async (request) => ({
      data: policyView(await accounts.updatePolicy(userContextOf(request), request.body)),
      message: request.translate('account.policy_updated'),
    }),
  );
};
