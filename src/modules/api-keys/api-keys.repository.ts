import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database, Executor, Tx } from '../../schema/database.ts';
import type { ApiKeyRow } from './api-keys.table.ts';

export interface StoredApiKey extends Omit<ApiKeyRow, 'key_hash'> {
  scopes: string[];
}

/** The workspace's keys: every query below is scoped to it by construction. */
export type WorkspaceKeys = WorkspaceTable<Database, 'api_keys'>;

export async function insertApiKey(
  tx: Tx,
  keys: WorkspaceKeys,
  values: {
    tenantId: number;
    createdBy: number;
    name: string;
    prefix: string;
    keyHash: string;
    expiresAt: string | null;
    scopes: string[];
    now: string;
  },
): Promise<StoredApiKey> {
  const { key_hash: _hash, ...row } = await keys
    .insertInto({
      tenant_id: values.tenantId,
      created_by: values.createdBy,
      name: values.name,
      prefix: values.prefix,
      key_hash: values.keyHash,
      expires_at: values.expiresAt,
      created_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (values.scopes.length > 0) {
    await tx
      .insertInto('api_key_scopes')
      .values(values.scopes.map((permission) => ({ api_key_id: row.id, permission })))
      .execute();
  }
  return { ...row, scopes: [...values.scopes].sort() };
}

export async function listApiKeys(db: Executor, keys: WorkspaceKeys, afterId: number, limit: number): Promise<StoredApiKey[]> {
  const rows = await keys
    .selectFrom()
    .select(['id', 'tenant_id', 'workspace_id', 'created_by', 'name', 'prefix', 'expires_at', 'revoked_at', 'last_used_at', 'created_at'])
    .$call(afterKey('id', afterId, limit))
    .execute();
  const ids = rows.map((row) => row.id);
  const scopes = ids.length
    ? await db.selectFrom('api_key_scopes').select(['api_key_id', 'permission']).where('api_key_id', 'in', ids).execute()
    : [];
  return rows.map((row) => ({
    ...row,
    scopes: scopes.filter((s) => s.api_key_id === row.id).map((s) => s.permission).sort(),
  }));
}

/** Guarded: revoking twice, or a key of another workspace, matches nothing. */
export async function revokeApiKey(keys: WorkspaceKeys, id: number, now: string): Promise<boolean> {
  const result = await keys
    .update({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revokes the live keys `userId` created in the workspace; returns their ids. */
export async function revokeKeysCreatedBy(keys: WorkspaceKeys, userId: number, now: string): Promise<number[]> {
  const rows = await keys.update({ revoked_at: now }).where('created_by', '=', userId).where('revoked_at', 'is', null).returning('id').execute();
  return rows.map((row) => row.id);
}

/**
 * Revokes every live key `userId` created, in whichever workspace of the tenant: the account
 * itself is being taken back, so no workspace's context bounds this (the ids and their
 * workspaces come back for the audit of each).
 */
export async function revokeAllKeysCreatedBy(tx: Tx, tenantId: number, userId: number, now: string): Promise<Array<{ id: number; workspaceId: number }>> {
  const rows = await tx
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('tenant_id', '=', tenantId)
    .where('created_by', '=', userId)
    .where('revoked_at', 'is', null)
    .returning(['id', 'workspace_id'])
    .execute();
  return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id }));
}

export async function apiKeyExists(keys: WorkspaceKeys, id: number): Promise<boolean> {
  const row = await keys.selectFrom().select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/** Moves last_used_at forward only, so an older flush from another process never rewinds it. */
export async function recordLastUsed(tx: Tx, usage: ReadonlyMap<number, string>): Promise<void> {
  for (const [id, at] of usage) {
    await tx
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
      .execute();
  }
}
