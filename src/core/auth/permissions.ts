import type { WorkspacePermission } from '../catalogue.ts';

export type { WorkspacePermission };

/**
 * Tenant permissions are the core's own: they follow from a user's tenant role, which
 * every request resolves. Workspace permissions are contributed by the areas
 * (core/catalogue.ts) and follow from the member's role in the workspace.
 */
export const TENANT_PERMISSIONS = {
  'tenant:view': 'Read the tenant settings',
  'tenant:edit': 'Change the tenant settings',
  'tenant_users:view': "List the tenant's users",
  'tenant_users:manage': "Change users' tenant roles and disable accounts",
  'tenant_users:sessions': "See and end users' sessions (an owner's only by an owner)",
  view_all_locations: 'See every workspace of the tenant (read-only where not a member)',
} as const;

export type TenantPermission = keyof typeof TENANT_PERMISSIONS;

export const TENANT_ROLE_PERMISSIONS = {
  owner: ['tenant:view', 'tenant:edit', 'tenant_users:view', 'tenant_users:manage', 'tenant_users:sessions', 'view_all_locations'],
  admin: ['tenant:view', 'tenant:edit', 'tenant_users:view', 'tenant_users:sessions', 'view_all_locations'],
  member: [],
} as const satisfies Record<string, readonly TenantPermission[]>;

export type TenantRoleName = keyof typeof TENANT_ROLE_PERMISSIONS;

export function tenantRoleGrants(role: TenantRoleName, permission: TenantPermission): boolean {
  return (TENANT_ROLE_PERMISSIONS[role] as readonly TenantPermission[]).includes(permission);
}

/** The tenant roles whose holders have the permission. */
export function tenantRolesGranting(permission: TenantPermission): TenantRoleName[] {
  return (Object.keys(TENANT_ROLE_PERMISSIONS) as TenantRoleName[]).filter((role) => tenantRoleGrants(role, permission));
}

/** The first permission in `wanted` that `held` lacks: nobody grants what they do not hold. */
export function firstMissing(held: ReadonlySet<string>, wanted: Iterable<string>): string | undefined {
  for (const permission of wanted) if (!held.has(permission)) return permission;
  return undefined;
}
