import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * Invoices and NCF sequences. `invoices:view|create|edit|delete` are the records area's; this
 * adds issuing and voiding, the errors and the messages. NCF ranges are workspace settings
 * (`settings:view`, `settings:edit`).
 */
export const invoicesCatalogue = defineCatalogue({
  area: 'invoices',
  permissions: {
    'invoices:issue': { description: 'Issue invoices: number them, draw their NCF and their stock', grantedTo: ['admin', 'member'] },
    'invoices:void': { description: 'Void issued invoices (they keep their number; their stock comes back)', grantedTo: ['admin'] },
  },
  locationBound: { invoices: 'location_id' },
  errors: {
    'INVOICE.NOT_FOUND': 404,
    'INVOICE.NOT_DRAFT': 409,
    'INVOICE.NOT_OPEN': 409,
    'INVOICE.HAS_PAYMENTS': 409,
    'INVOICE.OVERPAYMENT': 409,
    'INVOICE.IN_USE': 409,
    'INVOICE.CREDIT_TOO_LARGE': 409,
    'NCF.SEQUENCE_NOT_FOUND': 404,
    'NCF.SEQUENCE_EXHAUSTED': 409,
    'NCF.SEQUENCE_EXPIRED': 409,
    'NCF.RANGE_OVERLAPS': 409,
    'NCF.RANGE_IN_USE': 409,
  },
  messages: {
    en: {
      'INVOICE.NOT_FOUND': 'No such invoice.',
      'INVOICE.NOT_DRAFT': 'Only a draft invoice can be changed, deleted or issued.',
      'INVOICE.NOT_OPEN': 'Only an issued invoice that is not paid in full or void takes this.',
      'INVOICE.HAS_PAYMENTS': 'An invoice with payments cannot be voided.',
      'INVOICE.OVERPAYMENT': 'The payment is more than what is still owed on the invoice.',
      'INVOICE.IN_USE': 'A quotation was converted into this draft: it is kept (change it, or issue it).',
      'INVOICE.CREDIT_TOO_LARGE': 'The credit notes of this invoice would come to more than its total.',
      'NCF.SEQUENCE_NOT_FOUND': 'No such NCF range.',
      'NCF.SEQUENCE_EXHAUSTED': 'No NCF is left for this document type: add an authorised range.',
      'NCF.SEQUENCE_EXPIRED': 'The NCF range for this document type has expired: add a newly authorised range.',
      'NCF.RANGE_OVERLAPS': 'This range overlaps another range of the same type in this tenant.',
      'NCF.RANGE_IN_USE': 'NCFs were drawn from this range: it is kept.',
      'invoice.created': 'Invoice created.',
      'invoice.updated': 'Invoice updated.',
      'invoice.deleted': 'Draft invoice deleted.',
      'invoice.issued': 'Invoice issued.',
      'invoice.voided': 'Invoice voided.',
      'invoice.payment_recorded': 'Payment recorded.',
      'ncf.range_created': 'NCF range added.',
      'ncf.range_deleted': 'NCF range deleted.',
    },
    es: {
      'INVOICE.NOT_FOUND': 'No existe esa factura.',
      'INVOICE.NOT_DRAFT': 'Solo una factura en borrador puede cambiarse, eliminarse o emitirse.',
      'INVOICE.NOT_OPEN': 'Solo una factura emitida, no anulada ni saldada, admite esto.',
      'INVOICE.HAS_PAYMENTS': 'Una factura con pagos no puede anularse.',
      'INVOICE.OVERPAYMENT': 'El pago supera lo que queda por cobrar de la factura.',
      'INVOICE.IN_USE': 'Una cotización se convirtió en este borrador: se conserva (cámbielo o emítalo).',
      'INVOICE.CREDIT_TOO_LARGE': 'Las notas de crédito de esta factura sumarían más que su total.',
      'NCF.SEQUENCE_NOT_FOUND': 'No existe ese rango de NCF.',
      'NCF.SEQUENCE_EXHAUSTED': 'No quedan NCF de este tipo de comprobante: agregue un rango autorizado.',
      'NCF.SEQUENCE_EXPIRED': 'El rango de NCF de este tipo de comprobante está vencido: agregue un rango autorizado nuevo.',
      'NCF.RANGE_OVERLAPS': 'Este rango se solapa con otro rango del mismo tipo en esta cuenta.',
      'NCF.RANGE_IN_USE': 'Ya se usaron NCF de este rango: se conserva.',
      'invoice.created': 'Factura creada.',
      'invoice.updated': 'Factura actualizada.',
      'invoice.deleted': 'Factura en borrador eliminada.',
      'invoice.issued': 'Factura emitida.',
      'invoice.voided': 'Factura anulada.',
      'invoice.payment_recorded': 'Pago registrado.',
      'ncf.range_created': 'Rango de NCF agregado.',
      'ncf.range_deleted': 'Rango de NCF eliminado.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    invoices: typeof invoicesCatalogue;
  }
}
