import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the audit-log area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const auditLogCatalogue = defineCatalogue({
  area: 'audit-log',
  permissions: {
    'audit:view': { description: 'Read the audit log', grantedTo: ['admin'] },
  },
  messages: {
    en: {},
    es: {},
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    'audit-log': typeof auditLogCatalogue;
  }
}
