import type { Selectable } from 'kysely';

export interface MembershipsTable {
  workspace_id: number;
  user_id: number;
  /** A role name of this workspace (built-in or custom); `owner` is held by exactly one member. */
  role: string;
  created_at: string;
  updated_at: string;
}

export type MembershipRow = Selectable<MembershipsTable>;
