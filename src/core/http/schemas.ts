import { Type, type TSchema } from '@sinclair/typebox';
import { MAX_STORED_ID } from '../db/dialect.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import { PlainText } from './formats.ts';
import { PATTERNS } from './patterns.ts';

/** Shared TypeBox parts: one schema per shape, reused by every module. */

export const Id = Type.Integer({ minimum: 1 });
export const Timestamp = Type.String({ format: 'date-time' });
/** An e-mail address; internationalized ones are welcome, uniqueness is decided on the normalized key. */
export const EmailAddress = PlainText({ pattern: PATTERNS.emailAddress, minLength: 3, maxLength: 254 });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Money as a decimal string, exact to four places ("12.50"); stored as ten-thousandths (core/decimal.ts). */
export const Money = (options: { description?: string } = {}) => Type.String({ pattern: PATTERNS.money, maxLength: 16, ...options });
/** A quantity, exact to four places ("2.5"), as money is; `signed` for a change that may take away ("-2.5"). */
export const Quantity = (options: { description?: string; signed?: boolean } = {}) => {
  const { signed, ...rest } = options;
  return Type.String({ pattern: signed ? PATTERNS.signedAmount : PATTERNS.money, maxLength: 17, ...rest });
};

export const TENANT_SLUG_PATTERN = PATTERNS.tenantSlug;
export const ID_PATTERN = PATTERNS.id;
export const IdParam = Type.String({ pattern: ID_PATTERN, description: 'Integer id' });
export const IdParams = Type.Object({ id: IdParam });

export const BIZ_ID_PATTERN = PATTERNS.bizId;
export const WORKSPACE_SLUG_PATTERN = PATTERNS.workspaceSlug;
export const IdOrSlugParams = Type.Object({
  idOrSlug: Type.String({ minLength: 1, maxLength: 48, description: "The workspace's integer id or its slug" }),
});
export const BizIdParam = Type.String({ pattern: BIZ_ID_PATTERN, description: "The workspace's `biz_id`" });
/** Seed 003's path parameters naming the workspace (core/auth/policy.ts `BY_WORKSPACE_ID`, `BY_WORKSPACE_BIZ_ID`). */
export const WorkspaceIdParams = Type.Object({ workspaceId: IdParam });
export const WorkspaceBizIdParams = Type.Object({ workspaceBizId: BizIdParam });

/**
 * Turns a validated id string into a number, or throws `notFound`: an id larger than
 * any stored one names nothing, and must not reach the database as an out-of-range value.
 */
export function parseId(value: string, notFound: ErrorCode): number {
  if (!new RegExp(ID_PATTERN).test(value)) throw new AppError(notFound);
  const id = Number(value);
  if (id > MAX_STORED_ID) throw new AppError(notFound);
  return id;
}

/** An integer id from a body: past storage range it names nothing. */
export function storedIdOr(id: number, notFound: ErrorCode): number {
  if (!Number.isSafeInteger(id) || id < 1 || id > MAX_STORED_ID) throw new AppError(notFound);
  return id;
}

/**
 * A list of permission identifiers (a role's, a key's scopes), at most as many as the
 * composed catalogue declares. The schema only bounds it; identifiers no area declares are
 * named by the service that checks them.
 */
export const PermissionList = (options: { maxItems: number; minItems?: number }) =>
  Type.Array(PlainText({ minLength: 1, maxLength: 100 }), { uniqueItems: true, ...options });

/*
 * A `title` names a shape in the OpenAPI document: it is listed once under
 * components.schemas and referred to by $ref (core/http/openapi.ts). Give one to every shape
 * a client would want a type name for, and never the same title to two different shapes.
 */

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'What went wrong, as `AREA.REASON`: the value clients branch on' }),
      message: Type.String({ description: 'A human-readable explanation, in the negotiated language' }),
      details: Type.Record(Type.String(), Type.Unknown(), {
        description: 'Facts about the error, e.g. one entry per invalid field (422) or the missing `permission` (403)',
      }),
      legacy_code: Type.Optional(Type.Integer({ description: '4010 for a bad or expired token' })),
    }),
  },
  { title: 'ErrorBody' },
);

/** Names the envelope after its item's title: `Workspace` → `WorkspaceResponse`; untitled items give untitled envelopes. */
const envelopeTitle = (item: TSchema, suffix: string) => (typeof item.title === 'string' ? { title: `${item.title}${suffix}` } : {});

export function DataEnvelope<T extends TSchema>(data: T) {
  return Type.Object({ data, message: Type.Optional(Type.String()) }, envelopeTitle(data, 'Response'));
}

export const PageMeta = Type.Object(
  { next_cursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last one' })) },
  { title: 'PageMeta' },
);

export function ListEnvelope<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), meta: PageMeta }, envelopeTitle(item, 'List'));
}

export const MessageOnly = Type.Object({ message: Type.String() }, { title: 'Message' });

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Items per page' }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The previous page's `meta.next_cursor`" })),
  },
  { additionalProperties: false },
);
