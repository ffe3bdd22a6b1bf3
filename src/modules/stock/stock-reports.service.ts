import { stringify } from 'csv-stringify/sync';
import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import { MAX_STORED_ID } from '../../core/db/dialect.ts';
import { scoped } from '../../core/db/workspace-scope.ts';
import { rescaleRounded, stringFromScaled } from '../../core/decimal.ts';
import type { Db } from '../../schema/database.ts';
import { settingsOf } from '../settings/settings.service.ts';
import { valuedLevels, type ValuedLevelRow } from './stock-reports.repository.ts';
import type { StockReportQuery, StockValuation } from './stock-reports.schemas.ts';

/** Quantities and costs are at 4 places; their product at 8, shown at 4. */
const SCALE = 4;
const quantityText = (scaled: number | bigint) => stringFromScaled(scaled, SCALE, 0);
const moneyText = (scaled: number | bigint) => stringFromScaled(scaled, SCALE, 2);
const valueText = (exact: bigint) => moneyText(rescaleRounded(exact, 2 * SCALE, SCALE));
const exactValue = (row: ValuedLevelRow) => BigInt(row.quantity_e4) * BigInt(row.unit_cost_e4);

/**
 * A spreadsheet opening the export runs a cell that starts like a formula; a name typed by a
 * user never should (OWASP's CSV injection), so such text is led by an apostrophe.
 */
const inertCell = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

const CSV_COLUMNS = ['location_id', 'location', 'item_id', 'sku', 'item', 'unit', 'quantity', 'unit_cost', 'value'] as const;

export type StockReportsService = ReturnType<typeof createStockReportsService>;

/**
 * Reports over the current workspace's levels: the valuation per location and the levels as
 * CSV. Both read through the workspace-scoped kit, so a member restricted to some locations
 * sees only those, in every row and total.
 */
export function createStockReportsService(deps: { db: Db }) {
  const { db } = deps;

  function rows(ctx: InWorkspaceContext, query: StockReportQuery): Promise<ValuedLevelRow[]> {
    // An id past any stored one names nothing, and must not reach PostgreSQL's int4 columns.
    if (query.location_id !== undefined && query.location_id > MAX_STORED_ID) return Promise.resolve([]);
    return valuedLevels(scoped(db, ctx, 'stock_levels'), { ...(query.location_id === undefined ? {} : { locationId: query.location_id }) });
  }

  return {
    async valuation(ctx: InWorkspaceContext, query: StockReportQuery): Promise<StockValuation> {
      const byLocation = new Map<number, { name: string; items: number; quantity: bigint; value: bigint }>();
      for (const row of await rows(ctx, query)) {
        const location = byLocation.get(row.location_id) ?? { name: row.location_name, items: 0, quantity: 0n, value: 0n };
        if (row.quantity_e4 !== 0) location.items += 1;
        location.quantity += BigInt(row.quantity_e4);
        location.value += exactValue(row);
        byLocation.set(row.location_id, location);
      }
      const locations = [...byLocation].map(([id, location]) => ({
        location_id: id,
        location_name: location.name,
        items: location.items,
        quantity: quantityText(location.quantity),
        value: valueText(location.value),
      }));
      const sum = (pick: (location: { quantity: bigint; value: bigint }) => bigint) => [...byLocation.values()].reduce((total, location) => total + pick(location), 0n);
      return {
        currency: (await settingsOf(db, ctx.workspace.id)).default_currency,
        locations,
        total: { quantity: quantityText(sum((location) => location.quantity)), value: valueText(sum((location) => location.value)) },
      };
    },

    /** The levels, one per row under a header, values as in the valuation. */
    async csv(ctx: InWorkspaceContext, query: StockReportQuery): Promise<string> {
      const records = (await rows(ctx, query)).map((row) => [
        row.location_id,
        inertCell(row.location_name),
        row.item_id,
        inertCell(row.sku),
        inertCell(row.item_name),
        inertCell(row.unit),
        quantityText(row.quantity_e4),
        moneyText(row.unit_cost_e4),
        valueText(exactValue(row)),
      ]);
      return stringify(records, { header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows' });
    },
  };
}
