import type { FastifyRequest } from 'fastify';
import { isLocale } from '../../core/i18n/index.ts';
import type { IssuedSession, SessionClient, SignIn, User } from './identity.service.ts';

/** How the identity routes show a user, a token pair and a challenge: one shape each, whichever route answers. */
export function userSummary(user: Pick<User, 'id' | 'name' | 'email' | 'emailVerified' | 'tenantRole' | 'createdAt'>) {
  return { id: user.id, name: user.name, email: user.email, email_verified: user.emailVerified, tenant_role: user.tenantRole, created_at: user.createdAt };
}

export function tenantUser(user: User) {
  return { ...userSummary(user), disabled: user.disabledAt !== null, mfa_enabled: user.mfaEnabled, updated_at: user.updatedAt };
}

/** `/api/v1/me`: the user with their tenant, whether read from the request context or just changed. */
export function me(user: Omit<User, 'tenantId' | 'disabledAt' | 'updatedAt'>, tenant: { slug: string; name: string }) {
  return {
    ...userSummary(user),
    locale: user.locale !== null && isLocale(user.locale) ? user.locale : null,
    mfa_enabled: user.mfaEnabled,
    current_workspace_id: user.currentWorkspaceId,
    default_workspace_id: user.defaultWorkspaceId,
    tenant: { slug: tenant.slug, name: tenant.name },
  };
}

export function tokenPair(issued: IssuedSession) {
  return {
    user: userSummary(issued.user),
    access_token: issued.accessToken,
    refresh_token: issued.refreshToken,
    token_type: 'Bearer' as const,
    expires_in: issued.expiresInSeconds,
  };
}

export function secondFactorChallenge(request: FastifyRequest, challenge: Extract<SignIn, { kind: 'second_factor' }>) {
  return {
    data: { mfa_token: challenge.challengeToken, enrollment_required: challenge.enrollment, expires_in: challenge.expiresInSeconds },
    message: request.translate(challenge.enrollment ? 'auth.second_factor_enrollment_required' : 'auth.second_factor_required'),
  };
}

// Kept as the person's list of sessions shows them: enough to tell devices apart, bounded in size.
const USER_AGENT_KEPT = 300;

/** Where a sign-in or refresh comes from. */
export function clientOf(request: FastifyRequest): SessionClient {
  const userAgent = request.headers['user-agent'];
  return { userAgent: typeof userAgent === 'string' && userAgent !== '' ? userAgent.slice(0, USER_AGENT_KEPT) : null, ip: request.ip || null };
}
