import { defineCatalogue, type ErrorCode, type MessageParams } from './catalogue.ts';
import { PORTAL_ACCESS_CODE_HEADER } from './http/surfaces.ts';

/**
 * The core's own part of the catalogues: what the request path itself can answer (unreadable
 * requests, credentials, the tenant and workspace context, validation, storage). Every other
 * code comes from the area that throws it.
 */
export const coreCatalogue = defineCatalogue({
  area: 'core',
  // The tenant's portal access code, which surfaces behind it require (core/http/surfaces.ts).
  requestHeaders: { [PORTAL_ACCESS_CODE_HEADER]: { secret: true } },
  errors: {
    'REQUEST.MALFORMED': 400,
    'REQUEST.CONFLICT': 409,
    'CONTEXT.CONFLICT': 400,
    'CONTEXT.INVALID': 400,
    'CONTEXT.REQUIRED': 409,
    'CONTEXT.ACTING_AS_FORBIDDEN': 403,
    'AUTH.UNAUTHENTICATED': 401,
    'AUTH.INVALID_TOKEN': 401,
    'AUTH.TOKEN_EXPIRED': 401,
    'AUTH.FORBIDDEN': 403,
    'AUTH.RATE_LIMITED': 429,
    'TENANT.NOT_FOUND': 404,
    'TENANT.DISABLED': 403,
    'PORTAL.ACCESS_DENIED': 403,
    'ROUTE.NOT_FOUND': 404,
    'WORKSPACE.NOT_FOUND': 404,
    'REQUEST.BODY_TOO_LARGE': 413,
    'REQUEST.UNSUPPORTED_MEDIA_TYPE': 415,
    'VALIDATION.FAILED': 422,
    'INTERNAL.ERROR': 500,
    'STORAGE.BUSY': 503,
    'STORAGE.UNAVAILABLE': 503,
    'RATE_LIMIT.UNAVAILABLE': 503,
  },
  messages: {
    en: {
      'REQUEST.MALFORMED': 'The request could not be read.',
      'REQUEST.CONFLICT': 'Something this request depends on was changed or removed at the same moment; retry.',
      'CONTEXT.CONFLICT': 'X-Workspace-ID and x-as-workspace name different workspaces.',
      'CONTEXT.INVALID': 'A workspace header is not a valid id.',
      'CONTEXT.REQUIRED': 'Choose a workspace first: switch context or send X-Workspace-ID.',
      'CONTEXT.ACTING_AS_FORBIDDEN': 'This cannot be done while acting as a sub workspace (x-as-workspace); its own members must do it.',
      'AUTH.UNAUTHENTICATED': 'Authentication is required.',
      'AUTH.INVALID_TOKEN': 'The access token is invalid.',
      'AUTH.TOKEN_EXPIRED': 'The access token has expired.',
      'AUTH.FORBIDDEN': 'You do not have permission to do this.',
      'AUTH.RATE_LIMITED': 'Too many attempts; retry in {seconds} seconds.',
      'TENANT.NOT_FOUND': 'No such tenant.',
      'TENANT.DISABLED': 'This tenant is disabled.',
      'PORTAL.ACCESS_DENIED': 'This portal needs its access code (X-PORTAL-ACCESS-CODE).',
      'ROUTE.NOT_FOUND': 'No such route.',
      'WORKSPACE.NOT_FOUND': 'No such workspace.',
      'REQUEST.BODY_TOO_LARGE': 'The request body is too large.',
      'REQUEST.UNSUPPORTED_MEDIA_TYPE': 'The content type is not supported; send application/json.',
      'VALIDATION.FAILED': 'The request has invalid fields.',
      'INTERNAL.ERROR': 'Something went wrong on our side.',
      'STORAGE.BUSY': 'The service is busy; retry shortly.',
      'STORAGE.UNAVAILABLE': 'The database is not available.',
      'RATE_LIMIT.UNAVAILABLE': 'Attempts cannot be counted right now (the rate-limit store does not answer); retry in {seconds} seconds.',
    },
    es: {
      'REQUEST.MALFORMED': 'No se pudo leer la solicitud.',
      'REQUEST.CONFLICT': 'Algo de lo que depende esta solicitud se cambió o eliminó al mismo tiempo; vuelve a intentarlo.',
      'CONTEXT.CONFLICT': 'X-Workspace-ID y x-as-workspace indican sucursales distintas.',
      'CONTEXT.INVALID': 'Una cabecera de sucursal no es un id válido.',
      'CONTEXT.REQUIRED': 'Elige primero una sucursal: cambia de contexto o envía X-Workspace-ID.',
      'CONTEXT.ACTING_AS_FORBIDDEN': 'Esto no se puede hacer actuando como una sucursal subordinada (x-as-workspace); deben hacerlo sus propios miembros.',
      'AUTH.UNAUTHENTICATED': 'Se requiere autenticación.',
      'AUTH.INVALID_TOKEN': 'El token de acceso no es válido.',
      'AUTH.TOKEN_EXPIRED': 'El token de acceso ha expirado.',
      'AUTH.FORBIDDEN': 'No tienes permiso para hacer esto.',
      'AUTH.RATE_LIMITED': 'Demasiados intentos; vuelve a intentarlo en {seconds} segundos.',
      'TENANT.NOT_FOUND': 'El inquilino no existe.',
      'TENANT.DISABLED': 'Este inquilino está desactivado.',
      'PORTAL.ACCESS_DENIED': 'Este portal requiere su código de acceso (X-PORTAL-ACCESS-CODE).',
      'ROUTE.NOT_FOUND': 'La ruta no existe.',
      'WORKSPACE.NOT_FOUND': 'La sucursal no existe.',
      'REQUEST.BODY_TOO_LARGE': 'El cuerpo de la solicitud es demasiado grande.',
      'REQUEST.UNSUPPORTED_MEDIA_TYPE': 'Tipo de contenido no admitido; envía application/json.',
      'VALIDATION.FAILED': 'La solicitud tiene campos no válidos.',
      'INTERNAL.ERROR': 'Algo salió mal de nuestro lado.',
      'STORAGE.BUSY': 'El servicio está ocupado; vuelve a intentarlo en breve.',
      'STORAGE.UNAVAILABLE': 'La base de datos no está disponible.',
      'RATE_LIMIT.UNAVAILABLE': 'Ahora no se pueden contar los intentos (el almacén de límites no responde); vuelve a intentarlo en {seconds} segundos.',
    },
  },
});

declare module './catalogue.ts' {
  interface Areas {
    core: typeof coreCatalogue;
  }
}

export type { ErrorCode };

/** Web clients of the contract read a numeric code for bad or expired JWTs (`legacy_code`). */
const LEGACY_CODES: Partial<Record<ErrorCode, number>> = {
  'AUTH.INVALID_TOKEN': 4010,
  'AUTH.TOKEN_EXPIRED': 4010,
};

export type ErrorDetails = Record<string, unknown>;

/**
 * A refusal named by a `DOMAIN.REASON` code. Its HTTP status and message come from the
 * composed catalogue when it is answered (core/http/error-handler.ts), never from the throw site.
 * @example throw new AppError('WORKSPACE.NAME_TAKEN', { name: input.name });
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly legacyCode: number | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly details: ErrorDetails = {},
    /** Values interpolated into the localized message; never shown as-is to another tenant. */
    readonly messageParams: MessageParams = {},
  ) {
    super(code);
    this.legacyCode = LEGACY_CODES[code];
  }
}
