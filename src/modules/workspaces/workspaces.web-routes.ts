import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, BY_WORKSPACE_BIZ_ID, onPathWorkspace } from '../../core/auth/policy.ts';
import { WorkspaceBizIdParams } from '../../core/http/schemas.ts';
import { mountCreateWorkspace, mountListWorkspaces, mountSetDefaultWorkspace } from './workspaces.routes.ts';
import type { WorkspacesService } from './workspaces.service.ts';

/** Seed 003's workspace routes on `/web/v1`: the user-scoped `/tenant/workspaces/…`, and `/workspaces/self`. */
export const workspacesWebRoutes: FastifyPluginAsyncTypebox<{ workspaces: WorkspacesService }> = async (app, { workspaces }) => {
  mountListWorkspaces(app, workspaces, { url: '/tenant/workspaces/mine', policy: authenticated(), operationId: 'webListMyWorkspaces', tag: 'web' });
  mountSetDefaultWorkspace(app, workspaces, {
    url: '/tenant/workspaces/:workspaceBizId/default',
    policy: onPathWorkspace('workspaces:view', { path: BY_WORKSPACE_BIZ_ID, usersOnly: true, notActingAs: true }),
    operationId: 'webSetDefaultWorkspace',
    tag: 'web',
    params: WorkspaceBizIdParams,
  });
  mountCreateWorkspace(app, workspaces, { url: '/workspaces/self', policy: authenticated(), operationId: 'webCreateWorkspace', tag: 'web' });
};
