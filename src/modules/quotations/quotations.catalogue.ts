import { defineCatalogue } from '../../core/catalogue.ts';

/** Quotations (`quotations:*`, permissions of the records area); this adds their errors and messages. */
export const quotationsCatalogue = defineCatalogue({
  area: 'quotations',
  permissions: {},
  errors: {
    'QUOTATION.NOT_FOUND': 404,
    'QUOTATION.CONVERTED': 409,
  },
  messages: {
    en: {
      'QUOTATION.NOT_FOUND': 'No such quotation.',
      'QUOTATION.CONVERTED': 'This quotation was already converted into an invoice; it no longer changes.',
      'quotation.created': 'Quotation created.',
      'quotation.updated': 'Quotation updated.',
      'quotation.deleted': 'Quotation deleted.',
      'quotation.converted': 'Quotation converted into a draft invoice.',
    },
    es: {
      'QUOTATION.NOT_FOUND': 'No existe esa cotización.',
      'QUOTATION.CONVERTED': 'Esta cotización ya se convirtió en factura; ya no cambia.',
      'quotation.created': 'Cotización creada.',
      'quotation.updated': 'Cotización actualizada.',
      'quotation.deleted': 'Cotización eliminada.',
      'quotation.converted': 'Cotización convertida en factura en borrador.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    quotations: typeof quotationsCatalogue;
  }
}
