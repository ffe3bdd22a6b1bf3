import { MAX_STORED_ID, startsWith } from '../../core/db/dialect.ts';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database } from '../../schema/database.ts';
import type { ItemRow, ItemsTable } from './catalog.table.ts';

export type WorkspaceItems = WorkspaceTable<Database, 'items'>;
export type WorkspaceItemTags = WorkspaceTable<Database, 'item_tags'>;

export interface ItemFilter {
  archived: boolean;
  /** An exact barcode, or the start of a normalized SKU or name. */
  search?: { barcode: string; key: string };
  tagId?: number;
  supplierId?: number;
  afterId: number;
  rows: number;
}

export async function listItems(items: WorkspaceItems, itemTags: WorkspaceItemTags, filter: ItemFilter): Promise<ItemRow[]> {
  const { search, tagId, supplierId } = filter;
  // An id past any stored one names nothing, and must not reach PostgreSQL's int4 columns.
  if ([tagId, supplierId].some((id) => id !== undefined && id > MAX_STORED_ID)) return [];
  let query = items.selectFrom().selectAll().where('archived_at', filter.archived ? 'is not' : 'is', null);
  if (search) query = query.where((eb) => eb.or([eb('barcode', '=', search.barcode), startsWith('sku_key', search.key), startsWith('name_key', search.key)]));
  if (supplierId !== undefined) query = query.where('preferred_supplier_id', '=', supplierId);
  if (tagId !== undefined) query = query.where('id', 'in', itemTags.selectFrom().select('item_id').where('tag_id', '=', tagId));
  return query.$call(afterKey('id', filter.afterId, filter.rows)).execute();
}

/** Of `ids`, the items of the workspace that are not archived, with what a sale names of them. */
export async function liveItems(items: WorkspaceItems, ids: readonly number[]): Promise<Map<number, { name: string; sell_price_e4: number }>> {
  const storable = ids.filter((id) => id <= MAX_STORED_ID);
  if (storable.length === 0) return new Map();
  const rows = await items.selectFrom().select(['id', 'name', 'sell_price_e4']).where('id', 'in', storable).where('archived_at', 'is', null).execute();
  return new Map(rows.map(({ id, ...sold }) => [id, sold]));
}

export async function findItem(items: WorkspaceItems, id: number): Promise<ItemRow | undefined> {
  return items.selectFrom().selectAll().where('id', '=', id).executeTakeFirst();
}

export type ItemColumns = Omit<ItemsTable, 'id' | 'workspace_id'>;

export async function insertItem(items: WorkspaceItems, values: ItemColumns): Promise<ItemRow> {
  return items.insertInto(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateItem(items: WorkspaceItems, id: number, changes: Partial<ItemColumns> & { updated_at: string }): Promise<ItemRow | undefined> {
  return items.update(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteItem(items: WorkspaceItems, id: number): Promise<string | undefined> {
  const row = await items.deleteFrom().where('id', '=', id).returning('sku').executeTakeFirst();
  return row?.sku;
}

/** Items no longer prefer a supplier about to go. */
export async function clearPreferredSupplier(items: WorkspaceItems, supplierId: number, now: string): Promise<void> {
  await items.update({ preferred_supplier_id: null, updated_at: now }).where('preferred_supplier_id', '=', supplierId).execute();
}

/** Each item's tag ids, in id order. */
export async function tagIdsOf(itemTags: WorkspaceItemTags, itemIds: readonly number[]): Promise<Map<number, number[]>> {
  const byItem = new Map<number, number[]>(itemIds.map((id) => [id, []]));
  if (itemIds.length === 0) return byItem;
  const rows = await itemTags.selectFrom().select(['item_id', 'tag_id']).where('item_id', 'in', [...itemIds]).orderBy('tag_id').execute();
  for (const row of rows) byItem.get(row.item_id)?.push(row.tag_id);
  return byItem;
}

export async function replaceItemTags(itemTags: WorkspaceItemTags, itemId: number, tagIds: readonly number[]): Promise<void> {
  await itemTags.deleteFrom().where('item_id', '=', itemId).execute();
  for (const tagId of tagIds) await itemTags.insertInto({ item_id: itemId, tag_id: tagId }).execute();
}
