import { MAX_STORED_ID, startsWith } from '../../core/db/dialect.ts';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database } from '../../schema/database.ts';
import type { SupplierRow, TagRow } from './catalog.table.ts';

/** The catalogue's records known by a name unique in their workspace: suppliers and tags. */
export type NamedTable = 'suppliers' | 'tags';
export interface NamedRows {
  suppliers: SupplierRow;
  tags: TagRow;
}
/** One kind's table, as the request's workspace sees it. */
export type WorkspaceNamed<T extends NamedTable> = WorkspaceTable<Database, T>;

// Kysely cannot follow a generic table name; every query below names only the columns both tables share.
const untyped = <T extends NamedTable>(table: WorkspaceNamed<T>) => table as unknown as WorkspaceNamed<'tags'>;

export async function listNamed<T extends NamedTable>(table: WorkspaceNamed<T>, page: { afterId: number; rows: number; namePrefix?: string }): Promise<NamedRows[T][]> {
  let query = untyped(table).selectFrom().selectAll();
  if (page.namePrefix !== undefined) query = query.where(startsWith('name_key', page.namePrefix));
  return (await query.$call(afterKey('id', page.afterId, page.rows)).execute()) as NamedRows[T][];
}

export async function findNamed<T extends NamedTable>(table: WorkspaceNamed<T>, id: number): Promise<NamedRows[T] | undefined> {
  return (await untyped(table).selectFrom().selectAll().where('id', '=', id).executeTakeFirst()) as NamedRows[T] | undefined;
}

/** Of `ids`, those naming a record of the workspace. */
export async function existingIds<T extends NamedTable>(table: WorkspaceNamed<T>, ids: readonly number[]): Promise<Set<number>> {
  // An id past any stored one names nothing, and must not reach PostgreSQL's int4 columns.
  const storable = ids.filter((id) => id <= MAX_STORED_ID);
  if (storable.length === 0) return new Set();
  const rows = await untyped(table).selectFrom().select('id').where('id', 'in', storable).execute();
  return new Set(rows.map((row) => row.id));
}

export async function insertNamed<T extends NamedTable>(table: WorkspaceNamed<T>, values: Record<string, unknown>): Promise<NamedRows[T]> {
  return (await untyped(table)
    .insertInto(values as never)
    .returningAll()
    .executeTakeFirstOrThrow()) as NamedRows[T];
}

export async function updateNamed<T extends NamedTable>(table: WorkspaceNamed<T>, id: number, changes: Record<string, unknown>): Promise<NamedRows[T] | undefined> {
  return (await untyped(table)
    .update(changes as never)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()) as NamedRows[T] | undefined;
}

/** The deleted record's name, or undefined when there was none. */
export async function deleteNamed<T extends NamedTable>(table: WorkspaceNamed<T>, id: number): Promise<string | undefined> {
  const row = await untyped(table).deleteFrom().where('id', '=', id).returning('name').executeTakeFirst();
  return row?.name;
}
