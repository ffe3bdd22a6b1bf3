import { defineCatalogue } from '../../core/catalogue.ts';

/** Stock's permissions (`stock:*`) are the records area's; this adds its errors and messages. */
export const stockCatalogue = defineCatalogue({
  area: 'stock',
  permissions: {},
  locationBound: { stock_levels: 'location_id', stock_movements: 'location_id' },
  errors: {
    'STOCK.INSUFFICIENT': 409,
    'STOCK.LEVEL_TOO_LARGE': 409,
  },
  messages: {
    en: {
      'STOCK.INSUFFICIENT': 'Not enough stock of this item at this location.',
      'STOCK.LEVEL_TOO_LARGE': 'This would take the level of this item at this location past the largest one kept.',
      'stock.received': 'Stock received.',
      'stock.adjusted': 'Stock adjusted.',
      'stock.transferred': 'Stock transferred.',
    },
    es: {
      'STOCK.INSUFFICIENT': 'No hay existencias suficientes de este artículo en esta ubicación.',
      'STOCK.LEVEL_TOO_LARGE': 'Esto llevaría las existencias de este artículo en esta ubicación por encima del máximo admitido.',
      'stock.received': 'Existencias recibidas.',
      'stock.adjusted': 'Existencias ajustadas.',
      'stock.transferred': 'Existencias transferidas.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    stock: typeof stockCatalogue;
  }
}
