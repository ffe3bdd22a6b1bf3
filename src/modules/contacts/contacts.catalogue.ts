import { defineCatalogue } from '../../core/catalogue.ts';

/** Contacts (`contacts:*`, permissions of the records area): customers and vendors; this adds their errors and messages. */
export const contactsCatalogue = defineCatalogue({
  area: 'contacts',
  permissions: {},
  errors: {
    'CONTACT.NOT_FOUND': 404,
    'CONTACT.TAX_ID_TAKEN': 409,
    'CONTACT.IN_USE': 409,
  },
  messages: {
    en: {
      'CONTACT.NOT_FOUND': 'No such contact.',
      'CONTACT.TAX_ID_TAKEN': 'A contact with this tax id already exists in this workspace.',
      'CONTACT.IN_USE': 'Invoices name this contact; it is kept.',
      'contact.created': 'Contact created.',
      'contact.updated': 'Contact updated.',
      'contact.deleted': 'Contact deleted.',
    },
    es: {
      'CONTACT.NOT_FOUND': 'No existe ese contacto.',
      'CONTACT.TAX_ID_TAKEN': 'Ya existe un contacto con este RNC o cédula en esta sucursal.',
      'CONTACT.IN_USE': 'Hay facturas que nombran este contacto; se conserva.',
      'contact.created': 'Contacto creado.',
      'contact.updated': 'Contacto actualizado.',
      'contact.deleted': 'Contacto eliminado.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    contacts: typeof contactsCatalogue;
  }
}
