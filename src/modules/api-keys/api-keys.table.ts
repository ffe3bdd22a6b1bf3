import type { Generated, Selectable } from 'kysely';

export interface ApiKeysTable {
  id: Generated<number>;
  tenant_id: number;
  workspace_id: number;
  created_by: number;
  name: string;
  /** The first characters of the secret, shown in lists so a key can be recognized. */
  prefix: string;
  key_hash: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface ApiKeyScopesTable {
  api_key_id: number;
  permission: string;
}

export type ApiKeyRow = Selectable<ApiKeysTable>;
