import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TENANT_ROLE_PERMISSIONS } from '../../core/auth/permissions.ts';
import { authenticated, inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { mountSchema, type Mount, type TypeBoxApp } from '../../core/http/mount.ts';
import { DataEnvelope, IdParams, ListEnvelope, ListQuery, MessageOnly, parseId } from '../../core/http/schemas.ts';
import { DeleteRoleQuery, MyPermissions, PermissionEntry, Role, roleBodies } from './roles.schemas.ts';
import type { RolesService } from './roles.service.ts';

/** Lists the workspace's roles, built-in and custom; mounted on both surfaces. */
export function mountListRoles(app: TypeBoxApp, roles: RolesService, mount: Mount): void {
  app.get(
    mount.url,
    {
      config: { policy: mount.policy },
      schema: {
        ...mountSchema(mount),
        summary: 'Roles of the workspace, built-in and custom',
        querystring: ListQuery,
        response: { 200: ListEnvelope(Role) },
      },
    },
    async (request) => {
      const page = await roles.list(workspaceContextOf(request), request.query);
      return { data: page.items, meta: { next_cursor: page.nextCursor } };
    },
  );
}

/** Creates a custom role; mounted on both surfaces. */
export function mountCreateRole(app: TypeBoxApp, roles: RolesService, mount: Mount): void {
  app.post(
    mount.url,
    {
      config: { policy: mount.policy },
      schema: {
        ...mountSchema(mount),
        summary: 'Create a custom role (only with permissions you hold)',
        body: roleBodies(roles.permissionCount).create,
        response: { 201: DataEnvelope(Role) },
      },
    },
    async (request, reply) => {
      const role = await roles.create(workspaceContextOf(request), request.body);
      return reply.code(201).send({ data: role, message: request.translate('role.created') });
    },
  );
}

export const rolesRoutes: FastifyPluginAsyncTypebox<{ roles: RolesService }> = async (app, { roles }) => {
  const bodies = roleBodies(roles.permissionCount);
  mountListRoles(app, roles, { url: '/roles', policy: inContext('roles:view'), operationId: 'listRoles', tag: 'roles' });
  mountCreateRole(app, roles, { url: '/roles', policy: inContext('roles:manage'), operationId: 'createRole', tag: 'roles' });

  app.put(
    '/roles/:id',
    {
      config: { policy: inContext('roles:manage') },
      schema: {
        operationId: 'updateRole',
        tags: ['roles'],
        summary: 'Change a custom role (built-in roles are immutable)',
        params: IdParams,
        body: bodies.update,
        response: { 200: DataEnvelope(Role) },
      },
    },
    async (request) => {
      const role = await roles.update(workspaceContextOf(request), parseId(request.params.id, 'ROLE.NOT_FOUND'), request.body);
      return { data: role, message: request.translate('role.updated') };
    },
  );

  app.delete(
    '/roles/:id',
    {
      config: { policy: inContext('roles:manage') },
      schema: {
        operationId: 'deleteRole',
        tags: ['roles'],
        summary: 'Delete a custom role; members holding it move to ?reassign_to=<role name>',
        params: IdParams,
        querystring: DeleteRoleQuery,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await roles.remove(workspaceContextOf(request), parseId(request.params.id, 'ROLE.NOT_FOUND'), request.query.reassign_to);
      return { message: request.translate('role.deleted') };
    },
  );

  app.get(
    '/permissions',
    {
      config: { policy: authenticated() },
      schema: {
        operationId: 'listPermissions',
        tags: ['roles'],
        summary: 'The permission catalogue',
        response: { 200: ListEnvelope(PermissionEntry) },
      },
    },
    async () => ({ data: [...roles.permissionCatalogue()], meta: { next_cursor: null } }),
  );

  app.get(
    '/permissions/me',
    {
      config: { policy: inContext('workspaces:view') },
      schema: {
        operationId: 'getMyPermissions',
        tags: ['roles'],
        summary: 'Your effective permissions in the current workspace context',
        response: { 200: DataEnvelope(MyPermissions) },
      },
    },
    async (request) => {
      const ctx = workspaceContextOf(request);
      return {
        data: {
          workspace_id: ctx.workspace.id,
          role: ctx.workspace.memberRole,
          permissions: [...ctx.workspace.permissions].sort(),
          tenant_role: ctx.actor.tenantRole,
          tenant_permissions: [...TENANT_ROLE_PERMISSIONS[ctx.actor.tenantRole]],
        },
      };
    },
  );
};
