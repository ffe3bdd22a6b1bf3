import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { Id, ListQuery, Nullable, Quantity, Timestamp } from '../../core/http/schemas.ts';
import { STOCK_MOVEMENT_KINDS } from '../../schema/migrations/0015-stock.ts';

const Reason = PlainText({ minLength: 1, maxLength: 500, pattern: PATTERNS.notBlank });

export const StockLevel = Type.Object(
  {
    id: Type.Integer(),
    item_id: Type.Integer(),
    location_id: Type.Integer(),
    quantity: Type.String({ description: 'Exact, as a decimal string ("2.5")' }),
    updated_at: Timestamp,
  },
  { title: 'StockLevel' },
);
export type StockLevel = Static<typeof StockLevel>;

export const StockMovement = Type.Object(
  {
    id: Type.Integer(),
    item_id: Type.Integer(),
    location_id: Type.Integer(),
    kind: Type.Union(STOCK_MOVEMENT_KINDS.map((kind) => Type.Literal(kind))),
    quantity: Type.String({ description: 'Signed: positive for what came in, negative for what went out' }),
    reason: Nullable(Type.String()),
    transfer_id: Nullable(Type.Integer({ description: "On a transfer's incoming leg: the id of its outgoing leg, which is the transfer's id" })),
    invoice_id: Nullable(Type.Integer({ description: 'On a sale or a return: the invoice that drew or gave back the stock' })),
    actor_user_id: Nullable(Type.Integer()),
    actor_api_key_id: Nullable(Type.Integer()),
    created_at: Timestamp,
  },
  { title: 'StockMovement' },
);
export type StockMovement = Static<typeof StockMovement>;

export const StockListQuery = Type.Object(
  { ...ListQuery.properties, item_id: Type.Optional(Id), location_id: Type.Optional(Id) },
  { additionalProperties: false },
);
export type StockListQuery = Static<typeof StockListQuery>;

export const ReceiptBody = Type.Object(
  { item_id: Id, location_id: Id, quantity: Quantity({ description: 'How much came in; more than zero' }), reason: Type.Optional(Reason) },
  { additionalProperties: false, title: 'StockReceiptBody' },
);
export type ReceiptBody = Static<typeof ReceiptBody>;

export const AdjustmentBody = Type.Object(
  {
    item_id: Id,
    location_id: Id,
    quantity_change: Quantity({ signed: true, description: 'What to add ("3") or take away ("-2.5"); not zero' }),
    reason: Reason,
  },
  { additionalProperties: false, title: 'StockAdjustmentBody' },
);
export type AdjustmentBody = Static<typeof AdjustmentBody>;

export const TransferBody = Type.Object(
  {
    item_id: Id,
    from_location_id: Type.Optional(Id),
    to_location_id: Id,
    quantity: Quantity({ description: 'How much moves; more than zero' }),
    reason: Type.Optional(Reason),
  },
  { additionalProperties: false, title: 'StockTransferBody', description: "from_location_id defaults to the workspace's default_transfer_from_location_id" },
);
export type TransferBody = Static<typeof TransferBody>;

export const Transfer = Type.Object(
  {
    transfer_id: Type.Integer(),
    item_id: Type.Integer(),
    from_location_id: Type.Integer(),
    to_location_id: Type.Integer(),
    quantity: Type.String(),
    movements: Type.Array(StockMovement),
  },
  { title: 'StockTransfer' },
);
export type Transfer = Static<typeof Transfer>;
