import type { Generated, Selectable } from 'kysely';

export interface RolesTable {
  id: Generated<number>;
  workspace_id: number;
  name: string;
  display_name: string;
  is_builtin: number;
  /** Counts the changes to what the role grants: 1 when created. */
  version: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface RolePermissionsTable {
  role_id: number;
  permission: string;
}

export type RoleRow = Selectable<RolesTable>;
