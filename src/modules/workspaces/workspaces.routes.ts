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
  WorkspaceDetails,
} from './workspaces.schemas.ts';
import { UpdateSettingsBody } from '../settings/settings.schemas.ts';
import type { WorkspacesService } from './workspaces.service.ts';
import { toWorkspace } from './workspaces.view.ts';

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
        response: { 201: DataEnvelope(WorkspaceDetails) },
      },
    },
    async (request, reply) => {
      const ctx = userContextOf(request);
      const created = await workspaces.create(ctx, request.body);
      return reply.code(201).send({ data: created, message: request.translate('workspace.created') });
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
      schema: {
        operationId: 'getWorkspace',
        tags: ['workspaces'],
        summary: "One workspace with its plan, usage, settings and the caller's standing (seed 002's object)",
        params: IdParams,
        response: { 200: DataEnvelope(WorkspaceDetails) },
      },
    },
    async (request) => ({ data: await workspaces.details(workspaceContextOf(request)) }),
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
        response: { 200: DataEnvelope(WorkspaceDetails) },
      },
      handler: async (request) => {
        const updated = await workspaces.update(workspaceContextOf(request), request.body);
        return { data: updated, message: request.translate('workspace.updated') };
      },
    });
  }

  app.patch(
    '/workspaces/:id/settings',
    {
      config: { policy: onPathWorkspace('settings:edit') },
      schema: {
        operationId: 'updateWorkspaceSettings',
        tags: ['workspaces'],
        summary: 'Change invoicing defaults, default locations and other settings (422 with one entry per bad field)',
        params: IdParams,
        body: UpdateSettingsBody,
        response: { 200: DataEnvelope(WorkspaceDetails) },
      },
    },
    async (request) => {
      const updated = await workspaces.updateSettings(workspaceContextOf(request), request.body);
      return { data: updated, message: request.translate('workspace.settings_updated') };
    },
  );

  app.delete(
    '/workspaces/:id',
    {
      config: { policy: onPathWorkspace('workspaces:delete', { notActingAs: true }) },
      schema: {
        operationId: 'deleteWorkspace',
        tags: ['workspaces'],
        summary: 'Delete a workspace with everything in it: roles, memberships, API keys, locations, settings, plan, invite code (owners only)',
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
