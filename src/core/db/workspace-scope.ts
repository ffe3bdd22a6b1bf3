import {
  sql,
  type DeleteQueryBuilder,
  type DeleteResult,
  type Insertable,
  type InsertQueryBuilder,
  type InsertResult,
  type Kysely,
  type SelectQueryBuilder,
  type Transaction,
  type UpdateQueryBuilder,
  type UpdateResult,
} from 'kysely';

/** The tables of `DB` whose rows belong to one workspace: they have a `workspace_id` column. */
export type WorkspaceOwnedTable<DB> = {
  [T in keyof DB & string]: DB[T] extends { workspace_id: number } ? T : never;
}[keyof DB & string];

/**
 * One workspace-owned table, seen from one workspace: every query it starts already
 * carries `workspace_id = <the workspace>` (and every insert sets it), so a repository
 * cannot forget the filter that keeps one workspace's records from another's. The
 * workspace comes from the resolved request context, never from input.
 */
export interface WorkspaceTable<DB, T extends WorkspaceOwnedTable<DB>> {
  readonly workspaceId: number;
  selectFrom(): SelectQueryBuilder<DB, T, object>;
  updateTable(): UpdateQueryBuilder<DB, T, T, UpdateResult>;
  deleteFrom(): DeleteQueryBuilder<DB, T, DeleteResult>;
  insertInto(values: Omit<Insertable<DB[T]>, 'workspace_id'>): InsertQueryBuilder<DB, T, InsertResult>;
}

/**
 * A service hands its repository the table as the request's workspace sees it; the
 * repository builds on it. Kysely's builder types cannot see through a generic table
 * name, hence the casts inside; the signatures outside stay exact.
 *
 * @example
 * const keys = scoped(db, ctx, 'api_keys');                       // in the service
 * await keys.selectFrom().select(['id', 'name']).where('id', '=', id).executeTakeFirst();  // in the repository
 */
export function scoped<DB, T extends WorkspaceOwnedTable<DB>>(
  executor: Kysely<DB> | Transaction<DB>,
  context: { readonly workspace: { readonly id: number } },
  table: T,
): WorkspaceTable<DB, T> {
  const workspaceId = context.workspace.id;
  // One stand-in table name for the type checker; the SQL names the real table.
  const untyped = executor as unknown as Kysely<{ owned: { workspace_id: number } }>;
  const name = table as unknown as 'owned';
  const inWorkspace = sql.ref<number>(`${table}.workspace_id`);
  return {
    workspaceId,
    selectFrom: () => untyped.selectFrom(name).where(inWorkspace, '=', workspaceId) as unknown as SelectQueryBuilder<DB, T, object>,
    updateTable: () => untyped.updateTable(name).where(inWorkspace, '=', workspaceId) as unknown as UpdateQueryBuilder<DB, T, T, UpdateResult>,
    deleteFrom: () => untyped.deleteFrom(name).where(inWorkspace, '=', workspaceId) as unknown as DeleteQueryBuilder<DB, T, DeleteResult>,
    insertInto: (values) =>
      untyped.insertInto(name).values({ ...values, workspace_id: workspaceId }) as unknown as InsertQueryBuilder<DB, T, InsertResult>,
  };
}
