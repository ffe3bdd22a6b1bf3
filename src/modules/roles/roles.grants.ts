import { isBuiltinRoleName, type Catalogue, type WorkspacePermission } from '../../core/catalogue.ts';
import type { Executor } from '../../schema/database.ts';
import { findRoleByName } from './roles.repository.ts';

export interface RoleIdentity {
  name: string;
  isBuiltin: boolean;
}

/** A role as a member's template: which it is, and what it grants now. */
export interface Template extends RoleIdentity {
  id: number;
  displayName: string;
  /** Counts the changes to what it grants. */
  version: number;
  permissions: readonly WorkspacePermission[];
}

/** A member's overrides: permissions granted beyond their role, and permissions taken from it. */
export interface PermissionOverrides {
  grant: readonly string[];
  revoke: readonly string[];
}

export const NO_OVERRIDES: PermissionOverrides = Object.freeze({ grant: [], revoke: [] });

/** The owner holds every permission there is, now and as areas add more: overrides never apply to them. */
export const isOwnerRole = (role: RoleIdentity) => role.isBuiltin && role.name === 'owner';

/**
 * The one home of "what a role grants", and of what a member holds: their role (the
 * template) with their overrides, a revoke winning over the role and over a grant. A
 * built-in role's set comes from the composed catalogue (each area says which built-in roles hold its permissions); a custom role's
 * from its stored rows, less any identifier no composed area declares any more. Kept
 * apart from the roles service so the members area, which the roles service itself
 * uses, can ask it too.
 */
export interface RoleGrants {
  ofStoredRole(role: RoleIdentity, stored: readonly string[]): readonly WorkspacePermission[];
  /** What a member holds: what their role grants (`fromRole`) with their overrides, which never apply to the owner. */
  withOverrides(role: RoleIdentity, fromRole: readonly WorkspacePermission[], overrides: PermissionOverrides): readonly WorkspacePermission[];
  /** A role of the workspace by name, with what it grants; undefined when the workspace has no such role. */
  template(executor: Executor, workspaceId: number, name: string): Promise<Template | undefined>;
  /** What a role name grants in a workspace; undefined when the workspace has no such role. */
  ofRole(executor: Executor, workspaceId: number, name: string): Promise<readonly WorkspacePermission[] | undefined>;
}

export function createRoleGrants(catalogue: Catalogue): RoleGrants {
  const ofStoredRole: RoleGrants['ofStoredRole'] = (role, stored) =>
    role.isBuiltin && isBuiltinRoleName(role.name)
      ? catalogue.builtinRolePermissions(role.name)
      : stored.filter((permission) => catalogue.isWorkspacePermission(permission));
  async function template(executor: Executor, workspaceId: number, name: string): Promise<Template | undefined> {
    const role = await findRoleByName(executor, workspaceId, name);
    if (!role) return undefined;
    const identity = { name: role.name, isBuiltin: role.is_builtin === 1 };
    return { ...identity, id: role.id, displayName: role.display_name, version: role.version, permissions: ofStoredRole(identity, role.permissions) };
  }
  return {
    ofStoredRole,
    template,
    ofRole: async (executor, workspaceId, name) => (await template(executor, workspaceId, name))?.permissions,
    withOverrides(role, fromRole, overrides) {
      if (isOwnerRole(role) || (overrides.grant.length === 0 && overrides.revoke.length === 0)) return fromRole;
      const revoked = new Set(overrides.revoke);
      const held = new Set([...fromRole, ...overrides.grant.filter((permission) => catalogue.isWorkspacePermission(permission))]);
      // Catalogue order, so every answer lists a member's permissions alike.
      return [...catalogue.permissions.keys()].filter((permission) => held.has(permission) && !revoked.has(permission));
    },
  };
}
