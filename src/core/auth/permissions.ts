/**
 * The permission catalogue: every identifier a policy can name, with its
 * description. Tenant permissions follow from the user's tenant role.
 */
export const TENANT_PERMISSIONS = {
  'tenant:view': 'Read the tenant settings',
  'tenant:edit': 'Change the tenant settings',
  'tenant_users:view': "List the tenant's users",
  'tenant_users:manage': "Change users' tenant roles and disable accounts",
  view_all_locations: "See every workspace of the tenant (read-only where not a member)",
} as const;

export type TenantPermission = keyof typeof TENANT_PERMISSIONS;

export const TENANT_ROLE_PERMISSIONS = {
  owner: ['tenant:view', 'tenant:edit', 'tenant_users:view', 'tenant_users:manage', 'view_all_locations'],
  admin: ['tenant:view', 'tenant:edit', 'tenant_users:view', 'view_all_locations'],
  member: [],
} as const satisfies Record<string, readonly TenantPermission[]>;

export type TenantRoleName = keyof typeof TENANT_ROLE_PERMISSIONS;

export function tenantRoleGrants(role: TenantRoleName, permission: TenantPermission): boolean {
  return (TENANT_ROLE_PERMISSIONS[role] as readonly TenantPermission[]).includes(permission);
}
