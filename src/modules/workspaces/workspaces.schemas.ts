import { Type, type Static } from '@sinclair/typebox';
import { ImageUrl, PlainText } from '../../core/http/formats.ts';
import { Nullable, Timestamp } from '../../core/http/schemas.ts';

export const WORKSPACE_SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
const Name = PlainText({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Slug = Type.String({ minLength: 3, maxLength: 48, pattern: WORKSPACE_SLUG_PATTERN });
/** An https: URL or an inline PNG, JPEG, GIF or WebP of under 48 KB. */
const Logo = Nullable(ImageUrl({ minLength: 1, maxLength: 65_536 }));

export const Workspace = Type.Object(
  {
    id: Type.Integer(),
    biz_id: Type.String({ description: 'Opaque public id' }),
    name: Type.String(),
    slug: Type.String(),
    logo: Nullable(Type.String()),
    owner_id: Nullable(Type.Integer()),
    owner: Nullable(Type.Object({ id: Type.Integer(), name: Type.String(), email: Type.String() })),
    is_owner: Type.Boolean(),
    role: Nullable(Type.String({ description: "The caller's role; null when seen through view_all_locations" })),
    preferred_document_subtype: Nullable(Type.String()),
    member_count: Type.Optional(Type.Integer()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Workspace' },
);
export type Workspace = Static<typeof Workspace>;

export const CreateWorkspaceBody = Type.Object(
  { name: Name, slug: Type.Optional(Slug), logo: Type.Optional(Logo) },
  { additionalProperties: false },
);
export type CreateWorkspaceBody = Static<typeof CreateWorkspaceBody>;

export const UpdateWorkspaceBody = Type.Object(
  { name: Type.Optional(Name), slug: Type.Optional(Slug), logo: Type.Optional(Logo) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWorkspaceBody = Static<typeof UpdateWorkspaceBody>;

export const ContextSwitched = Type.Object(
  {
    current_workspace_id: Type.Integer(),
    workspace: Type.Object({ id: Type.Integer(), name: Type.String() }),
  },
  { title: 'CurrentWorkspace' },
);

export const DocumentSubtypeBody = Type.Object(
  {
    document_subtype: Type.String({
      pattern: '^[A-Z][0-9]{2}$',
      description: 'NCF sequence type, e.g. B01 (tax credit), B02 (consumer), E31 (e-CF)',
    }),
  },
  { additionalProperties: false },
);
