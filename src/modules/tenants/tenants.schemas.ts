import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { Nullable, Timestamp } from '../../core/http/schemas.ts';
import { SUPPORTED_LOCALES } from '../../core/i18n/index.ts';
import { PATTERNS } from '../../core/http/patterns.ts';

const LocaleSchema = Type.Union(SUPPORTED_LOCALES.map((locale) => Type.Literal(locale)));

export const TenantSettings = Type.Object(
  {
    id: Type.Integer(),
    slug: Type.String(),
    name: Type.String(),
    default_locale: LocaleSchema,
    self_signup: Type.Boolean(),
    max_owned_workspaces_per_user: Nullable(Type.Integer()),
    portal_access_code_set: Type.Boolean({
      description: 'Whether /web/v1 requests must send X-PORTAL-ACCESS-CODE; the code itself is stored only as a digest and never shown',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Tenant' },
);
export type TenantSettings = Static<typeof TenantSettings>;

/** Every field may be left out, but an empty patch is a mistake worth a 422. */
export const UpdateTenantBody = Type.Object(
  {
    name: Type.Optional(PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank })),
    default_locale: Type.Optional(LocaleSchema),
    self_signup: Type.Optional(Type.Boolean()),
    max_owned_workspaces_per_user: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100_000 }))),
    portal_access_code: Type.Optional(
      Nullable(
        Type.String({
          minLength: 8,
          maxLength: 128,
          pattern: '^[\\x21-\\x7e]+$',
          description: 'The code /web/v1 requests must send in X-PORTAL-ACCESS-CODE (printable ASCII, no spaces); null removes it',
        }),
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTenantBody = Static<typeof UpdateTenantBody>;

export const TenantRole = Type.Object(
  {
    name: Type.String({ description: '`owner`, `admin` or `member`' }),
    permissions: Type.Array(Type.String(), { description: 'Tenant permissions, described by GET /permissions (scope `tenant`)' }),
  },
  { title: 'TenantRole' },
);
