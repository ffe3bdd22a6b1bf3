import type { Generated, Selectable } from 'kysely';

/** A link: the admin workspace acts for the sub workspace (migration 0009). */
export interface WorkspaceGroupMembersTable {
  id: Generated<number>;
  tenant_id: number;
  admin_workspace_id: number;
  sub_workspace_id: number;
  invited_by: number | null;
  accepted_by: number | null;
  created_at: string;
}

export const GROUP_INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'cancelled', 'expired'] as const;
export type GroupInvitationStatus = (typeof GROUP_INVITATION_STATUSES)[number];

export interface WorkspaceGroupInvitationsTable {
  id: Generated<number>;
  tenant_id: number;
  admin_workspace_id: number;
  sub_workspace_id: number;
  /** `pending` past `expires_at` reads as expired; it is written `expired` when the pair invites again. */
  status: GroupInvitationStatus;
  invited_by: number | null;
  /** The language the sub workspace owner's e-mail is written in. */
  locale: string;
  expires_at: string;
  responded_by: number | null;
  responded_at: string | null;
  created_at: string;
}

export type GroupLinkRow = Selectable<WorkspaceGroupMembersTable>;
export type GroupInvitationRow = Selectable<WorkspaceGroupInvitationsTable>;
