import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { EmailAddress, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { TENANT_ROLES } from './identity.table.ts';
import { PATTERNS } from '../../core/http/patterns.ts';

const Password = Type.String({ minLength: 8, maxLength: 256 });
const PersonName = PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank });
const TenantRoleSchema = Type.Union(TENANT_ROLES.map((role) => Type.Literal(role)));

export const RegisterBody = Type.Object(
  {
    name: PersonName,
    email: EmailAddress,
    password: Password,
    invitation_token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    invite_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "A workspace's invite code: the account joins it as a member" })),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  { email: EmailAddress, password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const UserSummary = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    email: Type.String(),
    tenant_role: TenantRoleSchema,
    created_at: Timestamp,
  },
  { title: 'User' },
);

export const TenantUser = Type.Object(
  {
    ...UserSummary.properties,
    disabled: Type.Boolean(),
    updated_at: Timestamp,
  },
  { title: 'TenantUser' },
);
export type TenantUser = Static<typeof TenantUser>;

export const Me = Type.Object(
  {
    ...UserSummary.properties,
    tenant: Type.Object({ slug: Type.String(), name: Type.String() }),
    current_workspace_id: Nullable(Type.Integer()),
    default_workspace_id: Nullable(Type.Integer()),
  },
  { title: 'CurrentUser' },
);

export const TokenPair = Type.Object(
  {
    user: UserSummary,
    access_token: Type.String(),
    refresh_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  },
  { title: 'TokenPair' },
);

export const UpdateTenantUserBody = Type.Object(
  { tenant_role: Type.Optional(TenantRoleSchema), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTenantUserBody = Static<typeof UpdateTenantUserBody>;

export const Jwks = Type.Object(
  {
    keys: Type.Array(Type.Object({}, { additionalProperties: true })),
  },
  { title: 'Jwks' },
);
