import type { Generated, Selectable, Updateable } from 'kysely';
import type { LocationType } from '../locations/locations.table.ts';

/** One row per workspace (migration 0011): invoicing defaults and the default locations. */
export interface WorkspaceSettingsTable {
  workspace_id: number;
  /** ISO 4217. */
  default_currency: Generated<string>;
  invoice_number_prefix: Generated<string>;
  /** Ten-thousandths of a percent: 12.5 % is 125000 (core/decimal.ts). */
  default_tax_percent_e4: Generated<number>;
  default_tax_included: Generated<number>;
  default_invoice_due_days: Generated<number>;
  default_markup_percent_e4: number | null;
  default_location_type: Generated<LocationType>;
  invoicing_business_name: string | null;
  invoicing_brand_color: string | null;
  invoicing_email: string | null;
  invoicing_address: string | null;
  default_location_id: number | null;
  default_invoice_source_location_id: number | null;
  default_transfer_from_location_id: number | null;
  /** 1: stock levels of the workspace may go below zero (migration 0017). */
  allow_negative_stock: Generated<number>;
}

export type WorkspaceSettingsRow = Selectable<WorkspaceSettingsTable>;
export type SettingsChanges = Omit<Updateable<WorkspaceSettingsTable>, 'workspace_id'>;

/** The settings that name a location of the workspace; such a location is neither archived nor deleted. */
export const DEFAULT_LOCATION_SETTINGS = ['default_location_id', 'default_invoice_source_location_id', 'default_transfer_from_location_id'] as const;
export type DefaultLocationSetting = (typeof DEFAULT_LOCATION_SETTINGS)[number];
