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
 * another's. A location-bound table is also seen only at the locations the caller may
 * work at, and written only there.
 */
export interface WorkspaceTable<DB, T extends WorkspaceOwnedTable<DB>> {
  selectFrom(): SelectQueryBuilder<DB, T, object>;
  /** An update of the workspace's rows; `workspace_id` itself cannot be set. */
  update(changes: Omit<Updateable<DB[T]>, 'workspace_id'>): UpdateQueryBuilder<DB, T, T, UpdateResult>;
  deleteFrom(): DeleteQueryBuilder<DB, T, DeleteResult>;
  insertInto(values: Omit<Insertable<DB[T]>, 'workspace_id'>): InsertQueryBuilder<DB, T, InsertResult>;
}

/**
 * The location-bound tables, each with the column naming its location, as the composed
 * areas declare them (`AreaCatalogue.locationBound`); set once the app is composed.
 */
const locationColumns = new Map<string, string>();

export function bindLocationColumns(tables: ReadonlyMap<string, string>): void {
  for (const [table, column] of tables) locationColumns.set(table, column);
}

/** The location-bound tables the kit knows, for the test that every such table is declared. */
export const boundLocationColumns = (): ReadonlyMap<string, string> => locationColumns;

/**
 * The condition keeping a location-bound table inside the request's location access;
 * undefined when the table is not location-bound or the caller works everywhere. No
 * location at all is a condition nothing meets: a restricted member with none sees nothing.
 */
function withinLocations(table: string, context: InWorkspace) {
  const column = locationColumns.get(table);
  const allowed = context.workspace.locations;
  if (column === undefined || allowed === 'all') return undefined;
  const ref = sql.ref<number>(`${table}.${column}`);
  return allowed.size === 0 ? sql<boolean>`1 = 0` : sql<boolean>`${ref} in (${sql.join([...allowed])})`;
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
  const atLocations = withinLocations(table, context);
  const ownRows = atLocations ? sql<boolean>`${inWorkspace} = ${workspaceId} and ${atLocations}` : sql<boolean>`${inWorkspace} = ${workspaceId}`;
  return {
    selectFrom: () => untyped.selectFrom(name).where(ownRows) as unknown as SelectQueryBuilder<DB, T, object>,
    update: (changes) => {
      // The types already refuse it; a cast-in value is dropped, so no row moves to another workspace.
      const { workspace_id: _kept, ...allowed } = changes as { workspace_id?: unknown };
      requireAllowedLocation(table, context, allowed);
      return untyped.updateTable(name).set(allowed).where(ownRows) as unknown as UpdateQueryBuilder<DB, T, T, UpdateResult>;
    },
    deleteFrom: () => untyped.deleteFrom(name).where(ownRows) as unknown as DeleteQueryBuilder<DB, T, DeleteResult>,
    insertInto: (values) => {
      requireAllowedLocation(table, context, values);
      return untyped.insertInto(name).values({ ...values, workspace_id: workspaceId }) as unknown as InsertQueryBuilder<DB, T, InsertResult>;
    },
  };
}

/**
 * A row written into a location-bound table names a location the caller may work at, or
 * the write is refused as naming no location of the workspace would be (services check
 * first and name their own field; this is the kit's guarantee behind them).
 */
function requireAllowedLocation(table: string, context: InWorkspace, values: object): void {
  const column = locationColumns.get(table);
  const allowed = context.workspace.locations;
  if (column === undefined || allowed === 'all' || !(column in values)) return;
  const location = (values as Record<string, unknown>)[column];
  if (typeof location !== 'number' || !allowed.has(location)) throw new AppError('VALIDATION.FAILED', { [column]: 'no such location in this workspace' });
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
