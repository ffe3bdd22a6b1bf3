import { firstMissing, TENANT_PERMISSIONS } from '../../core/auth/permissions.ts';
import { BUILTIN_ROLE_NAMES, type BuiltinRoleName, type Catalogue, type WorkspacePermission } from '../../core/catalogue.ts';
import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { inWorkspaceTransaction } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { reassignMembersRole } from '../members/members.service.ts';
import type { RoleGrants } from './roles.grants.ts';
import * as repository from './roles.repository.ts';
import type { CreateRoleBody, Role, UpdateRoleBody } from './roles.schemas.ts';

const BUILTIN_DISPLAY_NAMES: Record<BuiltinRoleName, string> = {
  owner: 'Owner',
  admin: 'Administrator',
  member: 'Member',
  viewer: 'Viewer',
};

/** Every workspace starts with the built-in roles as rows, so memberships reference any role alike. */
export async function createBuiltinRoles(tx: Tx, workspaceId: number, now: string): Promise<void> {
  for (const name of BUILTIN_ROLE_NAMES) {
    await repository.insertRole(tx, {
      workspaceId,
      name,
      displayName: BUILTIN_DISPLAY_NAMES[name],
      isBuiltin: true,
      permissions: [],
      now,
    });
  }
}

export type RolesService = ReturnType<typeof createRolesService>;

export function createRolesService(deps: { db: Db; clock: Clock; catalogue: Catalogue; grants: RoleGrants }) {
  const { db, clock, catalogue, grants } = deps;

  function toRole(stored: repository.StoredRole): Role {
    return {
      id: stored.id,
      name: stored.name,
      display_name: stored.display_name,
      is_builtin: stored.is_builtin === 1,
      permissions: [...grants.ofStoredRole({ name: stored.name, isBuiltin: stored.is_builtin === 1 }, stored.permissions)],
      version: stored.version,
    };
  }

  function checkedPermissions(ctx: InWorkspaceContext, permissions: string[]): WorkspacePermission[] {
    const unknown = permissions.filter((permission) => !catalogue.isWorkspacePermission(permission));
    if (unknown.length > 0) throw new AppError('VALIDATION.FAILED', { permissions: `unknown permissions: ${unknown.join(', ')}` });
    const missing = firstMissing(ctx.workspace.permissions, permissions);
    if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
    return permissions as WorkspacePermission[];
  }

  /**
   * The role, held, when the caller holds all it grants. Its members may hold more through
   * grants of their own; a change of the role moves only what the caller holds (the role's
   * permissions before and after, or the reassigned role's), never their grants.
   */
  async function requireCustomRole(tx: Tx, ctx: InWorkspaceContext, id: number) {
    const role = await repository.lockRoleById(tx, ctx.workspace.id, id);
    if (!role) throw new AppError('ROLE.NOT_FOUND');
    if (role.is_builtin === 1) throw new AppError('ROLE.BUILTIN');
    // Changing or deleting a role touches everyone who holds it: hold all it grants first.
    const missing = firstMissing(ctx.workspace.permissions, toRole(role).permissions);
    if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
    return role;
  }

  const permissionEntries = Object.freeze([
    ...[...catalogue.permissions].map(([id, spec]) => ({ id, description: spec.description, scope: 'workspace' as const })),
    ...Object.entries(TENANT_PERMISSIONS).map(([id, description]) => ({ id, description, scope: 'tenant' as const })),
  ]);

  return {
    /** How many workspace permissions the composed areas declare: the bound on a role's list. */
    permissionCount: catalogue.permissions.size,

    /** Every permission a role or key can name (the composed areas'), and the tenant's own. */
    permissionCatalogue: () => permissionEntries,

    async list(ctx: InWorkspaceContext, query: { limit: number; cursor?: string }): Promise<Page<Role>> {
      const rows = await repository.listRoles(db, ctx.workspace.id, decodeCursor(query.cursor), query.limit + 1);
      return toPage(rows.map(toRole), query.limit);
    },

    async create(ctx: InWorkspaceContext, input: CreateRoleBody): Promise<Role> {
      const permissions = checkedPermissions(ctx, input.permissions);
      const now = clock.now().toISOString();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const role = await repository.insertRole(tx, {
            workspaceId: ctx.workspace.id,
            name: input.name,
            displayName: input.display_name.trim(),
            isBuiltin: false,
            permissions,
            now,
          });
          await recordAudit(tx, ctx, {
            action: 'role.created',
            targetType: 'role',
            targetId: role.id,
            workspaceId: ctx.workspace.id,
            details: { name: role.name, permissions },
            at: now,
          });
          return toRole(role);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('WORKSPACE.ROLE_NAME_EXISTS', { name: input.name });
        throw error;
      }
    },

    async update(ctx: InWorkspaceContext, id: number, input: UpdateRoleBody): Promise<Role> {
      const permissions = input.permissions && checkedPermissions(ctx, input.permissions);
      const now = clock.now().toISOString();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const before = toRole(await requireCustomRole(tx, ctx, id));
          // Only a different set is a new version of the role.
          const regrants = permissions !== undefined && [...permissions].sort().join(',') !== [...before.permissions].sort().join(',');
          const changes = {
            now,
            ...(input.name === undefined ? {} : { name: input.name }),
            ...(input.display_name === undefined ? {} : { displayName: input.display_name.trim() }),
            ...(regrants ? { permissions } : {}),
          };
          if (!(await repository.updateCustomRole(tx, ctx.workspace.id, id, changes))) throw new AppError('ROLE.NOT_FOUND');
          const updated = await repository.findRoleById(tx, ctx.workspace.id, id);
          if (!updated) throw new AppError('ROLE.NOT_FOUND');
          const after = toRole(updated);
          // Every member on the role follows it: the log keeps what it granted before and after.
          await recordAudit(tx, ctx, {
            action: 'role.updated',
            targetType: 'role',
            targetId: id,
            workspaceId: ctx.workspace.id,
            details: {
              ...input,
              ...(!regrants
                ? {}
                : { permissions_before: before.permissions, permissions_after: after.permissions, version_before: before.version, version_after: after.version }),
            },
            at: now,
          });
          return after;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('WORKSPACE.ROLE_NAME_EXISTS', { name: input.name ?? '' });
        throw error;
      }
    },

    /** Deletes a custom role; members holding it move to `reassignTo`, which the caller must be able to grant. */
    async remove(ctx: InWorkspaceContext, id: number, reassignTo: string | undefined): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        const role = await requireCustomRole(tx, ctx, id);
        if (reassignTo !== undefined) {
          const target = await repository.findRoleByName(tx, ctx.workspace.id, reassignTo);
          if (!target || target.id === role.id) {
            throw new AppError('VALIDATION.FAILED', { reassign_to: 'must name another role of this workspace' });
          }
          if (target.name === 'owner') throw new AppError('ROLE.OWNER_BY_TRANSFER');
          const missing = firstMissing(ctx.workspace.permissions, toRole(target).permissions);
          if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
          await reassignMembersRole(tx, ctx.workspace.id, role.name, target.name, now);
        }
        try {
          if (!(await repository.deleteCustomRole(tx, ctx.workspace.id, id))) throw new AppError('ROLE.NOT_FOUND');
        } catch (error) {
          // The memberships foreign key refuses to orphan members: the role is in use.
          if (isForeignKeyViolation(error)) throw new AppError('ROLE.IN_USE', { role: role.name });
          throw error;
        }
        await recordAudit(tx, ctx, {
          action: 'role.deleted',
          targetType: 'role',
          targetId: id,
          workspaceId: ctx.workspace.id,
          details: { name: role.name, reassign_to: reassignTo ?? null },
          at: now,
        });
      });
    },
  };
}
