import { AppError } from '../../errors.ts';
import { tenantRoleGrants } from '../permissions.ts';
import type { Policy } from '../policy.ts';
import type { RequestContext } from '../request-context.ts';

/**
 * Step 6, the route's policy against the resolved context, after validation: first how
 * (403 for a route refused while acting as a sub workspace: the clearest answer, whatever
 * the caller holds), then the tenant role's or the workspace's permission (403 naming it),
 * then who may call (403 for an API key on a route for users only). Returns the refusal, if any.
 */
export function policyRefusal(policy: Policy, ctx: RequestContext | null): AppError | undefined {
  if (policy.access === 'tenant') {
    const actor = ctx?.actor;
    if (!actor || !tenantRoleGrants(actor.tenantRole, policy.permission)) return new AppError('AUTH.FORBIDDEN', { permission: policy.permission });
  }
  if (policy.access === 'workspace') {
    if (policy.actingAs === 'refused' && ctx?.workspace?.actingFrom) {
      return new AppError('CONTEXT.ACTING_AS_FORBIDDEN', { admin_workspace_id: ctx.workspace.actingFrom.id });
    }
    if (!ctx?.workspace?.permissions.has(policy.permission)) return new AppError('AUTH.FORBIDDEN', { permission: policy.permission });
    if (policy.callers === 'users' && ctx.actor?.kind !== 'user') return new AppError('AUTH.FORBIDDEN', { reason: 'api_keys_cannot_do_this' });
  }
  return undefined;
}
