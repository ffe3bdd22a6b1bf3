import type { Generated, Selectable } from 'kysely';
import type { ACCOUNT_TOKEN_PURPOSES } from '../../schema/migrations/0023-account-life-cycle.ts';
import type { SESSION_AUTH_METHODS } from '../../schema/migrations/0024-single-sign-on.ts';

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
  /** When the owner of the address proved it (a link mailed to it); null until then. */
  email_verified_at: string | null;
  /** The language of the user's e-mail; the tenant's default when null. */
  locale: string | null;
  /** The TOTP secret (base32) once enrolled; read only to check a code. */
  totp_secret: string | null;
  /** A secret handed out by an enrollment that no code has confirmed yet. */
  totp_pending_secret: string | null;
  totp_enabled_at: string | null;
  /** The last TOTP time step accepted: a code is good once (migration 0023). */
  totp_last_step: number | null;
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
  /** Its sign-in, or its latest refresh: within an access token's lifetime of its last request. */
  last_used_at: string | null;
  user_agent: string | null;
  ip: string | null;
  /** How it was opened: with a password, or through a workspace's single sign-on (migration 0024). */
  auth_method: Generated<SessionAuthMethod>;
}

export type SessionAuthMethod = (typeof SESSION_AUTH_METHODS)[number];

/** A single-use token mailed or handed to a person (migration 0023), stored as its digest. */
export interface AccountTokensTable {
  id: Generated<number>;
  tenant_id: number;
  user_id: number;
  purpose: AccountTokenPurpose;
  token_hash: string;
  email: string | null;
  attempts: Generated<number>;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  created_at: string;
  used_at: string | null;
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
  emailVerified: boolean;
  locale: string | null;
  mfaEnabled: boolean;
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
    emailVerified: row.email_verified_at !== null,
    locale: row.locale,
    mfaEnabled: row.totp_enabled_at !== null,
  };
}
