import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { IdParam, ListQuery, Nullable, PermissionList, Timestamp } from '../../core/http/schemas.ts';

export const Member = Type.Object(
  {
    id: Type.Integer({ description: 'The user id' }),
    name: Type.String(),
    email: Type.String(),
    role: Type.String(),
    added_at: Timestamp,
  },
  { title: 'Member' },
);
export type Member = Static<typeof Member>;

export const UserIdParams = Type.Object({ user_id: IdParam });

export const ChangeRoleBody = Type.Object(
  { role: PlainText({ minLength: 1, maxLength: 50 }) },
  { additionalProperties: false },
);

/** Seed 003's form of the role change: the member named in the body (`POST …/members/role/change`). */
export const MemberRoleChangeBody = Type.Object(
  { user_id: Type.Integer({ minimum: 1 }), role: ChangeRoleBody.properties.role },
  { additionalProperties: false },
);

export const TransferOwnershipBody = Type.Object({ user_id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

/**
 * Where a member's permissions come from (seed 002's `memberPermissions.profile`): their role
 * as a built-in or a custom template, and how many overrides shape it.
 */
export const AccessProfile = Type.Object(
  {
    builtin_template_key: Nullable(Type.String({ description: 'The built-in role the permissions come from' })),
    custom_template_id: Nullable(Type.Integer({ description: 'The custom role the permissions come from' })),
    custom_template_name: Nullable(Type.String()),
    override_count: Type.Integer({ minimum: 0, description: 'Permissions granted or revoked to this member beyond the role' }),
    permissions_managed: Type.Boolean({
      description:
        'True when the member holds a bounded set that overrides may shape: a role below admin (member, viewer, a custom role), ' +
        'or any role with overrides; false for the owner and for an admin without overrides, who hold what the full built-in grants',
    }),
    legacy_unrestricted: Type.Boolean({
      description: 'True for the owner alone: every permission there is, including those added later, never overridden',
    }),
  },
  { title: 'AccessProfile' },
);
export type AccessProfile = Static<typeof AccessProfile>;

/** The body naming a member's overrides, bounded by how many permissions the composed areas declare. */
export function overridesBody(permissionCount: number) {
  const permissions = PermissionList({ maxItems: permissionCount });
  return Type.Object(
    {
      grant: Type.Optional({ ...permissions, description: 'Permissions to hold beyond the role' }),
      revoke: Type.Optional({ ...permissions, description: 'Permissions not to hold, even when the role or a grant gives them' }),
    },
    { additionalProperties: false, title: 'SetMemberPermissionsBody' },
  );
}
export type OverridesBody = Static<ReturnType<typeof overridesBody>>;

export const MemberPermissions = Type.Object(
  {
    user_id: Type.Integer(),
    workspace_id: Type.Integer(),
    role: Type.String(),
    template_version: Type.Integer({ minimum: 1, description: "The role's version: it counts the changes to what the role grants" }),
    profile: AccessProfile,
    grant: Type.Array(Type.String()),
    revoke: Type.Array(Type.String()),
    permissions: Type.Array(Type.String(), { description: 'What the member holds: the role, plus the grants, less the revokes' }),
  },
  { title: 'MemberPermissions' },
);
export type MemberPermissions = Static<typeof MemberPermissions>;

const SOURCE_KINDS = ['role', 'override', 'tenant_role', 'admin_workspace', 'api_key'] as const;
const WITHHELD_REASONS = ['revoked_by_override', 'withheld_when_acting_as', 'outside_api_key_scopes'] as const;
export type WithheldReason = (typeof WITHHELD_REASONS)[number];

export const PermissionSource = Type.Object(
  {
    kind: Type.Union(SOURCE_KINDS.map((kind) => Type.Literal(kind)), {
      description:
        'role: the member\'s role grants it; override: granted to this member; tenant_role: a tenant owner or admin reads every workspace; ' +
        'admin_workspace: held there, and used here by acting as this sub workspace; api_key: within the key\'s scopes',
    }),
    role: Type.Optional(Type.String()),
    workspace_id: Type.Optional(Type.Integer({ description: 'Where the role or override is held' })),
    tenant_role: Type.Optional(Type.String()),
    api_key_id: Type.Optional(Type.Integer()),
  },
  { title: 'PermissionSource' },
);
export type PermissionSource = Static<typeof PermissionSource>;

export const ExplainedPermissions = Type.Object(
  {
    user_id: Type.Integer(),
    workspace_id: Type.Integer(),
    role: Nullable(Type.String()),
    role_workspace_id: Nullable(Type.Integer({ description: 'Where the role is held: this workspace, or the admin workspace acted from' })),
    permissions: Type.Array(Type.Object({ permission: Type.String(), sources: Type.Array(PermissionSource) }), {
      description: 'Every permission held here, each with every source it comes from',
    }),
    withheld: Type.Array(
      Type.Object({ permission: Type.String(), reason: Type.Union(WITHHELD_REASONS.map((reason) => Type.Literal(reason))) }),
      { description: 'Permissions the role or a grant would give, and why they are not held here' },
    ),
  },
  { title: 'ExplainedPermissions' },
);
export type ExplainedPermissions = Static<typeof ExplainedPermissions>;

export const WorkspacesWhereQuery = Type.Object(
  {
    can: Type.String({ minLength: 1, maxLength: 100, description: 'A workspace permission, e.g. invoices:create' }),
    limit: ListQuery.properties.limit,
    cursor: ListQuery.properties.cursor,
  },
  { additionalProperties: false },
);

export const PermittedWorkspace = Type.Object(
  {
    id: Type.Integer(),
    biz_id: Type.String(),
    name: Type.String(),
    slug: Type.String(),
    via: Type.Union([Type.Literal('membership'), Type.Literal('admin_workspace'), Type.Literal('tenant_role')], {
      description: 'membership: as a member; admin_workspace: by acting as it (send x-as-workspace); tenant_role: reading every workspace',
    }),
    role: Nullable(Type.String({ description: 'The role that grants it: here, or in the admin workspace' })),
    acting_from_workspace_id: Nullable(Type.Integer()),
  },
  { title: 'PermittedWorkspace' },
);
export type PermittedWorkspace = Static<typeof PermittedWorkspace>;
