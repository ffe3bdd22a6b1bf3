import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import { createRecordPages } from '../../core/cache/record-pages.ts';
import type { Clock } from '../../core/clock.ts';
import { inWorkspaceTransaction, scoped } from '../../core/db/workspace-scope.ts';
import { scaledFromString, stringFromScaled } from '../../core/decimal.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { liveItemIds } from '../catalog/items.service.ts';
import { liveLocationIds } from '../locations/locations.service.ts';
import { holdSettingsUnchanged } from '../settings/settings.service.ts';
import * as repository from './stock.repository.ts';
import type { AdjustmentBody, ReceiptBody, StockLevel, StockListQuery, StockMovement, Transfer, TransferBody } from './stock.schemas.ts';
import { MAX_LEVEL_E4 } from '../../schema/migrations/0015-stock.ts';
import type { StockLevelRow, StockMovementKind, StockMovementRow } from './stock.table.ts';

/** Quantities are kept in ten-thousandths, as money is. */
const QUANTITY_SCALE = 4;
const quantityText = (scaled: number) => stringFromScaled(scaled, QUANTITY_SCALE, 0);

function toLevel(row: StockLevelRow): StockLevel {
  return { id: row.id, item_id: row.item_id, location_id: row.location_id, quantity: quantityText(row.quantity_e4), updated_at: row.updated_at };
}

function toMovement(row: StockMovementRow): StockMovement {
  const { quantity_e4: quantity, workspace_id: _workspace, ...rest } = row;
  return { ...rest, quantity: quantityText(quantity) };
}

/** A quantity of the body, scaled; 422 naming the field when it is zero (nothing moves). */
function nonZero(field: string, text: string): number {
  const scaled = scaledFromString(text, QUANTITY_SCALE);
  if (scaled === 0) throw new AppError('VALIDATION.FAILED', { [field]: 'must not be zero' });
  return scaled;
}

export type StockService = ReturnType<typeof createStockService>;

export function createStockService(deps: { db: Db; clock: Clock; recordPageEntries: number }) {
  const { db, clock } = deps;
  // Every movement changes a level, and levels move the `stock` record version (migration 0018).
  const levelPages = createRecordPages<Page<StockLevel>>('stock', deps.recordPageEntries);

  /** 422 naming each field whose id is not a live item, or a live location, of the workspace. */
  async function requirePlaces(tx: Tx, ctx: InWorkspaceContext, itemId: number, locations: Record<string, number>): Promise<void> {
    const problems: Record<string, string> = {};
    if (!(await liveItemIds(tx, ctx, [itemId])).has(itemId)) problems.item_id = 'no such item in this workspace (or it is archived)';
    const live = await liveLocationIds(tx, ctx, Object.values(locations));
    for (const [field, id] of Object.entries(locations)) if (!live.has(id)) problems[field] = 'no such location in this workspace (or it is archived)';
    if (Object.keys(problems).length > 0) throw new AppError('VALIDATION.FAILED', problems);
  }

  /**
   * A level moved by `quantity` (negative: taken), in the caller's transaction; 409 when it
   * would go below zero (unless the workspace allows negative stock), or past the largest
   * level either way.
   */
  async function moveLevel(
    tx: Tx,
    ctx: InWorkspaceContext,
    level: { itemId: number; locationId: number; quantity: number; negativeAllowed: boolean },
    now: string,
  ): Promise<void> {
    const levels = scoped(tx, ctx, 'stock_levels');
    const at = { itemId: level.itemId, locationId: level.locationId, now };
    const takeGuarded = level.quantity < 0 && !level.negativeAllowed;
    const moved = takeGuarded ? await repository.lowerLevel(levels, { ...at, by: -level.quantity }) : await repository.addToLevel(levels, { ...at, by: level.quantity });
    if (moved) return;
    const available = quantityText(await repository.levelOf(levels, level.itemId, level.locationId));
    const where = { item_id: String(level.itemId), location_id: String(level.locationId) };
    if (level.quantity > 0) throw new AppError('STOCK.LEVEL_TOO_LARGE', { ...where, level: available, largest: quantityText(MAX_LEVEL_E4) });
    throw new AppError('STOCK.INSUFFICIENT', { ...where, available });
  }

  /** The movement in the ledger, by whoever makes the request. */
  function record(
    tx: Tx,
    ctx: InWorkspaceContext,
    movement: { kind: StockMovementKind; itemId: number; locationId: number; quantity: number; reason: string | null; transferId: number | null; invoiceId?: number },
    now: string,
  ): Promise<StockMovementRow> {
    return repository.insertMovement(scoped(tx, ctx, 'stock_movements'), {
      item_id: movement.itemId,
      location_id: movement.locationId,
      kind: movement.kind,
      quantity_e4: movement.quantity,
      reason: movement.reason,
      transfer_id: movement.transferId,
      invoice_id: movement.invoiceId ?? null,
      actor_user_id: ctx.actor.userId,
      actor_api_key_id: ctx.actor.kind === 'api_key' ? ctx.actor.apiKeyId : null,
      created_at: now,
    });
  }

  /** A receipt or an adjustment: one movement at one location, audited. */
  async function single(ctx: InWorkspaceContext, kind: 'receipt' | 'adjustment', input: { item_id: number; location_id: number; quantity: number; reason: string | null }) {
    const now = clock.now().toISOString();
    return inWorkspaceTransaction(db, ctx, async (tx) => {
      // Only a take decides on the setting; what comes in reads and holds nothing more.
      const negativeAllowed = input.quantity < 0 && (await holdSettingsUnchanged(tx, ctx.workspace.id)).allow_negative_stock;
      await requirePlaces(tx, ctx, input.item_id, { location_id: input.location_id });
      const place = { itemId: input.item_id, locationId: input.location_id, quantity: input.quantity };
      await moveLevel(tx, ctx, { ...place, negativeAllowed }, now);
      const row = await record(tx, ctx, { ...place, kind, reason: input.reason, transferId: null }, now);
      await recordAudit(tx, ctx, {
        action: kind === 'receipt' ? 'stock.received' : 'stock.adjusted',
        targetType: 'item',
        targetId: input.item_id,
        workspaceId: ctx.workspace.id,
        details: { location_id: input.location_id, quantity: quantityText(input.quantity), reason: input.reason },
        locationIds: [input.location_id],
        at: now,
      });
      return toMovement(row);
    });
  }

  const where = (query: StockListQuery) => ({
    ...(query.item_id === undefined ? {} : { itemId: query.item_id }),
    ...(query.location_id === undefined ? {} : { locationId: query.location_id }),
    afterId: decodeCursor(query.cursor),
    rows: query.limit + 1,
  });

  return {
    /** The level-page cache's hits and misses, for GET /metrics. */
    cacheStats: () => levelPages.stats(),

    levels(ctx: InWorkspaceContext, query: StockListQuery): Promise<Page<StockLevel>> {
      const narrowed = where(query);
      return levelPages.read(ctx, JSON.stringify(narrowed), async () => {
        const page = toPage(await repository.listLevels(scoped(db, ctx, 'stock_levels'), narrowed), query.limit);
        return { items: page.items.map(toLevel), nextCursor: page.nextCursor };
      });
    },

    async movements(ctx: InWorkspaceContext, query: StockListQuery): Promise<Page<StockMovement>> {
      const page = toPage(await repository.listMovements(scoped(db, ctx, 'stock_movements'), where(query)), query.limit);
      return { items: page.items.map(toMovement), nextCursor: page.nextCursor };
    },

    receive: (ctx: InWorkspaceContext, input: ReceiptBody) => {
      const quantity = nonZero('quantity', input.quantity);
      return single(ctx, 'receipt', { item_id: input.item_id, location_id: input.location_id, quantity, reason: input.reason ?? null });
    },

    adjust: (ctx: InWorkspaceContext, input: AdjustmentBody) => {
      const quantity = nonZero('quantity_change', input.quantity_change);
      return single(ctx, 'adjustment', { item_id: input.item_id, location_id: input.location_id, quantity, reason: input.reason });
    },

    /**
     * The stock an invoice draws when issued (`sale`) or gives back when voided (`return`), at
     * one location, inside the invoice's transaction: one movement per item naming the
     * invoice, levels moved in item order (as every multi-level change here moves them, so two
     * invoices drawing the same items wait for each other instead of deadlocking). A sale takes
     * no level below zero unless the workspace allows it (409 STOCK.INSUFFICIENT naming the item).
     */
    async moveForInvoice(
      tx: Tx,
      ctx: InWorkspaceContext,
      movement: { kind: 'sale' | 'return'; invoiceId: number; locationId: number; quantities: ReadonlyMap<number, number>; negativeAllowed: boolean },
      now: string,
    ): Promise<void> {
      const sign = movement.kind === 'sale' ? -1 : 1;
      for (const [itemId, quantity] of [...movement.quantities].sort(([a], [b]) => a - b)) {
        const place = { itemId, locationId: movement.locationId, quantity: sign * quantity };
        await moveLevel(tx, ctx, { ...place, negativeAllowed: movement.negativeAllowed }, now);
        await record(tx, ctx, { ...place, kind: movement.kind, reason: null, transferId: null, invoiceId: movement.invoiceId }, now);
      }
    },

    /** What an invoice's sales took, per item, inside the caller's transaction. */
    drawnBy: (tx: Tx, ctx: InWorkspaceContext, invoiceId: number) => repository.soldBy(scoped(tx, ctx, 'stock_movements'), invoiceId),

    /**
     * Moves stock between two locations of the workspace: both legs or neither. The two
     * levels are moved in location order, so two transfers between the same places in
     * opposite directions wait for each other instead of deadlocking on PostgreSQL. The
     * incoming leg names the outgoing one (`transfer_id`), whose id names the transfer.
     */
    async transfer(ctx: InWorkspaceContext, input: TransferBody): Promise<Transfer> {
      const quantity = nonZero('quantity', input.quantity);
      const now = clock.now().toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const settings = await holdSettingsUnchanged(tx, ctx.workspace.id);
        const from = input.from_location_id ?? settings.default_transfer_from_location_id;
        if (from === null) throw new AppError('VALIDATION.FAILED', { from_location_id: 'required: the workspace has no default_transfer_from_location_id' });
        if (from === input.to_location_id) throw new AppError('VALIDATION.FAILED', { to_location_id: 'must differ from the location stock moves from' });
        await requirePlaces(tx, ctx, input.item_id, { from_location_id: from, to_location_id: input.to_location_id });
        const reason = input.reason ?? null;
        const out = { itemId: input.item_id, locationId: from, quantity: -quantity };
        const into = { itemId: input.item_id, locationId: input.to_location_id, quantity };
        for (const leg of [out, into].sort((a, b) => a.locationId - b.locationId)) {
          await moveLevel(tx, ctx, { ...leg, negativeAllowed: settings.allow_negative_stock }, now);
        }
        const outgoing = await record(tx, ctx, { ...out, kind: 'transfer_out', reason, transferId: null }, now);
        const incoming = await record(tx, ctx, { ...into, kind: 'transfer_in', reason, transferId: outgoing.id }, now);
        await recordAudit(tx, ctx, {
          action: 'stock.transferred',
          targetType: 'item',
          targetId: input.item_id,
          workspaceId: ctx.workspace.id,
          details: { from_location_id: from, to_location_id: input.to_location_id, quantity: quantityText(quantity), reason },
          locationIds: [from, input.to_location_id],
          at: now,
        });
        return {
          transfer_id: outgoing.id,
          item_id: input.item_id,
          from_location_id: from,
          to_location_id: input.to_location_id,
          quantity: quantityText(quantity),
          movements: [outgoing, incoming].map(toMovement),
        };
      });
    },
  };
}
