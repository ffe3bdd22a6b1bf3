import type { Generated, Selectable } from 'kysely';

/** Who an item is bought from (migration 0014). */
export interface SuppliersTable {
  id: Generated<number>;
  workspace_id: number;
  name: string;
  /** The normalized name the per-workspace unique index is built on. */
  name_key: string;
  email: string | null;
  phone: string | null;
  tax_id: string | null;
  notes: string | null;
  created_at: string;
  updated_at: string;
}

/** A label items carry, to filter by (migration 0014). */
export interface TagsTable {
  id: Generated<number>;
  workspace_id: number;
  name: string;
  name_key: string;
  /** `#rrggbb`, or null. */
  color: string | null;
  created_at: string;
  updated_at: string;
}

/** A product: what stock is counted in (migration 0014). Money in ten-thousandths (`_e4`). */
export interface ItemsTable {
  id: Generated<number>;
  workspace_id: number;
  sku: string;
  /** The normalized SKU the per-workspace unique index is built on. */
  sku_key: string;
  name: string;
  name_key: string;
  unit: string;
  barcode: string | null;
  unit_cost_e4: number;
  sell_price_e4: number;
  preferred_supplier_id: number | null;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ItemTagsTable {
  workspace_id: number;
  item_id: number;
  tag_id: number;
}

export type SupplierRow = Selectable<SuppliersTable>;
export type TagRow = Selectable<TagsTable>;
export type ItemRow = Selectable<ItemsTable>;
