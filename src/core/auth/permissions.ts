/**
 * The permission catalogue: every identifier a policy can name, with its
 * description. Tenant permissions follow from the user's tenant role; workspace
 * permissions from the member's role in the workspace.
 */
export const TENANT_PERMISSIONS = {
  'tenant:view': 'Read the tenant settings',
  'tenant:edit': 'Change the tenant settings',
  'tenant_users:view': "List the tenant's users",
  'tenant_users:manage': "Change users' tenant roles and disable accounts",
  view_all_locations: 'See every workspace of the tenant (read-only where not a member)',
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

const RECORD_ACTIONS = ['view', 'create', 'edit', 'delete'] as const;
const RECORD_RESOURCES = {
  invoices: 'invoices',
  quotations: 'quotations',
  products: 'products (items)',
  contacts: 'contacts',
  suppliers: 'suppliers',
  locations: 'locations',
  tags: 'tags',
  stock: 'stock levels and transfers',
} as const;

function recordPermissions(): Record<`${keyof typeof RECORD_RESOURCES}:${(typeof RECORD_ACTIONS)[number]}`, string> {
  const entries = Object.entries(RECORD_RESOURCES).flatMap(([resource, label]) =>
    RECORD_ACTIONS.map((action) => [`${resource}:${action}`, `${action[0]?.toUpperCase()}${action.slice(1)} ${label}`]),
  );
  return Object.fromEntries(entries) as Record<`${keyof typeof RECORD_RESOURCES}:${(typeof RECORD_ACTIONS)[number]}`, string>;
}

export const WORKSPACE_PERMISSIONS = {
  'workspaces:view': 'See the workspace',
  'workspaces:edit': 'Rename the workspace and change its logo',
  'workspaces:delete': 'Delete the workspace and everything in it',
  'workspaces:transfer': 'Transfer ownership to another member',
  'settings:view': 'Read the workspace settings',
  'settings:edit': 'Change the workspace settings (document subtype, invoicing defaults)',
  'members:view': 'List members',
  'members:manage': "Change members' roles",
  'members:remove': 'Remove members',
  'invitations:view': 'List invitations',
  'invitations:create': 'Invite people and resend invitations',
  'invitations:revoke': 'Revoke invitations',
  'roles:view': 'List roles',
  'roles:manage': 'Create, change and delete custom roles',
  'api_keys:view': 'List API keys',
  'api_keys:manage': 'Create and revoke API keys',
  'audit:view': 'Read the audit log',
  'groups:manage': 'Invite and remove sub workspaces',
  ...recordPermissions(),
} as const;

export type WorkspacePermission = keyof typeof WORKSPACE_PERMISSIONS;
export const ALL_WORKSPACE_PERMISSIONS = Object.keys(WORKSPACE_PERMISSIONS) as WorkspacePermission[];

export function isWorkspacePermission(value: string): value is WorkspacePermission {
  return Object.hasOwn(WORKSPACE_PERMISSIONS, value);
}

const VIEW_PERMISSIONS = ALL_WORKSPACE_PERMISSIONS.filter((p) => p.endsWith(':view'));
const OWNER_ONLY: readonly WorkspacePermission[] = ['workspaces:edit', 'workspaces:delete', 'workspaces:transfer'];

/** Built-in roles: immutable, their permission sets defined here so upgrades can extend them. */
export const BUILTIN_ROLES = {
  owner: { displayName: 'Owner', permissions: ALL_WORKSPACE_PERMISSIONS },
  admin: {
    displayName: 'Administrator',
    permissions: ALL_WORKSPACE_PERMISSIONS.filter((p) => !OWNER_ONLY.includes(p)),
  },
  member: {
    displayName: 'Member',
    permissions: [
      'workspaces:view',
      'members:view',
      'roles:view',
      'settings:view',
      'invoices:view',
      'invoices:create',
      'quotations:view',
      'quotations:create',
      'products:view',
      'contacts:view',
      'contacts:create',
      'suppliers:view',
      'locations:view',
      'tags:view',
      'stock:view',
    ] satisfies WorkspacePermission[],
  },
  viewer: { displayName: 'Viewer', permissions: VIEW_PERMISSIONS.filter((p) => p !== 'audit:view' && p !== 'api_keys:view') },
} as const satisfies Record<string, { displayName: string; permissions: readonly WorkspacePermission[] }>;

export type BuiltinRoleName = keyof typeof BUILTIN_ROLES;
export const BUILTIN_ROLE_NAMES = Object.keys(BUILTIN_ROLES) as BuiltinRoleName[];

export function isBuiltinRole(name: string): name is BuiltinRoleName {
  return Object.hasOwn(BUILTIN_ROLES, name);
}

/** What a tenant owner or admin sees in a workspace they are not a member of. */
export const READ_ONLY_PERMISSIONS: readonly WorkspacePermission[] = VIEW_PERMISSIONS;

/** The permissions of a role: built-ins from the table above, custom roles from their stored set. */
export function rolePermissions(
  role: { name: string; isBuiltin: boolean },
  storedPermissions: readonly string[],
): readonly WorkspacePermission[] {
  if (role.isBuiltin && isBuiltinRole(role.name)) return BUILTIN_ROLES[role.name].permissions;
  return storedPermissions.filter(isWorkspacePermission);
}

/** The first permission in `wanted` that `held` lacks: nobody grants what they do not hold. */
export function firstMissing(held: ReadonlySet<string>, wanted: Iterable<string>): string | undefined {
  for (const permission of wanted) if (!held.has(permission)) return permission;
  return undefined;
}
