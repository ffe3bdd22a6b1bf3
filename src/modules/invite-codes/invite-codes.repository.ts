import { sql } from 'kysely';
import { lockClause } from '../../core/db/dialect.ts';
import type { Executor, Tx } from '../../schema/database.ts';

/** Replaces the workspace's code: the old one stops naming anything when this commits. */
export async function replaceCode(tx: Tx, values: { workspaceId: number; tenantId: number; code: string; createdBy: number; now: string }): Promise<void> {
  await tx.deleteFrom('workspace_invite_codes').where('workspace_id', '=', values.workspaceId).execute();
  await tx
    .insertInto('workspace_invite_codes')
    .values({ workspace_id: values.workspaceId, tenant_id: values.tenantId, code: values.code, created_by: values.createdBy, created_at: values.now })
    .execute();
}

export async function deleteCode(tx: Tx, workspaceId: number): Promise<boolean> {
  const result = await tx.deleteFrom('workspace_invite_codes').where('workspace_id', '=', workspaceId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function findCodeOf(db: Executor, workspaceId: number): Promise<string | undefined> {
  const row = await db.selectFrom('workspace_invite_codes').select('code').where('workspace_id', '=', workspaceId).executeTakeFirst();
  return row?.code;
}

/**
 * The workspace a live code of the tenant opens; with `hold`, the code's row is held until
 * the transaction ends (PostgreSQL `FOR SHARE`), so a rotation or a disabling waits for the
 * join: a join either finished before the code changed or finds it gone.
 */
export async function workspaceOfCode(tx: Tx, tenantId: number, code: string, hold: boolean): Promise<number | undefined> {
  const lock = hold ? lockClause(tx, 'share') : sql``;
  const result = await sql<{ workspace_id: number }>`select workspace_id from workspace_invite_codes where tenant_id = ${tenantId} and code = ${code}${lock}`.execute(tx);
  return result.rows[0]?.workspace_id;
}
