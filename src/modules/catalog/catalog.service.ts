import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../schema/database.ts';
import type { Supplier, Tag } from './catalog.schemas.ts';
import { createItemsService, forgetSupplier } from './items.service.ts';
import { createNamedRecordsService } from './named-records.service.ts';

/** Of a body, the optional columns it gives (`undefined`: leave as is), by name. */
const given = (input: Record<string, unknown>, columns: readonly string[]) =>
  Object.fromEntries(columns.filter((column) => input[column] !== undefined).map((column) => [column, input[column]]));

const SUPPLIER_COLUMNS = ['email', 'phone', 'tax_id', 'notes'] as const;

/** The catalogue's three services: items, and the suppliers and tags they refer to. */
export function createCatalogServices(deps: { db: Db; clock: Clock; recordPageEntries: number }) {
  return {
    items: createItemsService(deps),
    suppliers: createNamedRecordsService(deps, {
      table: 'suppliers',
      noun: 'supplier',
      notFound: 'SUPPLIER.NOT_FOUND',
      nameTaken: 'SUPPLIER.NAME_TAKEN',
      present: (row): Supplier => ({
        id: row.id,
        name: row.name,
        email: row.email,
        phone: row.phone,
        tax_id: row.tax_id,
        notes: row.notes,
        created_at: row.created_at,
        updated_at: row.updated_at,
      }),
      columns: (input) => given(input, SUPPLIER_COLUMNS),
      beforeDelete: (tx, ctx, id) => forgetSupplier(tx, ctx, id, deps.clock.now().toISOString()),
    }),
    tags: createNamedRecordsService(deps, {
      table: 'tags',
      noun: 'tag',
      notFound: 'TAG.NOT_FOUND',
      nameTaken: 'TAG.NAME_TAKEN',
      present: (row): Tag => ({ id: row.id, name: row.name, color: row.color, created_at: row.created_at, updated_at: row.updated_at }),
      columns: (input) => given(input, ['color']),
    }),
  };
}
