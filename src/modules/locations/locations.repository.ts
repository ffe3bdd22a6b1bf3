import { MAX_STORED_ID } from '../../core/db/dialect.ts';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database, Tx } from '../../schema/database.ts';
import type { LocationRow, LocationType } from './locations.table.ts';

/** The workspace's locations: every query below is scoped to it by construction. */
export type WorkspaceLocations = WorkspaceTable<Database, 'locations'>;

export interface NewLocation {
  name: string;
  nameKey: string;
  type: LocationType;
  address: string | null;
  now: string;
}

const columnsOf = (values: NewLocation) => ({
  name: values.name,
  name_key: values.nameKey,
  type: values.type,
  address: values.address,
  created_at: values.now,
  updated_at: values.now,
});

/** The first location of a new workspace, before any request context names the workspace. */
export async function insertFirstLocation(tx: Tx, workspaceId: number, values: NewLocation): Promise<number> {
  const row = await tx
    .insertInto('locations')
    .values({ workspace_id: workspaceId, ...columnsOf(values) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertLocation(locations: WorkspaceLocations, values: NewLocation): Promise<LocationRow> {
  return locations.insertInto(columnsOf(values)).returningAll().executeTakeFirstOrThrow();
}

export async function listLocations(locations: WorkspaceLocations, page: { archived: boolean; afterId: number; rows: number }): Promise<LocationRow[]> {
  return locations
    .selectFrom()
    .selectAll()
    .where('archived_at', page.archived ? 'is not' : 'is', null)
    .$call(afterKey('id', page.afterId, page.rows))
    .execute();
}

export async function findLocation(locations: WorkspaceLocations, id: number): Promise<LocationRow | undefined> {
  return locations.selectFrom().selectAll().where('id', '=', id).executeTakeFirst();
}

export async function liveLocationIds(locations: WorkspaceLocations, ids: readonly number[]): Promise<Set<number>> {
  // An id past any stored one names nothing, and must not reach PostgreSQL's int4 columns.
  const storable = ids.filter((id) => id <= MAX_STORED_ID);
  if (storable.length === 0) return new Set();
  const rows = await locations.selectFrom().select('id').where('id', 'in', storable).where('archived_at', 'is', null).execute();
  return new Set(rows.map((row) => row.id));
}

export async function updateLocation(
  locations: WorkspaceLocations,
  id: number,
  changes: { name?: string; name_key?: string; type?: LocationType; address?: string | null; archived_at?: string | null; updated_at: string },
): Promise<LocationRow | undefined> {
  return locations.update(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

/** The deleted location's name, or undefined when there was none. */
export async function deleteLocation(locations: WorkspaceLocations, id: number): Promise<string | undefined> {
  const row = await locations.deleteFrom().where('id', '=', id).returning('name').executeTakeFirst();
  return row?.name;
}
