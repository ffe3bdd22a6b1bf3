import type { Generated, Selectable } from 'kysely';

export const LOCATION_TYPES = ['warehouse', 'van', 'truck', 'site', 'other'] as const;
export type LocationType = (typeof LOCATION_TYPES)[number];

/** Where stock lives: a warehouse, a van, a site… (migration 0011). */
export interface LocationsTable {
  id: Generated<number>;
  workspace_id: number;
  name: string;
  /** The normalized name the per-workspace unique index is built on. */
  name_key: string;
  type: LocationType;
  address: string | null;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export type LocationRow = Selectable<LocationsTable>;
