import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext } from '../../core/auth/policy.ts';
import { userInWorkspaceOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { DataEnvelope, IdParams, ListEnvelope, ListQuery, MessageOnly, parseId } from '../../core/http/schemas.ts';
import { ApiKey, CreatedApiKey, createApiKeyBody } from './api-keys.schemas.ts';
import type { ApiKeysService, StoredApiKey } from './api-keys.service.ts';

function toApiKey(key: StoredApiKey): ApiKey {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    workspace_id: key.workspace_id,
    created_by: key.created_by,
    expires_at: key.expires_at,
    revoked_at: key.revoked_at,
    last_used_at: key.last_used_at,
    created_at: key.created_at,
  };
}

export const apiKeysRoutes: FastifyPluginAsyncTypebox<{ apiKeys: ApiKeysService }> = async (app, { apiKeys }) => {
  app.post(
    '/api-keys',
    {
      config: { policy: inContext('api_keys:manage', { usersOnly: true, notActingAs: true }) },
      schema: {
        operationId: 'createApiKey',
        tags: ['api-keys'],
        summary: 'Create an API key for the current workspace; the secret is shown once',
        body: createApiKeyBody(apiKeys.permissionCount),
        response: { 201: DataEnvelope(CreatedApiKey) },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create(userInWorkspaceOf(request), request.body);
      return reply
        .code(201)
        .send({ data: { ...toApiKey(created), secret: created.secret }, message: request.translate('api_key.created') });
    },
  );

  app.get(
    '/api-keys',
    {
      config: { policy: inContext('api_keys:view') },
      schema: {
        operationId: 'listApiKeys',
        tags: ['api-keys'],
        summary: 'API keys of the current workspace (never their secrets)',
        querystring: ListQuery,
        response: { 200: ListEnvelope(ApiKey) },
      },
    },
    async (request) => {
      const page = await apiKeys.list(workspaceContextOf(request), request.query);
      return { data: page.items.map(toApiKey), meta: { next_cursor: page.nextCursor } };
    },
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { policy: inContext('api_keys:manage') },
      schema: { operationId: 'revokeApiKey', tags: ['api-keys'], summary: 'Revoke an API key', params: IdParams, response: { 200: MessageOnly } },
    },
    async (request) => {
      await apiKeys.revoke(workspaceContextOf(request), parseId(request.params.id, 'API_KEY.NOT_FOUND'));
      return { message: request.translate('api_key.revoked') };
    },
  );
};
