import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requiresTenant } from '../../core/auth/policy.ts';
import { userContextOf } from '../../core/auth/resolve-context.ts';
import { TENANT_ROLE_PERMISSIONS, type TenantRoleName } from '../../core/auth/permissions.ts';
import { DataEnvelope, ListEnvelope } from '../../core/http/schemas.ts';
import { TenantRole, TenantSettings, UpdateTenantBody } from './tenants.schemas.ts';
import { tenantToSettings, type TenantsService } from './tenants.service.ts';

export const tenantsRoutes: FastifyPluginAsyncTypebox<{ tenants: TenantsService }> = async (app, { tenants }) => {
  app.get(
    '/tenant',
    {
      config: { policy: requiresTenant('tenant:view') },
      schema: { operationId: 'getTenant', tags: ['tenant'], summary: 'Read the tenant settings', response: { 200: DataEnvelope(TenantSettings) } },
    },
    async (request) => ({ data: tenantToSettings(await tenants.getSettings(userContextOf(request))) }),
  );

  app.patch(
    '/tenant',
    {
      config: { policy: requiresTenant('tenant:edit') },
      schema: {
        operationId: 'updateTenant',
        tags: ['tenant'],
        summary: 'Change the tenant settings',
        body: UpdateTenantBody,
        response: { 200: DataEnvelope(TenantSettings) },
      },
    },
    async (request) => {
      const ctx = userContextOf(request);
      const tenant = await tenants.updateSettings(ctx, request.body);
      return { data: tenantToSettings(tenant), message: request.translate('tenant.updated') };
    },
  );

  app.get(
    '/tenant/roles',
    {
      config: { policy: requiresTenant('tenant:view') },
      schema: {
        operationId: 'listTenantRoles',
        tags: ['tenant'],
        summary: 'The tenant roles and the tenant permissions each grants (owners change users\' roles with PUT /tenant/users/{id})',
        response: { 200: ListEnvelope(TenantRole) },
      },
    },
    async () => ({
      data: (Object.keys(TENANT_ROLE_PERMISSIONS) as TenantRoleName[]).map((name) => ({ name, permissions: [...TENANT_ROLE_PERMISSIONS[name]] })),
      meta: { next_cursor: null },
    }),
  );
};
