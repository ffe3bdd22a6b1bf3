import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * What the api-keys area adds to the shared catalogues: its permissions, error codes and messages.
 */
export const apiKeysCatalogue = defineCatalogue({
  area: 'api-keys',
  permissions: {
    'api_keys:view': { description: 'List API keys', grantedTo: ['admin'] },
    'api_keys:manage': { description: 'Create and revoke API keys', grantedTo: ['admin'] },
  },
  errors: {
    'API_KEY.NOT_FOUND': 404,
  },
  messages: {
    en: {
      'API_KEY.NOT_FOUND': 'No such API key.',
      'api_key.created': 'API key created. Copy the secret now: it is not shown again.',
      'api_key.revoked': 'API key revoked.',
    },
    es: {
      'API_KEY.NOT_FOUND': 'La clave de API no existe.',
      'api_key.created': 'Clave de API creada. Cópiala ahora: no se volverá a mostrar.',
      'api_key.revoked': 'Clave de API revocada.',
    },
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    'api-keys': typeof apiKeysCatalogue;
  }
}
