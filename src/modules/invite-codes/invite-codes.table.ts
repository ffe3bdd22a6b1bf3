/** A workspace's live invite code (migration 0012). */
export interface WorkspaceInviteCodesTable {
  workspace_id: number;
  tenant_id: number;
  code: string;
  created_by: number | null;
  created_at: string;
}
