import type { UserContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../schema/database.ts';
import { isUniqueViolation } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { AppError } from '../../core/errors.ts';
import { digestPortalCode } from '../../core/auth/secrets.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import * as repository from './tenants.repository.ts';
import type { UpdateTenantBody, TenantSettings } from './tenants.schemas.ts';
import { TENANT_SLUG_PATTERN } from '../../core/http/schemas.ts';
import type { Tenant } from './tenants.table.ts';

export type { Tenant };
export { tenantToContext, tenantRowToTenant } from './tenants.table.ts';

export function tenantToSettings(tenant: Tenant): TenantSettings {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    default_locale: tenant.defaultLocale,
    self_signup: tenant.selfSignup,
    max_owned_workspaces_per_user: tenant.maxOwnedWorkspacesPerUser,
    portal_access_code_set: tenant.portalAccessCodeDigest !== null,
    created_at: tenant.createdAt,
    updated_at: tenant.updatedAt,
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;

export function createTenantsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  async function requireTenant(slug: string): Promise<Tenant> {
    const tenant = await repository.findTenantBySlug(db, slug);
    if (!tenant) throw new AppError('TENANT.NOT_FOUND');
    return tenant;
  }

  return {
    requireTenant,

    /** The tenant a stored record names (a sign-in on its way through a provider); undefined once it is gone or disabled. */
    async findLiveTenant(id: number): Promise<Tenant | undefined> {
      const tenant = await repository.findTenantById(db, id);
      return tenant && tenant.disabledAt === null ? tenant : undefined;
    },

    async getSettings(ctx: UserContext): Promise<Tenant> {
      const tenant = await repository.findTenantById(db, ctx.tenant.id);
      if (!tenant) throw new AppError('TENANT.NOT_FOUND');
      return tenant;
    },

    /** Audited in the tenant's log with what was set (of the portal code, only whether there is one). */
    async updateSettings(ctx: UserContext, patch: UpdateTenantBody): Promise<Tenant> {
      const now = clock.now().toISOString();
      return inTransaction(db, async (tx) => {
        const tenant = await repository.updateTenant(tx, ctx.tenant.id, {
          ...(patch.name === undefined ? {} : { name: patch.name.trim() }),
          ...(patch.default_locale === undefined ? {} : { default_locale: patch.default_locale }),
          ...(patch.self_signup === undefined ? {} : { self_signup: patch.self_signup ? 1 : 0 }),
          ...(patch.max_owned_workspaces_per_user === undefined
            ? {}
            : { max_owned_workspaces_per_user: patch.max_owned_workspaces_per_user }),
          ...(patch.portal_access_code === undefined
            ? {}
            : { portal_access_code_digest: patch.portal_access_code === null ? null : digestPortalCode(ctx.tenant.id, patch.portal_access_code) }),
          updated_at: now,
        });
        if (!tenant) throw new AppError('TENANT.NOT_FOUND');
        const { portal_access_code: code, ...settings } = patch;
        await recordAudit(tx, ctx, {
          action: 'tenant.settings_updated',
          targetType: 'tenant',
          targetId: ctx.tenant.id,
          workspaceId: null,
          details: {
            ...settings,
            ...(settings.name !== undefined && { name: tenant.name }),
            ...(code !== undefined && { portal_access_code_set: code !== null }),
          },
          at: now,
        });
        return tenant;
      });
    },

    /**
     * Operator CLI: a new tenant. Its first self-registered user becomes its owner, so the
     * operator's CLI opens self sign-up only once an owner exists (see cli/tessera.ts).
     */
    async createTenant(input: { slug: string; name: string; defaultLocale?: string; selfSignup: boolean }): Promise<Tenant> {
      if (!new RegExp(TENANT_SLUG_PATTERN).test(input.slug)) {
        throw new AppError('VALIDATION.FAILED', { slug: `must match ${TENANT_SLUG_PATTERN}` });
      }
      if (!input.name.trim()) throw new AppError('VALIDATION.FAILED', { name: 'must not be empty' });
      try {
        return await inTransaction(db, (tx) =>
          repository.insertTenant(tx, {
            slug: input.slug,
            name: input.name.trim(),
            defaultLocale: input.defaultLocale ?? 'en',
            selfSignup: input.selfSignup,
            now: clock.now().toISOString(),
          }),
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('TENANT.SLUG_TAKEN', { slug: input.slug });
        throw error;
      }
    },

    listTenants: () => repository.listTenants(db),

    /** Operator CLI: a disabled tenant answers 403 TENANT.DISABLED from its next request on. */
    async setTenantDisabled(slug: string, disabled: boolean): Promise<Tenant> {
      const tenant = await requireTenant(slug);
      const now = clock.now().toISOString();
      const updated = await inTransaction(db, (tx) =>
        repository.updateTenant(tx, tenant.id, { disabled_at: disabled ? now : null, updated_at: now }),
      );
      if (!updated) throw new AppError('TENANT.NOT_FOUND');
      return updated;
    },
  };
}
