import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { PermissionList } from '../../core/http/schemas.ts';
import { PATTERNS } from '../../core/http/patterns.ts';

export const ROLE_NAME_PATTERN = '^[a-z][a-z0-9_]*$';
const RoleName = Type.String({ pattern: ROLE_NAME_PATTERN, minLength: 1, maxLength: 50 });
const DisplayName = PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank });

export const Role = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    display_name: Type.String(),
    is_builtin: Type.Boolean(),
    permissions: Type.Array(Type.String()),
    version: Type.Integer({ minimum: 1, description: 'Counts the changes to what the role grants (always 1 for a built-in role, which never changes); every member on it follows the latest' }),
  },
  { title: 'Role' },
);
export type Role = Static<typeof Role>;

/** The bodies that name permissions, bounded by how many the composed areas declare. */
export function roleBodies(permissionCount: number) {
  const permissions = PermissionList({ maxItems: permissionCount });
  return {
    create: Type.Object({ name: RoleName, display_name: DisplayName, permissions }, { additionalProperties: false }),
    update: Type.Object(
      { name: Type.Optional(RoleName), display_name: Type.Optional(DisplayName), permissions: Type.Optional(permissions) },
      { additionalProperties: false, minProperties: 1 },
    ),
  };
}
export type CreateRoleBody = Static<ReturnType<typeof roleBodies>['create']>;
export type UpdateRoleBody = Static<ReturnType<typeof roleBodies>['update']>;

export const DeleteRoleQuery = Type.Object(
  { reassign_to: Type.Optional(RoleName) },
  { additionalProperties: false },
);

export const PermissionEntry = Type.Object(
  {
    id: Type.String(),
    description: Type.String(),
    scope: Type.Union([Type.Literal('workspace'), Type.Literal('tenant')]),
  },
  { title: 'Permission' },
);

export const MyPermissions = Type.Object(
  {
    workspace_id: Type.Integer(),
    role: Type.Union([Type.String(), Type.Null()]),
    permissions: Type.Array(Type.String()),
    tenant_role: Type.String(),
    tenant_permissions: Type.Array(Type.String()),
  },
  { title: 'EffectivePermissions' },
);
