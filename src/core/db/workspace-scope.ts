import type { WorkspaceContext } from '../auth/request-context.ts';
import { AppError } from '../errors.ts';
import { lockClause } from './dialect.ts';
import { inTransaction } from './transaction.ts';
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
  type Updateable,
  type UpdateResult,
} from 'kysely';

/** The tables of `DB` whose rows belong to one workspace: they have a `workspace_id` column. */
export type WorkspaceOwnedTable<DB> = {
  [T in keyof DB & string]: DB[T] extends { workspace_id: number } ? T : never;
}[keyof DB & string];

/** Where a scope comes from: the resolved request context's workspace, never an id from input. */
export interface InWorkspace {
  readonly workspace: WorkspaceContext;
}

/**
 * One workspace-owned table, seen from one workspace: every query it starts already
 * carries `workspace_id = <the workspace>`, inserts set it and updates cannot change it,
 * so a repository cannot forget the filter that keeps one workspace's records from
 * another's.
 */
export interface WorkspaceTable<DB, T extends WorkspaceOwnedTable<DB>> {
  selectFrom(): SelectQueryBuilder<DB, T, object>;
  /** An update of the workspace's rows; `workspace_id` itself cannot be set. */
  update(changes: Omit<Updateable<DB[T]>, 'workspace_id'>): UpdateQueryBuilder<DB, T, T, UpdateResult>;
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
  context: InWorkspace,
  table: T,
): WorkspaceTable<DB, T> {
  const workspaceId = context.workspace.id;
  // One stand-in table name for the type checker; the SQL names the real table.
  const untyped = executor as unknown as Kysely<{ owned: { workspace_id: number } }>;
  const name = table as unknown as 'owned';
  const inWorkspace = sql.ref<number>(`${table}.workspace_id`);
  return {
    selectFrom: () => untyped.selectFrom(name).where(inWorkspace, '=', workspaceId) as unknown as SelectQueryBuilder<DB, T, object>,
    update: (changes) => {
      // The types already refuse it; a cast-in value is dropped, so no row moves to another workspace.
      const { workspace_id: _kept, ...allowed } = changes as { workspace_id?: unknown };
      return untyped.updateTable(name).set(allowed).where(inWorkspace, '=', workspaceId) as unknown as UpdateQueryBuilder<DB, T, T, UpdateResult>;
    },
    deleteFrom: () => untyped.deleteFrom(name).where(inWorkspace, '=', workspaceId) as unknown as DeleteQueryBuilder<DB, T, DeleteResult>,
    insertInto: (values) =>
      untyped.insertInto(name).values({ ...values, workspace_id: workspaceId }) as unknown as InsertQueryBuilder<DB, T, InsertResult>,
  };
}

/**
 * A write transaction inside the request's workspace that cannot race the workspace's
 * deletion: it first holds the workspace row (PostgreSQL `FOR KEY SHARE`, which lets other
 * writers in but makes a delete wait; SQLite's BEGIN IMMEDIATE already runs writers one at
 * a time) and answers 404 WORKSPACE.NOT_FOUND if it is already gone, instead of failing
 * later on a foreign key.
 *
 * @example await inWorkspaceTransaction(db, ctx, (tx) => insertRole(tx, scoped(tx, ctx, 'roles'), input));
 */
export async function inWorkspaceTransaction<DB, T>(
  db: Kysely<DB>,
  context: InWorkspace,
  work: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return inTransaction(db, async (tx) => {
    if (!(await holdWorkspace(tx, context.workspace.id))) throw new AppError('WORKSPACE.NOT_FOUND');
    return work(tx);
  });
}

/**
 * Holds a workspace row until the transaction ends, as `inWorkspaceTransaction` does, for a
 * transaction that learns its workspace inside (a join by invite code); false if it is gone.
 * Taken before anything inside the workspace, it keeps the order a workspace's deletion
 * locks in, so the two cannot deadlock.
 */
export async function holdWorkspace<DB>(tx: Transaction<DB>, workspaceId: number): Promise<boolean> {
  const held = await sql`select id from workspaces where id = ${workspaceId}${lockClause(tx, 'key share')}`.execute(tx);
  return held.rows.length > 0;
}
