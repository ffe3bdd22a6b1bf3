import type { Generated, Selectable } from 'kysely';

export const TENANT_ROLES = ['owner', 'admin', 'member'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

export interface UsersTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  email: string;
  /** The normalized email the unique index is built on. */
  email_key: string;
  password_hash: string;
  tenant_role: TenantRole;
  disabled_at: string | null;
  current_workspace_id: number | null;
  default_workspace_id: number | null;
  created_at: string;
  updated_at: string;
}

/** One sign-in: the family every refresh token of that sign-in belongs to. */
export interface SessionsTable {
  id: Generated<number>;
  tenant_id: number;
  user_id: number;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  session_id: number;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  public_jwk: string;
  private_jwk: string;
  created_at: string;
}

export type UserRow = Selectable<UsersTable>;

export interface User {
  id: number;
  tenantId: number;
  name: string;
  email: string;
  tenantRole: TenantRole;
  disabledAt: string | null;
  currentWorkspaceId: number | null;
  defaultWorkspaceId: number | null;
  createdAt: string;
  updatedAt: string;
}

export function userRowToUser(row: UserRow): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    email: row.email,
    tenantRole: row.tenant_role,
    disabledAt: row.disabled_at,
    currentWorkspaceId: row.current_workspace_id,
    defaultWorkspaceId: row.default_workspace_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
