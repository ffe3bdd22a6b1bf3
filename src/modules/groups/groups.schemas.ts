import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { GROUP_INVITATION_STATUSES } from './groups.table.ts';

export const InviteSubWorkspaceBody = Type.Object(
  { sub_workspace_id: Type.Integer({ minimum: 1, description: 'The id of the workspace to invite; its owner is asked by e-mail' }) },
  { additionalProperties: false },
);

const Status = Type.Union(GROUP_INVITATION_STATUSES.map((status) => Type.Literal(status)));

/** What the inviting side learns: only what it sent, never the invited workspace's name or owner. */
export const SentGroupInvitation = Type.Object(
  {
    id: Type.Integer(),
    admin_workspace_id: Type.Integer(),
    sub_workspace_id: Type.Integer(),
    status: Status,
    expires_at: Timestamp,
    created_at: Timestamp,
  },
  { title: 'SentGroupInvitation' },
);
export type SentGroupInvitation = Static<typeof SentGroupInvitation>;

export const GroupInvitation = Type.Object(
  {
    ...SentGroupInvitation.properties,
    direction: Type.Union([Type.Literal('received'), Type.Literal('sent')]),
    admin_workspace_name: Type.String({ description: 'The inviting (admin) workspace' }),
    sub_workspace_name: Nullable(Type.String({ description: 'The invited workspace; null for the inviting side' })),
    invited_by: Nullable(Type.Integer()),
    responded_at: Nullable(Timestamp),
  },
  { title: 'GroupInvitation' },
);
export type GroupInvitation = Static<typeof GroupInvitation>;

export const GroupInvitationListQuery = Type.Object(
  {
    ...ListQuery.properties,
    direction: Type.Union([Type.Literal('received'), Type.Literal('sent')], {
      default: 'received',
      description: '`received`: invitations to this workspace (its owner answers); `sent`: invitations this workspace sent as an admin workspace',
    }),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);

export const WorkspaceGroupMember = Type.Object(
  {
    id: Type.Integer({ description: 'The workspace group member id: what DELETE /workspace-group-members/{id} takes' }),
    admin_workspace_id: Type.Integer(),
    sub_workspace_id: Type.Integer(),
    sub_workspace_name: Type.String(),
    created_at: Timestamp,
  },
  { title: 'WorkspaceGroupMember' },
);

export const AdminWorkspace = Type.Object(
  {
    id: Type.Integer({ description: 'The admin workspace' }),
    name: Type.String(),
    workspace_group_member_id: Type.Integer({ description: 'The link: DELETE /workspace-group-members/{workspace_group_member_id} leaves the group' }),
    member_since: Timestamp,
  },
  { title: 'AdminWorkspace' },
);
