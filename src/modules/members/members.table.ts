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

export type OverrideEffect = 'grant' | 'revoke';

/** A permission granted to or revoked from one member beyond their role (migration 0013). */
export interface MemberPermissionOverridesTable {
  workspace_id: number;
  user_id: number;
  permission: string;
  effect: OverrideEffect;
}

/** A member restricted to the locations listed for them in `member_locations` (migration 0016); none listed: none. */
export interface MemberLocationRestrictionsTable {
  workspace_id: number;
  user_id: number;
}

export interface MemberLocationsTable {
  workspace_id: number;
  user_id: number;
  location_id: number;
}
