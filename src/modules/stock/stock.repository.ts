import { sql, type SelectQueryBuilder } from 'kysely';
import { MAX_STORED_ID } from '../../core/db/dialect.ts';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database } from '../../schema/database.ts';
import { MAX_LEVEL_E4 } from '../../schema/migrations/0015-stock.ts';
import type { StockLevelRow, StockMovementRow, StockMovementsTable } from './stock.table.ts';

export type WorkspaceMovements = WorkspaceTable<Database, 'stock_movements'>;
export type WorkspaceLevels = WorkspaceTable<Database, 'stock_levels'>;

export interface Where {
  itemId?: number;
  locationId?: number;
  afterId: number;
  rows: number;
}

/** An id past any stored one names nothing, and must not reach PostgreSQL's int4 columns. */
const namesNothing = (where: Where) => [where.itemId, where.locationId].some((id) => id !== undefined && id > MAX_STORED_ID);

export async function insertMovement(movements: WorkspaceMovements, values: Omit<StockMovementsTable, 'id' | 'workspace_id'>): Promise<StockMovementRow> {
  return movements.insertInto(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Adds `by` (negative: takes) to a level, creating it at its first movement, only if that
 * keeps it within ±MAX_LEVEL_E4: false when it would not (the level is left as it was).
 * Below zero only where the workspace allows negative stock: the database refuses it
 * elsewhere (migration 0017); `lowerLevel` is the take that never goes below zero.
 */
export async function addToLevel(levels: WorkspaceLevels, level: { itemId: number; locationId: number; by: number; now: string }): Promise<boolean> {
  const result = await levels
    .insertInto({ item_id: level.itemId, location_id: level.locationId, quantity_e4: level.by, updated_at: level.now })
    .onConflict((conflict) =>
      conflict.columns(['workspace_id', 'item_id', 'location_id']).doUpdateSet((eb) => ({
        quantity_e4: eb('stock_levels.quantity_e4', '+', eb.ref('excluded.quantity_e4')),
        updated_at: eb.ref('excluded.updated_at'),
      })).where((eb) => eb.between(eb('stock_levels.quantity_e4', '+', eb.ref('excluded.quantity_e4')), -MAX_LEVEL_E4, MAX_LEVEL_E4)),
    )
    .executeTakeFirst();
  return result.numInsertedOrUpdatedRows !== undefined && result.numInsertedOrUpdatedRows > 0n;
}

/**
 * Takes from a level only if that leaves it at zero or more: one guarded statement, decided
 * on the latest committed row under its row lock. False when there is not enough (or no level).
 */
export async function lowerLevel(levels: WorkspaceLevels, level: { itemId: number; locationId: number; by: number; now: string }): Promise<boolean> {
  const result = await levels
    .update({ updated_at: level.now })
    .set((eb) => ({ quantity_e4: eb('quantity_e4', '-', level.by) }))
    .where('item_id', '=', level.itemId)
    .where('location_id', '=', level.locationId)
    .where('quantity_e4', '>=', level.by)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** What an invoice's sales took, per item (positive): what voiding it gives back. */
export async function soldBy(movements: WorkspaceMovements, invoiceId: number): Promise<Map<number, number>> {
  const rows = await movements.selectFrom().select(['item_id', 'quantity_e4']).where('invoice_id', '=', invoiceId).where('kind', '=', 'sale').execute();
  const sold = new Map<number, number>();
  for (const row of rows) sold.set(row.item_id, (sold.get(row.item_id) ?? 0) - row.quantity_e4);
  return sold;
}

export async function levelOf(levels: WorkspaceLevels, itemId: number, locationId: number): Promise<number> {
  const row = await levels.selectFrom().select('quantity_e4').where('item_id', '=', itemId).where('location_id', '=', locationId).executeTakeFirst();
  return row?.quantity_e4 ?? 0;
}

/** A page of levels or movements, narrowed to an item or a location when asked. */
function page(where: Where) {
  return <DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> => {
    let narrowed = query;
    if (where.itemId !== undefined) narrowed = narrowed.where(sql.ref('item_id'), '=', where.itemId);
    if (where.locationId !== undefined) narrowed = narrowed.where(sql.ref('location_id'), '=', where.locationId);
    return narrowed.$call(afterKey('id', where.afterId, where.rows));
  };
}

export async function listLevels(levels: WorkspaceLevels, where: Where): Promise<StockLevelRow[]> {
  return namesNothing(where) ? [] : levels.selectFrom().selectAll().$call(page(where)).execute();
}

export async function listMovements(movements: WorkspaceMovements, where: Where): Promise<StockMovementRow[]> {
  return namesNothing(where) ? [] : movements.selectFrom().selectAll().$call(page(where)).execute();
}
