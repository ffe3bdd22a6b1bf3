import type { WorkspaceLevels } from './stock.repository.ts';

/** A level with what a report shows of its item and location. */
export interface ValuedLevelRow {
  location_id: number;
  location_name: string;
  item_id: number;
  sku: string;
  item_name: string;
  unit: string;
  quantity_e4: number;
  unit_cost_e4: number;
}

/**
 * Every level the request may see (the kit keeps out locations outside the caller's access),
 * with its item and location, by location then item; one location only when asked.
 */
export async function valuedLevels(levels: WorkspaceLevels, where: { locationId?: number }): Promise<ValuedLevelRow[]> {
  let query = levels
    .selectFrom()
    .innerJoin('items as i', (join) => join.onRef('i.workspace_id', '=', 'stock_levels.workspace_id').onRef('i.id', '=', 'stock_levels.item_id'))
    .innerJoin('locations as l', (join) => join.onRef('l.workspace_id', '=', 'stock_levels.workspace_id').onRef('l.id', '=', 'stock_levels.location_id'))
    .select([
      'stock_levels.location_id as location_id',
      'l.name as location_name',
      'stock_levels.item_id as item_id',
      'i.sku as sku',
      'i.name as item_name',
      'i.unit as unit',
      'stock_levels.quantity_e4 as quantity_e4',
      'i.unit_cost_e4 as unit_cost_e4',
    ]);
  if (where.locationId !== undefined) query = query.where('stock_levels.location_id', '=', where.locationId);
  return query.orderBy('stock_levels.location_id').orderBy('stock_levels.item_id').execute();
}
