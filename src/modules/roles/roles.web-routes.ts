import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BY_WORKSPACE_ID, onPathWorkspace } from '../../core/auth/policy.ts';
import { WorkspaceIdParams } from '../../core/http/schemas.ts';
import { mountCreateRole, mountListRoles } from './roles.routes.ts';
import type { RolesService } from './roles.service.ts';

/** Seed 003's role routes on `/web/v1`: the workspace named by its integer id in the path. */
export const rolesWebRoutes: FastifyPluginAsyncTypebox<{ roles: RolesService }> = async (app, { roles }) => {
  const url = '/workspaces/:workspaceId/roles';
  const inPath = { path: BY_WORKSPACE_ID };
  mountListRoles(app, roles, { url, policy: onPathWorkspace('roles:view', inPath), operationId: 'webListRoles', tag: 'web', params: WorkspaceIdParams });
  mountCreateRole(app, roles, { url, policy: onPathWorkspace('roles:manage', inPath), operationId: 'webCreateRole', tag: 'web', params: WorkspaceIdParams });
};
