import type { Executor, Tx } from '../../schema/database.ts';
import { lockClause } from '../../core/db/dialect.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { RoleRow } from './roles.table.ts';

export interface StoredRole extends RoleRow {
  permissions: string[];
}

async function withPermissions(db: Executor, rows: RoleRow[]): Promise<StoredRole[]> {
  const ids = rows.filter((row) => row.is_builtin === 0).map((row) => row.id);
  const permissions = ids.length
    ? await db.selectFrom('role_permissions').select(['role_id', 'permission']).where('role_id', 'in', ids).execute()
    : [];
  return rows.map((row) => ({
    ...row,
    permissions: permissions.filter((p) => p.role_id === row.id).map((p) => p.permission).sort(),
  }));
}

const rolesOf = (db: Executor, workspaceId: number) => db.selectFrom('roles').selectAll().where('workspace_id', '=', workspaceId);

export async function listRoles(db: Executor, workspaceId: number, afterId: number, limit: number): Promise<StoredRole[]> {
  const rows = await rolesOf(db, workspaceId).$call(afterKey('id', afterId, limit)).execute();
  return withPermissions(db, rows);
}

export async function findRoleById(db: Executor, workspaceId: number, id: number): Promise<StoredRole | undefined> {
  const row = await rolesOf(db, workspaceId).where('id', '=', id).executeTakeFirst();
  return row && (await withPermissions(db, [row]))[0];
}

/** The role, held until the transaction ends: what it grants before a change is what the change replaces. */
export async function lockRoleById(tx: Tx, workspaceId: number, id: number): Promise<StoredRole | undefined> {
  const row = await rolesOf(tx, workspaceId).where('id', '=', id).modifyEnd(lockClause(tx, 'update')).executeTakeFirst();
  return row && (await withPermissions(tx, [row]))[0];
}

export async function findRoleByName(db: Executor, workspaceId: number, name: string): Promise<StoredRole | undefined> {
  const row = await rolesOf(db, workspaceId).where('name', '=', name).executeTakeFirst();
  return row && (await withPermissions(db, [row]))[0];
}

export async function insertRole(
  tx: Tx,
  values: { workspaceId: number; name: string; displayName: string; isBuiltin: boolean; permissions: string[]; now: string },
): Promise<StoredRole> {
  const row = await tx
    .insertInto('roles')
    .values({
      workspace_id: values.workspaceId,
      name: values.name,
      display_name: values.displayName,
      is_builtin: values.isBuiltin ? 1 : 0,
      created_at: values.now,
      updated_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await replacePermissions(tx, row.id, values.permissions);
  return { ...row, permissions: [...values.permissions].sort() };
}

async function replacePermissions(tx: Tx, roleId: number, permissions: string[]): Promise<void> {
  await tx.deleteFrom('role_permissions').where('role_id', '=', roleId).execute();
  if (permissions.length > 0) {
    await tx
      .insertInto('role_permissions')
      .values(permissions.map((permission) => ({ role_id: roleId, permission })))
      .execute();
  }
}

/** Changes a custom role; built-in rows never match. */
export async function updateCustomRole(
  tx: Tx,
  workspaceId: number,
  id: number,
  changes: { name?: string; displayName?: string; permissions?: string[]; now: string },
): Promise<boolean> {
  const result = await tx
    .updateTable('roles')
    .set({
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.displayName === undefined ? {} : { display_name: changes.displayName }),
      ...(changes.permissions === undefined ? {} : { version: (eb) => eb('version', '+', 1) }),
      updated_at: changes.now,
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('is_builtin', '=', 0)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  if (changes.permissions) await replacePermissions(tx, id, changes.permissions);
  return true;
}

export async function deleteCustomRole(tx: Tx, workspaceId: number, id: number): Promise<boolean> {
  const result = await tx
    .deleteFrom('roles')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('is_builtin', '=', 0)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
