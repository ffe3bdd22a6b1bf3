import { Type, type Static } from '@sinclair/typebox';
import { PlainText } from '../../core/http/formats.ts';
import { Nullable, PermissionList, Timestamp } from '../../core/http/schemas.ts';
import { PATTERNS } from '../../core/http/patterns.ts';

export const ApiKey = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    prefix: Type.String({ description: 'The first characters of the secret, to recognize the key' }),
    scopes: Type.Array(Type.String()),
    workspace_id: Type.Integer(),
    created_by: Type.Integer(),
    expires_at: Nullable(Timestamp),
    revoked_at: Nullable(Timestamp),
    last_used_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { title: 'ApiKey' },
);
export type ApiKey = Static<typeof ApiKey>;

export const CreatedApiKey = Type.Object(
  {
    ...ApiKey.properties,
    secret: Type.String({ description: 'Shown once: send it as `Authorization: Bearer tsk_…`' }),
  },
  { title: 'CreatedApiKey' },
);

/** A key's scopes are bounded by how many permissions the composed areas declare. */
export const createApiKeyBody = (permissionCount: number) =>
  Type.Object(
    {
      name: PlainText({ minLength: 1, maxLength: 100, pattern: PATTERNS.notBlank }),
      scopes: PermissionList({ minItems: 1, maxItems: permissionCount }),
      expires_at: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
    },
    { additionalProperties: false },
  );
export type CreateApiKeyBody = Static<ReturnType<typeof createApiKeyBody>>;
