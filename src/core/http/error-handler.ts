import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Catalogue, MessageKey, MessageParams } from '../catalogue.ts';
import { isBusy, isForeignKeyViolation, isUnstorableText } from '../db/dialect.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';
import { VALIDATION_WORDS } from '../i18n/validation-messages.ts';
import { CUSTOM_FORMATS } from './formats.ts';
import { patternName } from './patterns.ts';
import { lingerIfBodyUnread } from './unread-body.ts';
import { localizeAjvErrors } from './validation.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * One entry per bad field, named by its path (`items.0.name`), first problem wins; the
 * messages in `locale` (the paths never change with it).
 */
export function validationDetails(errors: readonly AjvError[], part: string | undefined, locale: Locale = 'en'): Record<string, string> {
  const words = VALIDATION_WORDS[locale];
  // A union of constants fails once per constant: together they are the allowed values.
  const allowedAt = new Map<string, string[]>();
  for (const error of errors) {
    if (error.keyword !== 'const') continue;
    allowedAt.set(error.instancePath, [...(allowedAt.get(error.instancePath) ?? []), String(error.params.allowedValue)]);
  }
  const details: Record<string, string> = {};
  for (const error of localizeAjvErrors(errors, locale)) {
    const base = error.instancePath.split('/').filter(Boolean);
    let message = error.message ?? words.invalid;
    if (error.keyword === 'required') base.push(String(error.params.missingProperty));
    const format = error.keyword === 'format' ? String(error.params.format) : '';
    if (Object.hasOwn(CUSTOM_FORMATS, format)) message = words.formats[format as keyof typeof CUSTOM_FORMATS];
    const shared = error.keyword === 'pattern' ? patternName(String(error.params.pattern)) : undefined;
    if (shared) message = words.patterns[shared];
    const allowed = error.keyword === 'const' ? allowedAt.get(error.instancePath) : undefined;
    if (allowed) message = words.oneOf(allowed);
    if (error.keyword === 'additionalProperties') {
      base.push(String(error.params.additionalProperty));
      message = words.notAllowed;
    }
    const field = base.join('.') || (part ?? 'body');
    details[field] ??= message;
  }
  return details;
}

/** The details of a body that lacks a field its route requires beyond what the schema can say (one of two sources was needed). */
export function missingFieldDetails(field: string, locale: Locale = 'en'): Record<string, string> {
  return validationDetails([{ keyword: 'required', instancePath: '', params: { missingProperty: field } }], 'body', locale);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'REQUEST.BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
};

/** Turns whatever was thrown into the contract's error body, its details in `locale`; 5xx never carry detail. */
function toAppError(error: FastifyError & { validation?: AjvError[]; validationContext?: string }, locale: Locale): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) {
    return new AppError('VALIDATION.FAILED', validationDetails(error.validation, error.validationContext, locale));
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return new AppError(mapped);
  if (isBusy(error)) return new AppError('STORAGE.BUSY');
  // Safety nets: services map the violations they can name; whatever slips past is still the caller's 4xx, never a 500.
  if (isForeignKeyViolation(error)) return new AppError('REQUEST.CONFLICT');
  if (isUnstorableText(error)) return new AppError('VALIDATION.FAILED', { body: VALIDATION_WORDS[locale].unstorable });
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('REQUEST.MALFORMED');
  }
  return new AppError('INTERNAL.ERROR');
}

/**
 * Answers every error in the contract's envelope, its status and localized message taken
 * from the composed catalogue; 5xx are logged and carry no detail. Also gives every request
 * `request.translate(key)`, the success messages' counterpart.
 */
export function registerErrorHandling(app: FastifyInstance, catalogue: Catalogue): void {
  function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
    // A code no composed area declares (its area left out of the app) is a server fault, answered as one.
    const shown = catalogue.declaresError(error.code) ? error : new AppError('INTERNAL.ERROR');
    const status = catalogue.statusOf(shown.code);
    if ((status === 429 || status === 503) && shown.messageParams.seconds !== undefined) {
      void reply.header('retry-after', String(shown.messageParams.seconds));
    }
    lingerIfBodyUnread(request, reply);
    return reply.code(status).send({
      error: {
        code: shown.code,
        message: catalogue.translate(request.locale, shown.code, shown.messageParams),
        details: shown.details,
        ...(error.legacyCode === undefined ? {} : { legacy_code: error.legacyCode }),
      },
    });
  }

  app.decorateRequest('translate', function (this: FastifyRequest, key: MessageKey, params?: MessageParams) {
    return catalogue.translate(this.locale, key, params);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request.locale);
    const status = catalogue.declaresError(appError.code) ? catalogue.statusOf(appError.code) : 500;
    // A 503 is a known condition (a dependency away, the database busy), logged where it starts: a
    // line per refused request, without a stack, rather than an error that anyone could multiply.
    if (status === 503) request.log.warn({ code: appError.code }, 'service unavailable');
    else if (status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new AppError('ROUTE.NOT_FOUND')));
}

declare module 'fastify' {
  interface FastifyRequest {
    /** A message of the composed catalogue in the request's language. */
    translate(key: MessageKey, params?: MessageParams): string;
  }
}
