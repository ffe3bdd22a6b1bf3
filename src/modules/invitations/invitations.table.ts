import type { Generated, Selectable } from 'kysely';

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export interface InvitationsTable {
  id: Generated<number>;
  tenant_id: number;
  workspace_id: number;
  email: string;
  email_key: string;
  role: string;
  token_hash: string;
  /** `pending` past `expires_at` reads as expired; it is written `expired` when the slot is reused. */
  status: InvitationStatus;
  invited_by: number | null;
  /** Set when the inviter acted as this (sub) workspace from its admin workspace: their authority is checked there (migration 0009). */
  acting_from_workspace_id: number | null;
  /** The language the invitation e-mail is written in. */
  locale: string;
  expires_at: string;
  accepted_by: number | null;
  responded_at: string | null;
  created_at: string;
  updated_at: string;
}

export type InvitationRow = Selectable<InvitationsTable>;
