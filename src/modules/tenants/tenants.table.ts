import type { Generated, Selectable } from 'kysely';
import type { TenantContext } from '../../core/auth/request-context.ts';
import { isLocale, type Locale } from '../../core/i18n/index.ts';

export interface TenantsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  default_locale: string;
  self_signup: number;
  max_owned_workspaces_per_user: number | null;
  /** The portal access code's digest (core/auth/secrets.ts digestPortalCode); never the code. */
  portal_access_code_digest: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
  /** When an account must have proved its address (migration 0023): `optional`, `before_joining`, `before_sign_in`. */
  email_verification: Generated<string>;
  /** Whether tenant owners and admins must sign in with a second factor. */
  mfa_required_for_admins: Generated<number>;
}

export type TenantRow = Selectable<TenantsTable>;

export interface Tenant {
  id: number;
  slug: string;
  name: string;
  defaultLocale: Locale;
  selfSignup: boolean;
  maxOwnedWorkspacesPerUser: number | null;
  portalAccessCodeDigest: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function tenantRowToTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    defaultLocale: isLocale(row.default_locale) ? row.default_locale : 'en',
    selfSignup: row.self_signup === 1,
    maxOwnedWorkspacesPerUser: row.max_owned_workspaces_per_user,
    portalAccessCodeDigest: row.portal_access_code_digest,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function tenantToContext(tenant: Tenant, dataVersion: number): TenantContext {
  return {
    dataVersion,
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    defaultLocale: tenant.defaultLocale,
    disabled: tenant.disabledAt !== null,
    maxOwnedWorkspacesPerUser: tenant.maxOwnedWorkspacesPerUser,
    portalAccessCodeDigest: tenant.portalAccessCodeDigest,
  };
}
