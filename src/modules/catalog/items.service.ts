import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import { createRecordPages } from '../../core/cache/record-pages.ts';
import type { Clock } from '../../core/clock.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../../core/db/dialect.ts';
import { inWorkspaceTransaction, scoped, type InWorkspace } from '../../core/db/workspace-scope.ts';
import { scaledFromString, stringFromScaled, toScaled, withPercent } from '../../core/decimal.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { normalizeKey } from '../../core/normalize.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { consumeAllowance, releaseAllowance } from '../plans/plans.service.ts';
import { settingsOf } from '../settings/settings.service.ts';
import type { ItemRow } from './catalog.table.ts';
import type { CreateItemBody, Item, ItemListQuery, UpdateItemBody } from './catalog.schemas.ts';
import * as repository from './items.repository.ts';
import { existingIds } from './named-records.service.ts';

/** Money is kept in ten-thousandths of the currency unit. */
const MONEY_SCALE = 4;
/** A derived sell price is rounded, half up, to the cent. */
const CENT = 100;
const DEFAULT_UNIT = 'unit';
/** The largest amount the `money` pattern takes (99999999999.9999), in ten-thousandths. */
const MAX_MONEY = 999_999_999_999_999;

function toItem(row: ItemRow, tagIds: number[]): Item {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    unit: row.unit,
    barcode: row.barcode,
    unit_cost: stringFromScaled(row.unit_cost_e4, MONEY_SCALE),
    sell_price: stringFromScaled(row.sell_price_e4, MONEY_SCALE),
    tag_ids: tagIds,
    preferred_supplier_id: row.preferred_supplier_id,
    archived: row.archived_at !== null,
    archived_at: row.archived_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function refusal(error: unknown): unknown {
  if (isUniqueViolation(error, 'sku_key')) return new AppError('ITEM.SKU_TAKEN');
  if (isUniqueViolation(error, 'barcode')) return new AppError('ITEM.BARCODE_TAKEN');
  return error;
}

/** 422 naming the field when an id it gives names no tag or supplier of this workspace. */
async function requireReferences(tx: Tx, ctx: InWorkspace, input: { tag_ids?: number[]; preferred_supplier_id?: number | null }): Promise<void> {
  if (input.tag_ids?.length) {
    const found = await existingIds(tx, ctx, 'tags', input.tag_ids);
    const missing = input.tag_ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new AppError('VALIDATION.FAILED', { tag_ids: `no such tag in this workspace: ${missing.join(', ')}` });
  }
  const supplierId = input.preferred_supplier_id;
  if (supplierId !== undefined && supplierId !== null && !(await existingIds(tx, ctx, 'suppliers', [supplierId])).has(supplierId)) {
    throw new AppError('VALIDATION.FAILED', { preferred_supplier_id: 'no such supplier in this workspace' });
  }
}

/** The sell price a body gives, or the unit cost raised by the workspace's default markup (none: the cost itself). */
async function sellPriceOf(tx: Tx, workspaceId: number, given: string | undefined, unitCost: number): Promise<number> {
  if (given !== undefined) return scaledFromString(given, MONEY_SCALE);
  const markup = (await settingsOf(tx, workspaceId)).default_markup_percent;
  const derived = markup === null ? unitCost : withPercent(unitCost, toScaled(markup, MONEY_SCALE), MONEY_SCALE, CENT);
  // A price the schema could not take back is none to derive: the caller names one.
  if (derived > MAX_MONEY) throw new AppError('VALIDATION.FAILED', { sell_price: 'the unit cost with the default markup is too large; give a sell price' });
  return derived;
}

/** Of `ids`, those naming a live (not archived) item of the context's workspace: what stock may move. */
export async function liveItemIds(tx: Tx, ctx: InWorkspace, ids: readonly number[]): Promise<Set<number>> {
  return new Set((await repository.liveItems(scoped(tx, ctx, 'items'), ids)).keys());
}

/** Of `ids`, the live items of the context's workspace with their names and sell prices: what an invoice line sells. */
export function liveItemsForSale(tx: Tx, ctx: InWorkspace, ids: readonly number[]) {
  return repository.liveItems(scoped(tx, ctx, 'items'), ids);
}

/** Items leave without a preferred supplier when it goes: part of the supplier's deletion. */
export function forgetSupplier(tx: Tx, ctx: InWorkspace, supplierId: number, now: string): Promise<void> {
  return repository.clearPreferredSupplier(scoped(tx, ctx, 'items'), supplierId, now);
}

export type ItemsService = ReturnType<typeof createItemsService>;

export function createItemsService(deps: { db: Db; clock: Clock; recordPageEntries: number }) {
  const { db, clock } = deps;
  // An item page shows items and their tags: both move the `items` record version (migration 0018).
  const pages = createRecordPages<Page<Item>>('items', deps.recordPageEntries);

  async function present(executor: Db | Tx, ctx: InWorkspace, rows: ItemRow[]): Promise<Item[]> {
    const tags = await repository.tagIdsOf(scoped(executor, ctx, 'item_tags'), rows.map((row) => row.id));
    return rows.map((row) => toItem(row, tags.get(row.id) ?? []));
  }

  async function one(executor: Db | Tx, ctx: InWorkspace, row: ItemRow): Promise<Item> {
    const [item] = await present(executor, ctx, [row]);
    if (!item) throw new AppError('ITEM.NOT_FOUND');
    return item;
  }

  return {
    /** The page cache's hits and misses, for GET /metrics. */
    cacheStats: () => pages.stats(),

    list(ctx: InWorkspaceContext, query: ItemListQuery): Promise<Page<Item>> {
      const filter = {
        archived: query.archived ?? false,
        ...(query.q === undefined ? {} : { search: { barcode: query.q.trim(), key: normalizeKey(query.q) } }),
        ...(query.tag_id === undefined ? {} : { tagId: query.tag_id }),
        ...(query.supplier_id === undefined ? {} : { supplierId: query.supplier_id }),
        afterId: decodeCursor(query.cursor),
        rows: query.limit + 1,
      };
      return pages.read(ctx, JSON.stringify(filter), async () => {
        const page = toPage(await repository.listItems(scoped(db, ctx, 'items'), scoped(db, ctx, 'item_tags'), filter), query.limit);
        return { items: await present(db, ctx, page.items), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: InWorkspaceContext, id: number): Promise<Item> {
      const row = await repository.findItem(scoped(db, ctx, 'items'), id);
      if (!row) throw new AppError('ITEM.NOT_FOUND');
      return one(db, ctx, row);
    },

    /** Counted against the plan's `items` limit in the same transaction (402 past it). */
    async create(ctx: InWorkspaceContext, input: CreateItemBody): Promise<Item> {
      const now = clock.now().toISOString();
      const sku = input.sku.trim();
      const name = input.name.trim();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          await requireReferences(tx, ctx, input);
          await consumeAllowance(tx, ctx.workspace.id, 'items');
          const unitCost = scaledFromString(input.unit_cost ?? '0', MONEY_SCALE);
          const row = await repository.insertItem(scoped(tx, ctx, 'items'), {
            sku,
            sku_key: normalizeKey(sku),
            name,
            name_key: normalizeKey(name),
            unit: input.unit?.trim() ?? DEFAULT_UNIT,
            barcode: input.barcode ?? null,
            unit_cost_e4: unitCost,
            sell_price_e4: await sellPriceOf(tx, ctx.workspace.id, input.sell_price, unitCost),
            preferred_supplier_id: input.preferred_supplier_id ?? null,
            archived_at: null,
            created_at: now,
            updated_at: now,
          });
          await repository.replaceItemTags(scoped(tx, ctx, 'item_tags'), row.id, input.tag_ids ?? []);
          await recordAudit(tx, ctx, { action: 'item.created', targetType: 'item', targetId: row.id, workspaceId: ctx.workspace.id, details: { sku, name }, at: now });
          return one(tx, ctx, row);
        });
      } catch (error) {
        throw refusal(error);
      }
    },

    /** Changes what is given; `tag_ids` replaces the item's tags. A new cost alone leaves the sell price as it is. */
    async update(ctx: InWorkspaceContext, id: number, input: UpdateItemBody): Promise<Item> {
      const now = clock.now().toISOString();
      const sku = input.sku?.trim();
      const name = input.name?.trim();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const items = scoped(tx, ctx, 'items');
          const before = await repository.findItem(items, id);
          if (!before) throw new AppError('ITEM.NOT_FOUND');
          await requireReferences(tx, ctx, input);
          const archivedAt = input.archived === undefined ? undefined : input.archived ? (before.archived_at ?? now) : null;
          const row = await repository.updateItem(items, id, {
            ...(sku === undefined ? {} : { sku, sku_key: normalizeKey(sku) }),
            ...(name === undefined ? {} : { name, name_key: normalizeKey(name) }),
            ...(input.unit === undefined ? {} : { unit: input.unit.trim() }),
            ...(input.barcode === undefined ? {} : { barcode: input.barcode }),
            ...(input.unit_cost === undefined ? {} : { unit_cost_e4: scaledFromString(input.unit_cost, MONEY_SCALE) }),
            ...(input.sell_price === undefined ? {} : { sell_price_e4: scaledFromString(input.sell_price, MONEY_SCALE) }),
            ...(input.preferred_supplier_id === undefined ? {} : { preferred_supplier_id: input.preferred_supplier_id }),
            ...(archivedAt === undefined ? {} : { archived_at: archivedAt }),
            updated_at: now,
          });
          if (!row) throw new AppError('ITEM.NOT_FOUND');
          if (input.tag_ids !== undefined) await repository.replaceItemTags(scoped(tx, ctx, 'item_tags'), id, input.tag_ids);
          await recordAudit(tx, ctx, { action: 'item.updated', targetType: 'item', targetId: id, workspaceId: ctx.workspace.id, details: { ...input }, at: now });
          return one(tx, ctx, row);
        });
      } catch (error) {
        throw refusal(error);
      }
    },

    /**
     * Deletes an item and its tags, giving its place in the plan back. An item other records
     * name (stock history: the ledger's foreign keys refuse) stays: 409, to be archived.
     */
    async remove(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      try {
        await inWorkspaceTransaction(db, ctx, async (tx) => {
          const sku = await repository.deleteItem(scoped(tx, ctx, 'items'), id);
          if (sku === undefined) throw new AppError('ITEM.NOT_FOUND');
          await releaseAllowance(tx, ctx.workspace.id, 'items');
          await recordAudit(tx, ctx, { action: 'item.deleted', targetType: 'item', targetId: id, workspaceId: ctx.workspace.id, details: { sku }, at: now });
        });
      } catch (error) {
        throw isForeignKeyViolation(error) ? new AppError('ITEM.IN_USE') : error;
      }
    },
  };
}
