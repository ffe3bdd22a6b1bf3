import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requiresTenant } from '../../core/auth/policy.ts';
import { userContextOf } from '../../core/auth/resolve-context.ts';
import { DataEnvelope } from '../../core/http/schemas.ts';
import { TenantSettings, UpdateTenantBody } from './tenants.schemas.ts';
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
};
