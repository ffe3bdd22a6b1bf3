import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, onPathWorkspace } from '../../core/auth/policy.ts';
import { userContextOf, userInWorkspaceOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { mountSchema, type Mount, type TypeBoxApp } from '../../core/http/mount.ts';
import { DataEnvelope, IdParams, ListEnvelope, ListQuery, MessageOnly, parseId } from '../../core/http/schemas.ts';
import { createSerializeOnce } from '../../core/http/serialize-once.ts';
import {
  ContextSwitched,
  CreateWorkspaceBody,
  DocumentSubtypeBody,
  UpdateWorkspaceBody,
  Workspace,
} from './workspaces.schemas.ts';
import type { WorkspaceListing, WorkspacesService } from './workspaces.service.ts';

export function toWorkspace(listing: WorkspaceListing, callerId: number): Workspace {
  return {
    id: listing.id,
    biz_id: listing.bizId,
    name: listing.name,
    slug: listing.slug,
    logo: listing.logo,
    owner_id: listing.owner?.id ?? null,
    owner: listing.owner,
    is_owner: listing.owner?.id === callerId,
    role: listing.callerRole,
    preferred_document_subtype: listing.preferredDocumentSubtype,
    ...(listing.memberCount === undefined ? {} : { member_count: listing.memberCount }),
    created_at: listing.createdAt,
    updated_at: listing.updatedAt,
  };
}

/** Lists the workspaces the caller can access; mounted on both surfaces. */
export function mountListWorkspaces(app: TypeBoxApp, workspaces: WorkspacesService, mount: Mount): void {
  const sendPage = createSerializeOnce<Awaited<ReturnType<WorkspacesService['list']>>>();
  app.get(
    mount.url,
    {
      config: { policy: mount.policy },
      schema: {
        ...mountSchema(mount),
        summary: 'Workspaces the caller can access (all of the tenant with view_all_locations)',
        querystring: ListQuery,
        response: { 200: ListEnvelope(Workspace) },
      },
    },
    async (request, reply) => {
      const ctx = userContextOf(request);
      // The page is the caller's own (the service keys it by caller), so its body may be kept with it.
      const page = await workspaces.list(ctx, request.query);
      return sendPage(reply, page, ({ items, nextCursor }) => ({
        data: items.map((w) => toWorkspace(w, ctx.actor.userId)),
        meta: { next_cursor: nextCursor },
      }));
    },
  );
}

/** Creates a workspace the caller owns, within the tenant's owned-workspace limit; mounted on both surfaces. */
export function mountCreateWorkspace(app: TypeBoxApp, workspaces: WorkspacesService, mount: Mount): void {
  app.post(
    mount.url,
    {
      config: { policy: mount.policy },
      schema: {
        ...mountSchema(mount),
        summary: 'Create a workspace; the caller becomes its owner and it becomes the current one',
        body: CreateWorkspaceBody,
        response: { 201: DataEnvelope(Workspace) },
      },
    },
    async (request, reply) => {
      const ctx = userContextOf(request);
      const created = await workspaces.create(ctx, request.body);
      return reply
        .code(201)
        .send({ data: toWorkspace(created, ctx.actor.userId), message: request.translate('workspace.created') });
    },
  );
}

/** Makes the path's workspace the caller's default, entered at sign-in; mounted on both surfaces. */
export function mountSetDefaultWorkspace(app: TypeBoxApp, workspaces: WorkspacesService, mount: Mount): void {
  app.post(
    mount.url,
    {
      config: { policy: mount.policy },
      schema: { ...mountSchema(mount), summary: 'Make this your default workspace, entered at sign-in', response: { 200: MessageOnly } },
    },
    async (request) => {
      await workspaces.setDefault(userInWorkspaceOf(request));
      return { message: request.translate('workspace.default_set') };
    },
  );
}

export const workspacesRoutes: FastifyPluginAsyncTypebox<{ workspaces: WorkspacesService }> = async (app, { workspaces }) => {
  mountListWorkspaces(app, workspaces, { url: '/workspaces', policy: authenticated(), operationId: 'listWorkspaces', tag: 'workspaces' });
  mountCreateWorkspace(app, workspaces, { url: '/workspaces', policy: authenticated(), operationId: 'createWorkspace', tag: 'workspaces' });
  mountSetDefaultWorkspace(app, workspaces, {
    url: '/workspaces/:id/default',
    policy: onPathWorkspace('workspaces:view', { usersOnly: true, notActingAs: true }),
    operationId: 'setDefaultWorkspace',
    tag: 'workspaces',
    params: IdParams,
  });

  app.get(
    '/workspaces/:id',
    {
      config: { policy: onPathWorkspace('workspaces:view') },
      schema: { operationId: 'getWorkspace', tags: ['workspaces'], summary: 'One workspace', params: IdParams, response: { 200: DataEnvelope(Workspace) } },
    },
    async (request) => {
      const ctx = workspaceContextOf(request);
      return { data: toWorkspace(await workspaces.get(ctx), ctx.actor.userId) };
    },
  );

  // PUT is kept beside PATCH for existing clients: the same partial update under its own operationId.
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/workspaces/:id',
      config: { policy: onPathWorkspace('workspaces:edit') },
      schema: {
        operationId: method === 'PATCH' ? 'updateWorkspace' : 'putWorkspace',
        tags: ['workspaces'],
        summary:
          method === 'PATCH'
            ? 'Rename a workspace or change its slug or logo (owners only)'
            : 'Rename a workspace or change its slug or logo (owners only); the same as PATCH',
        params: IdParams,
        body: UpdateWorkspaceBody,
        response: { 200: DataEnvelope(Workspace) },
      },
      handler: async (request) => {
        const ctx = workspaceContextOf(request);
        const updated = await workspaces.update(ctx, request.body);
        return { data: toWorkspace(updated, ctx.actor.userId), message: request.translate('workspace.updated') };
      },
    });
  }

  app.delete(
    '/workspaces/:id',
    {
      config: { policy: onPathWorkspace('workspaces:delete', { notActingAs: true }) },
      schema: {
        operationId: 'deleteWorkspace',
        tags: ['workspaces'],
        summary: 'Delete a workspace with its roles, memberships and API keys (owners only)',
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await workspaces.remove(workspaceContextOf(request));
      return { message: request.translate('workspace.deleted') };
    },
  );

  app.patch(
    '/workspace-context/:id',
    {
      config: { policy: onPathWorkspace('workspaces:view', { usersOnly: true, notActingAs: true }) },
      schema: {
        operationId: 'switchWorkspace',
        tags: ['workspaces'],
        summary: 'Switch the current workspace',
        params: IdParams,
        response: { 200: DataEnvelope(ContextSwitched) },
      },
    },
    async (request) => {
      const ctx = userInWorkspaceOf(request);
      await workspaces.switchContext(ctx);
      return {
        data: { current_workspace_id: ctx.workspace.id, workspace: { id: ctx.workspace.id, name: ctx.workspace.name } },
        message: request.translate('workspace.context_updated'),
      };
    },
  );

  app.delete(
    '/workspace-context/:id',
    {
      config: { policy: authenticated() },
      schema: {
        operationId: 'clearCurrentWorkspace',
        tags: ['workspaces'],
        summary: 'Clear the current workspace (if it is this one)',
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await workspaces.clearContext(userContextOf(request), parseId(request.params.id, 'WORKSPACE.NOT_FOUND'));
      return { message: request.translate('workspace.context_cleared') };
    },
  );

  app.put(
    '/workspaces/:id/preferred-document-subtype',
    {
      config: { policy: onPathWorkspace('settings:edit') },
      schema: {
        operationId: 'setPreferredDocumentSubtype',
        tags: ['workspaces'],
        summary: 'Set the NCF sequence new invoices draw from',
        params: IdParams,
        body: DocumentSubtypeBody,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await workspaces.setDocumentSubtype(workspaceContextOf(request), request.body.document_subtype);
      return { message: request.translate('workspace.document_subtype_updated') };
    },
  );
};
