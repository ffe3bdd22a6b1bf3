import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../../core/http/schemas.ts';

export const StockReportQuery = Type.Object({ location_id: Type.Optional(Id) }, { additionalProperties: false });
export type StockReportQuery = Static<typeof StockReportQuery>;

const Figures = {
  quantity: Type.String({ description: 'Units in stock, exact, as a decimal string' }),
  value: Type.String({ description: "Quantity × each item's unit cost, exact to 4 places, in the workspace's currency" }),
};

export const StockValuation = Type.Object(
  {
    currency: Type.String({ description: "The workspace's default currency (ISO 4217)" }),
    locations: Type.Array(
      Type.Object({
        location_id: Type.Integer(),
        location_name: Type.String(),
        items: Type.Integer({ description: 'Items with stock here' }),
        ...Figures,
      }),
    ),
    total: Type.Object(Figures),
  },
  { title: 'StockValuation', description: 'Only the locations the caller may work at' },
);
export type StockValuation = Static<typeof StockValuation>;
