import { isBuiltinRoleName, type Catalogue, type WorkspacePermission } from '../../core/catalogue.ts';
import type { Executor } from '../../schema/database.ts';
import { findRoleByName } from './roles.repository.ts';

/**
 * The one home of "what a role grants". A built-in role's set comes from the composed
 * catalogue (each area says which built-in roles hold its permissions); a custom role's
 * from its stored rows, less any identifier no composed area declares any more. Kept
 * apart from the roles service so the members area, which the roles service itself
 * uses, can ask it too.
 */
export interface RoleGrants {
  ofStoredRole(role: { name: string; isBuiltin: boolean }, stored: readonly string[]): readonly WorkspacePermission[];
  /** What a role name grants in a workspace; undefined when the workspace has no such role. */
  ofRole(executor: Executor, workspaceId: number, name: string): Promise<readonly WorkspacePermission[] | undefined>;
}

export function createRoleGrants(catalogue: Catalogue): RoleGrants {
  const ofStoredRole: RoleGrants['ofStoredRole'] = (role, stored) =>
    role.isBuiltin && isBuiltinRoleName(role.name)
      ? catalogue.builtinRolePermissions(role.name)
      : stored.filter((permission) => catalogue.isWorkspacePermission(permission));
  return {
    ofStoredRole,
    async ofRole(executor, workspaceId, name) {
      const role = await findRoleByName(executor, workspaceId, name);
      return role && ofStoredRole({ name: role.name, isBuiltin: role.is_builtin === 1 }, role.permissions);
    },
  };
}
