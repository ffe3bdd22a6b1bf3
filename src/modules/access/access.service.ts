import { isWorkspacePermission, rolePermissions } from '../../core/auth/permissions.ts';
import type { ContextLoader, LoadedAccess } from '../../core/auth/resolve-context.ts';
import { digestToken } from '../../core/auth/secrets.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { tenantRowToTenant, tenantToContext, type TenantsService } from '../tenants/tenants.service.ts';
import { loadAccessRow } from './access.repository.ts';

const splitList = (list: string | null) => (list ? list.split(',') : []);

/**
 * Implements the core's ContextLoader: who is asking, in which workspace, with which
 * role. Nothing is cached, so a revoked session, key, membership or role change
 * shows on the next request in every process.
 */
export function createContextLoader(deps: {
  db: Db;
  clock: Clock;
  tenants: TenantsService;
  onApiKeyUsed: (apiKeyId: number) => void;
}): ContextLoader {
  return {
    async findTenant(slug) {
      const tenant = await deps.tenants.findBySlug(slug);
      return tenant && tenantToContext(tenant);
    },

    async load(slug, credential, target) {
      const row = await loadAccessRow(deps.db, {
        slug,
        now: deps.clock.now().toISOString(),
        sessionId: credential.kind === 'session' ? credential.claims.sessionId : 0,
        sessionUserId: credential.kind === 'session' ? credential.claims.userId : 0,
        apiKeyHash: credential.kind === 'api_key' ? digestToken(credential.secret) : '',
        workspaceId: target.kind === 'id' ? target.id : target.kind === 'current' ? null : 0,
      });
      if (!row) return undefined;
      const {
        session_id,
        api_key_id,
        api_key_workspace_id,
        user_id,
        user_tenant_role,
        user_name,
        user_email,
        user_created_at,
        user_current_workspace_id,
        user_default_workspace_id,
        workspace_id,
        workspace_biz_id,
        workspace_name,
        member_role,
        role_is_builtin,
        role_permissions,
        api_key_scopes,
        ...tenantRow
      } = row;
      const tenant = tenantToContext(tenantRowToTenant(tenantRow));

      let actor: LoadedAccess['actor'];
      if (user_id !== null && user_tenant_role !== null) {
        if (credential.kind === 'session' && session_id !== null && user_name !== null && user_email !== null && user_created_at !== null) {
          const profile = {
            name: user_name,
            email: user_email,
            createdAt: user_created_at,
            currentWorkspaceId: user_current_workspace_id,
            defaultWorkspaceId: user_default_workspace_id,
          };
          actor = { kind: 'user', userId: user_id, sessionId: session_id, tenantRole: user_tenant_role, profile };
        } else if (credential.kind === 'api_key' && api_key_id !== null) {
          actor = { kind: 'api_key', apiKeyId: api_key_id, userId: user_id, tenantRole: user_tenant_role };
          deps.onApiKeyUsed(api_key_id);
        }
      }

      const workspace =
        workspace_id !== null && workspace_biz_id !== null && workspace_name !== null
          ? {
              id: workspace_id,
              bizId: workspace_biz_id,
              name: workspace_name,
              membership:
                member_role === null
                  ? null
                  : {
                      role: member_role,
                      permissions: rolePermissions(
                        { name: member_role, isBuiltin: role_is_builtin === 1 },
                        splitList(role_permissions),
                      ),
                    },
            }
          : undefined;

      const apiKey =
        actor?.kind === 'api_key' && api_key_workspace_id !== null
          ? { workspaceId: api_key_workspace_id, scopes: splitList(api_key_scopes).filter(isWorkspacePermission) }
          : undefined;
      return { tenant, actor, workspace, ...(apiKey ? { apiKey } : {}) };
    },
  };
}
