import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the tenants area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const tenantsCatalogue = defineCatalogue({
  area: 'tenants',
  errors: {
    'TENANT.SLUG_TAKEN': 409,
  },
  messages: {
    en: {
      'TENANT.SLUG_TAKEN': 'A tenant with this slug already exists.',
      'tenant.updated': 'Tenant settings updated.',
    },
    es: {
      'TENANT.SLUG_TAKEN': 'Ya existe un inquilino con este identificador.',
      'tenant.updated': 'Configuración del inquilino actualizada.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    tenants: typeof tenantsCatalogue;
  }
}
