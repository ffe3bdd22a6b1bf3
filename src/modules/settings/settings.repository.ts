import { sql } from 'kysely';
import { lockClause } from '../../core/db/dialect.ts';
import type { Executor, Tx } from '../../schema/database.ts';
import type { SettingsChanges, WorkspaceSettingsRow } from './settings.table.ts';

export async function insertSettings(tx: Tx, workspaceId: number, defaultLocationId: number): Promise<void> {
  await tx.insertInto('workspace_settings').values({ workspace_id: workspaceId, default_location_id: defaultLocationId }).execute();
}

export async function findSettings(db: Executor, workspaceId: number): Promise<WorkspaceSettingsRow | undefined> {
  return db.selectFrom('workspace_settings').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
}

/**
 * The settings row, locked until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite runs
 * one writer at a time): a change of the default locations and the archiving or deletion of
 * a location take it first, so neither decides on what the other is changing. A `share`
 * hold keeps the row from changing while letting other holders of a share read on.
 */
export async function holdSettings(tx: Tx, workspaceId: number, strength: 'update' | 'share' = 'update'): Promise<WorkspaceSettingsRow | undefined> {
  const result = await sql<WorkspaceSettingsRow>`select * from workspace_settings where workspace_id = ${workspaceId}${lockClause(tx, strength)}`.execute(tx);
  return result.rows[0];
}

export async function updateSettings(tx: Tx, workspaceId: number, changes: SettingsChanges): Promise<void> {
  await tx.updateTable('workspace_settings').set(changes).where('workspace_id', '=', workspaceId).execute();
}
