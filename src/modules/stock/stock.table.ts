import type { Generated, Selectable } from 'kysely';
import type { STOCK_MOVEMENT_KINDS } from '../../schema/migrations/0015-stock.ts';

export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

/** The append-only ledger (migration 0015): quantities in ten-thousandths, positive in, negative out. */
export interface StockMovementsTable {
  id: Generated<number>;
  workspace_id: number;
  item_id: number;
  location_id: number;
  kind: StockMovementKind;
  quantity_e4: number;
  reason: string | null;
  /** On a transfer's incoming leg, the id of its outgoing leg (the transfer's id). */
  transfer_id: number | null;
  /** On a sale or a return, the invoice that moved it (migration 0021). */
  invoice_id: number | null;
  actor_user_id: number | null;
  actor_api_key_id: number | null;
  created_at: string;
}

/** What the ledger adds up to, per item and location; never below zero. */
export interface StockLevelsTable {
  id: Generated<number>;
  workspace_id: number;
  item_id: number;
  location_id: number;
  quantity_e4: number;
  updated_at: string;
}

export type StockMovementRow = Selectable<StockMovementsTable>;
export type StockLevelRow = Selectable<StockLevelsTable>;
